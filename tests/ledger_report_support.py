"""A small real ledger for the dashboard tests: `gatecheck evaluate --ledger` runs of two
generated releases (one named like an injection attempt) at a few effective times, with
passes, failures and waivers, exactly as pipelines would record them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from cryptography.hazmat.primitives.asymmetric import ed25519
from helpers import DATA, make_bundle, run_gatecheck

from gatecheck.evidence.signing.keys import private_key_pem

HOSTILE = "<script>alert(1)</script>"
"""A release name an attacker controls, drawn wherever release names are."""
DIRECTORY = {"people": [{"id": "m.ferreira", "roles": ["ciso"], "aliases": ["ciso@example.org"]}]}
# The unit-tests-only bundle fails GC-ART-003, GC-ART-005 and GC-TST-001 at staging and
# production; these waivers (scoped to payments-api 1.4.0) excuse the three at staging.
WAIVED = {"GC-TST-001": "2026-03-20T00:00:00Z", "GC-ART-003": "2026-05-01T00:00:00Z",
          "GC-ART-005": "2026-05-01T00:00:00Z"}  # fmt: skip
# (bundle, stage, effective time, with waivers)
RUNS = [
    ("payments", "dev", "2026-03-02T09:00:00Z", False),
    ("payments", "staging", "2026-03-02T10:00:00Z", False),
    ("hostile", "staging", "2026-03-02T11:00:00Z", False),
    ("payments", "staging", "2026-03-03T12:30:00Z", True),
    ("hostile", "staging", "2026-03-04T11:00:00Z", False),
    ("payments", "production", "2026-03-04T15:00:00Z", False),
]


def waivers() -> list[dict[str, Any]]:
    return [
        {
            "id": f"WVR-{i}",
            "control": control,
            "scope": {"release": "payments-api", "version": "1.4.0"},
            "justification": "evidence arrives from the nightly pipeline",
            "approver": "ciso@example.org",
            "granted": "2026-03-01T00:00:00Z",
            "expires": expires,
        }
        for i, (control, expires) in enumerate(WAIVED.items(), start=1)
    ]


def build_ledger(root: Path) -> tuple[str, list[dict[str, Any]]]:
    """The ledger URL and each run's report, in run order."""
    import json

    junit = [DATA / "junit" / "jest-junit-2-passed.xml"]
    bundles = {
        "payments": make_bundle(root / "payments", junit, labels={"kind": "unit"}),
        "hostile": make_bundle(root / "hostile", junit, labels={"kind": "unit"}, name=HOSTILE),
    }
    plain, waived = root / "plain.yaml", root / "waived.yaml"
    plain.write_text(yaml.safe_dump({"trust": DIRECTORY}))
    waived.write_text(yaml.safe_dump({"trust": DIRECTORY, "waivers": waivers()}))
    # The waived run's report is signed: its waivers are read from inside the DSSE envelope.
    key = root / "ci.key"
    key.write_text(private_key_pem(ed25519.Ed25519PrivateKey.generate()))
    url = f"sqlite:///{root / 'ledger.db'}"
    reports = []
    for bundle, stage, at, with_waivers in RUNS:
        extra = ["--config", str(waived), "--sign-key", str(key)] if with_waivers else [
            "--config", str(plain)]  # fmt: skip
        proc = run_gatecheck(
            "evaluate", str(bundles[bundle]), "--stage", stage, "--at", at, "--format", "json",
            "--ledger", url, *extra,
        )  # fmt: skip
        assert proc.returncode in (0, 1), proc.stderr
        reports.append(json.loads(proc.stdout))
    return url, reports
