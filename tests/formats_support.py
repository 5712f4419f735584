"""One realistic report, made once per test session by the real pipeline: a sealed bundle of
third-party evidence (tests/data) evaluated by OPA with a waiver and an expired waiver."""

from __future__ import annotations

import functools
import json
import tempfile
from pathlib import Path
from typing import Any

from gatecheck.bundles.store import add_evidence, init_bundle, seal_bundle
from gatecheck.engine.backends import make_engine
from gatecheck.engine.config import Config
from gatecheck.engine.evaluate import EvaluationRequest, evaluate, load_policies
from gatecheck.engine.policy_docs import control_catalog
from gatecheck.timeutil import parse_rfc3339

DATA = Path(__file__).parent / "data"
EFFECTIVE = "2026-03-05T10:00:00Z"
WAIVERS = [
    {
        "id": "WVR-2026-017",
        "control": "GC-CHG-002",
        "scope": {"release": "payments-api", "version": "2.4.0"},
        "justification": "Single-maintainer hotfix reviewed by <security> & CAB on 2026-03-04",
        "approver": "ciso@example.org",
        "granted": "2026-03-04T16:00:00Z",
        "expires": "2026-05-31T00:00:00Z",
    },
    {
        "id": "WVR-2025-090",
        "control": "GC-REL-002",
        "scope": {"release": "payments-api", "version": "2.4.0"},
        "justification": "Change tool migration",
        "approver": "risk@example.org",
        "granted": "2025-12-01T00:00:00Z",
        "expires": "2026-01-31T00:00:00Z",
    },
]


@functools.cache
def realistic() -> tuple[dict[str, Any], Path, dict[str, dict[str, Any]]]:
    """(report, bundle directory, control catalog)."""
    from trust_support import TrustKit, bundle_release, sign_bundle_release

    work = Path(tempfile.mkdtemp(prefix="gatecheck-formats-"))
    bundle = work / "bundle"
    init_bundle(
        bundle,
        "payments-api",
        "2.4.0",
        manifest_file=DATA / "governance" / "release-manifest.yaml",
    )
    # Every file signed by its producer, as a production gate requires.
    kit = TrustKit.for_release(bundle_release(bundle)[1])
    # The waivers' approvers, as the directory knows them.
    kit.person("m.ferreira", ["ciso"], ["ciso@example.org"])
    kit.person("j.lind", ["risk-owner"], ["risk@example.org"])
    signed = [sign_bundle_release(kit, bundle, work / "release.dsse.json")]
    for i, (path, evidence_type, kind) in enumerate(
        [
            (DATA / "sbom" / "cdx-1.6-trivy-npm-with-vulnerabilities.json", "sbom", None),
            (DATA / "coverage" / "coveragepy-7.12.0-json-format3.json", "coverage", None),
            (DATA / "sarif" / "semgrep-oss-1.78.0-6-findings.sarif", "sast", None),
            (DATA / "vulnscan" / "pip-audit-2-vulns-with-desc.json", "vulnerability-scan", None),
            (DATA / "junit" / "pytest-5-tests-1-failure-1-skipped.xml", "test-results", "unit"),
        ]
    ):
        out = work / f"{i:02d}-{path.name}.dsse.json"
        signed.append(
            kit.attest(path, evidence_type, kit.producer_of(evidence_type), out, kind=kind)
        )
    add_evidence(bundle, signed)
    seal_bundle(bundle)
    (work / "config.json").write_text(json.dumps(kit.config(waivers=WAIVERS)), encoding="utf-8")
    request = EvaluationRequest(
        bundle=bundle,
        stage="production",
        effective=parse_rfc3339(EFFECTIVE),
        config=Config.model_validate(kit.config(waivers=WAIVERS)),
        config_dir=bundle.parent,
    )
    engine = make_engine("embedded")
    report = evaluate(request, engine)
    assert report["decision"] == "fail", report.get("error")
    return report, bundle, control_catalog(engine, load_policies(request))


def realistic_config() -> dict[str, Any]:
    """The configuration (trust policy and waivers) the realistic report was made with."""
    _, bundle, _ = realistic()
    return json.loads((bundle.parent / "config.json").read_text(encoding="utf-8"))
