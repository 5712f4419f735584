"""Generated releases for policy impact tests and benchmarks, recorded in a ledger by the real
``gatecheck evaluate --ledger``. Import as ``from impact_support import ...``.

Each release has one artifact and evidence its CI producer signed (TrustKit, so the scan has
a time and the evaluation's trust policy accepts it):
- coverage: a real coverage.py Cobertura report of a generated module whose ``RUN`` constant
  decides how many of its 22 statements run (level k covers (12 + k) / 22);
- vulnerability scan: real pip-audit output copied from tests/data/vulnscan (SOURCES.md):
  ``clean`` (49 packages, no finding) or ``vulnerable`` (53 packages, 2 findings without a
  fixed version, so no severity: they count as high);
- SBOM: a CycloneDX document generated from the scan's package list, describing the artifact;
- test results: real JUnit files from tests/data/junit, one per required kind.

At staging (vuln_fail_severity critical, coverage_min 0.8) all of them pass, except that
coverage below 0.8 warns. :data:`TIGHTENED` raises coverage_min to 0.9 and lowers staging's
vuln_fail_severity to high, so exactly these flip: ``vulnerable`` releases' GC-ART-005
pass -> fail (decision pass -> fail), and coverage level 6 (0.818) GC-TST-002 pass -> warn.

Candidates beside the data: configurations that differ from the recorded one only in the
trust policy or the waivers (:func:`candidate_config`), and Rego that does not compile or
fails at evaluation (:data:`REGO`, :func:`write_policy`).
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml
from cryptography.hazmat.primitives.asymmetric import ed25519
from trust_support import TrustKit, subjects_of

from gatecheck.bundles.store import add_evidence, init_bundle, seal_bundle
from gatecheck.evidence.signing.keys import public_key_pem
from gatecheck.timeutil import format_rfc3339

DATA = Path(__file__).parent / "data"
SCANS = {
    "clean": DATA / "vulnscan" / "pip-audit-clean-49-deps.json",
    "vulnerable": DATA / "vulnscan" / "pip-audit-2-vulns-with-desc.json",
}
JUNIT = {
    "unit": DATA / "junit" / "jest-junit-2-passed.xml",
    "integration": DATA / "junit" / "pytest-97-tests-17-skipped-singleline.xml",
}
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
TIGHTENED = {
    "gatecheck": {
        "config": {
            "params": {"coverage_min": 0.9},
            "stages": {"staging": {"params": {"vuln_fail_severity": "high"}}},
        }
    }
}
"""The candidate's data: coverage minimum 0.8 -> 0.9, staging severity critical -> high."""
APPROVER = "rita"
"""A risk owner in the trust policy's directory: a waiver needs an approver there."""


@dataclass(frozen=True)
class Spec:
    version: str
    coverage_level: int
    """Of 10: the coverage is (12 + level) / 22 (level 6: 0.818, 8: 0.909, 10: 1.0)."""
    scan: str
    """``clean`` or ``vulnerable``."""

    @property
    def coverage(self) -> float:
        return (12 + self.coverage_level) / 22

    def expected_flips(self) -> dict[str, tuple[str, str]]:
        """Control -> (old, new) under :data:`TIGHTENED`, at staging."""
        flips = {}
        if self.scan == "vulnerable":
            flips["GC-ART-005"] = ("pass", "fail")
        if 0.8 <= self.coverage < 0.9:
            flips["GC-TST-002"] = ("pass", "warn")
        return flips


def specs(count: int) -> list[Spec]:
    """``count`` releases cycling through coverage levels 5, 6, 8, 10 and both scans."""
    levels = (5, 6, 8, 10)
    return [
        Spec(f"1.0.{i}", levels[i % len(levels)], "vulnerable" if i % 3 == 0 else "clean")
        for i in range(count)
    ]


def coverage_report(work: Path, level: int) -> Path:
    """coverage.py's Cobertura XML for a module where ``level`` of 10 branches run (cached)."""
    folder = work / f"coverage-{level}"
    report = folder / "coverage.xml"
    if report.exists():
        return report
    folder.mkdir(parents=True, exist_ok=True)
    body = [f"RUN = {level}", "LIMIT = 10"]
    body += [f"if RUN > {k}:\n    y{k} = {k}" for k in range(10)]
    (folder / "mod.py").write_text("\n".join(body) + "\n", encoding="utf-8")
    for args in (["run", "mod.py"], ["xml", "-o", "coverage.xml"]):
        subprocess.run(
            [sys.executable, "-m", "coverage", *args],
            cwd=folder, check=True, capture_output=True,
        )  # fmt: skip
    return report


def sbom_for(scan: Path, digest: str, timestamp: str, out: Path) -> Path:
    deps = json.loads(scan.read_text(encoding="utf-8"))["dependencies"]
    bom = {
        "bomFormat": "CycloneDX",
        "specVersion": "1.6",
        "version": 1,
        "metadata": {
            "timestamp": timestamp,
            "component": {
                "type": "application", "name": "impact-app", "version": "1", "bom-ref": "app",
                "hashes": [{"alg": "SHA-256", "content": digest.removeprefix("sha256:")}],
            }
        },
        "components": [
            {
                "type": "library", "name": d["name"], "version": d["version"],
                "bom-ref": d["name"], "purl": f"pkg:pypi/{d['name']}@{d['version']}",
            }
            for d in deps
            if "version" in d
        ],
    }  # fmt: skip
    out.write_text(json.dumps(bom), encoding="utf-8")
    return out


def effective_time(index: int) -> str:
    return format_rfc3339(START + timedelta(hours=index))


def build_release(work: Path, kit: TrustKit, spec: Spec, index: int) -> Path:
    """A sealed bundle for ``spec``, its evidence signed an hour before its effective time."""
    digest = "sha256:" + hashlib.sha256(f"impact-app@{spec.version}".encode()).hexdigest()
    release = {"artifacts": [{"name": "impact-app", "digest": digest}]}
    subjects = subjects_of(release)
    signed_at = format_rfc3339(START + timedelta(hours=index - 1))
    folder = work / f"release-{spec.version}"
    signed = folder / "signed"
    signed.mkdir(parents=True)
    scan = SCANS[spec.scan]

    def attest(source: Path, evidence_type: str, kind: str | None = None) -> Path:
        out = signed / f"{source.stem}.{evidence_type}.dsse.json"
        return kit.attest(
            source, evidence_type, "ci-build", out,
            kind=kind, timestamp=signed_at, subjects=subjects,
        )  # fmt: skip

    root = folder / "bundle"
    init_bundle(
        root, "impact-app", spec.version, release_class="standard",
        artifacts=[{"name": "impact-app", "version": spec.version, "digest": digest}],
    )  # fmt: skip
    add_evidence(
        root,
        [
            attest(sbom_for(scan, digest, signed_at, folder / "sbom.cdx.json"), "sbom"),
            attest(scan, "vulnerability-scan"),
            attest(coverage_report(work, spec.coverage_level), "coverage"),
        ],
    )
    for kind, path in JUNIT.items():
        add_evidence(root, [attest(path, "test-results", kind)], labels={"kind": kind})
    seal_bundle(root)
    return root


def impact_kit() -> TrustKit:
    """The producers of the standard kit and :data:`APPROVER`, who may approve waivers."""
    kit = TrustKit.standard([])
    kit.person(APPROVER, roles=["risk-owner"])
    return kit


def waiver(version: str, control: str = "GC-ART-005") -> dict[str, Any]:
    """A waiver of ``control`` for impact-app@``version``, active at every effective time."""
    return {
        "id": f"W-{control}-{version}",
        "control": control,
        "scope": {"release": "impact-app", "version": version},
        "justification": "the findings have no fix yet; the vulnerable paths are not reachable",
        "approver": APPROVER,
        "granted": "2026-03-01T00:00:00Z",
        "expires": "2026-04-01T00:00:00Z",
    }


def candidate_config(kit: TrustKit, path: Path, change: str) -> Path:
    """The kit's configuration with one change: ``producer`` (one more producer and its key),
    ``trusted-key`` (one more key under ``trusted_keys``), ``waiver`` (a waiver of GC-ART-005
    for 1.0.0), or ``none`` (the same configuration, written as JSON instead of YAML)."""
    config = kit.config()
    extra_pem = public_key_pem(ed25519.Ed25519PrivateKey.generate())
    if change == "producer":
        config["trust"]["producers"]["release-bot"] = {
            "types": ["sbom"], "keys": [{"pem": extra_pem}],
        }  # fmt: skip
    elif change == "trusted-key":
        config["trusted_keys"] = [{"pem": extra_pem}]
    elif change == "waiver":
        config["waivers"] = [waiver("1.0.0")]
    elif change == "none":
        path = path.with_suffix(".json")
        path.write_text(json.dumps(config, indent=1), encoding="utf-8")
        return path
    else:
        raise ValueError(f"unknown change {change!r}")
    path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    return path


REGO = {
    # Compile errors: OPA refuses the module whatever the input.
    "unsafe-variable": """package gatecheck.candidate.unsafe

import rego.v1

allowed if {
\tlevel == 1
}
""",
    "wrong-arity": """package gatecheck.candidate.arity

import rego.v1

prefixed if startswith(input.release.name)
""",
    "parse-error": """package gatecheck.candidate.parse

import rego.v1

broken if {
""",
    # Evaluation errors (strict builtin errors): a division by zero for releases whose patch
    # number is a multiple of 3 (1.0.0 and 1.0.3), nothing for the others or an empty input.
    "divide-by-zero-some": """package gatecheck.controls.art_005

import rego.v1

deny contains "never added" if {
\tpatch := to_number(split(input.release.version, ".")[2])
\t1 / (patch % 3) < 0
}
""",
    # ... and for every input, the empty one included.
    "divide-by-zero-all": """package gatecheck.controls.art_005

import rego.v1

deny contains "never added" if {
\t1 / count([]) < 0
}
""",
}
"""Candidate Rego modules by what is wrong with them."""


def write_policy(folder: Path, name: str) -> Path:
    """A policy directory holding :data:`REGO` ``name``."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{name.replace('-', '_')}.rego").write_text(REGO[name], encoding="utf-8")
    return folder
