"""What authenticating evidence adds to an evaluation.

The same 30 evidence files (the example release's tool output and records, from
tests/data/authenticity, plus five JUnit reports) are sealed twice: plain, and each wrapped
as an attestation signed by its producer (Ed25519, DSSE). Both bundles are evaluated at
staging, where authentication is not required so both count the same facts, with the same
configuration and trust policy, each in a fresh ``gatecheck evaluate`` process (what a
pipeline pays). Runs alternate; the figure is the difference of the medians.

    python benchmarks/bench_authenticity.py --runs 9
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml
from cryptography.hazmat.primitives.asymmetric import ed25519

from gatecheck.bundles.store import add_evidence, init_bundle, seal_bundle
from gatecheck.evidence import registry, safe
from gatecheck.evidence.interface import Document
from gatecheck.evidence.signing import attestation
from gatecheck.evidence.signing.keys import public_key_pem

TESTS = Path(__file__).resolve().parent.parent / "tests" / "data"
DATA = TESTS / "authenticity"
AT = "2026-11-27T10:00:00Z"
SIGNED_AT = "2026-11-27T07:30:00Z"
EPOCH = "1795766400"  # 2026-11-27T08:00:00Z
TARGET_MS = 100.0

RECORDS = [
    "change-record.yaml", "cmdb-export.yaml", "sbom.cdx.json", "pip-audit.json", "bandit.sarif",
    "coverage.xml", "env-staging.json", "env-production.json", "segmentation-test.json",
    "pipeline-audit-log.json", "performance-summary.yaml", "pentest-summary.yaml",
    "runbook.yaml", "backup-restore-test.json", "rollback-test.yaml", "monitoring-config.yaml",
    "state-snapshot.json",
]  # fmt: skip
JUNIT = {
    DATA / "junit-unit.xml": "unit",
    DATA / "junit-integration.xml": "integration",
    DATA / "junit-smoke.xml": "smoke",
    TESTS / "junit" / "jest-junit-2-passed.xml": "unit",
    TESTS / "junit" / "pytest-97-tests-17-skipped-singleline.xml": "unit",
    TESTS / "junit" / "surefire-5-tests-2-failures-1-skipped.xml": "integration",
    TESTS / "junit" / "go-junit-report-5-tests-1-failure-2-skipped.xml": "unit",
    TESTS / "junit" / "cargo-nextest-3-tests-1-failure.xml": "unit",
}
PRODUCERS = {
    "ci-build": ["sbom", "vulnerability-scan", "test-results", "coverage", "sast"],
    "change-system": ["change-record", "release-manifest", "cmdb-export"],
    "operations": [
        "environment-snapshot", "segmentation-test", "pipeline-audit-log", "performance-summary",
        "pentest-summary", "runbook", "backup-restore-test", "rollback-test",
        "monitoring-config", "state-snapshot",
    ],
}  # fmt: skip


def evidence(work: Path) -> list[tuple[Path, str, str | None]]:
    """(file, evidence type, test kind): the release manifest and 29 other files."""
    files: list[tuple[Path, str, str | None]] = [(DATA / "release-manifest.yaml", "", None)]
    files += [(DATA / name, "", None) for name in RECORDS]
    files += [(path, "test-results", kind) for path, kind in JUNIT.items()]
    approvals = safe.load_structured((DATA / "approvals.yaml").read_bytes(), name="approvals")
    for i, approval in enumerate(approvals["approvals"]):
        path = work / f"approval-{i}.json"
        path.write_text(json.dumps({"kind": "Approval", **approval}))
        files.append((path, "approval", None))
    resolved = []
    for path, evidence_type, kind in files:
        if not evidence_type:
            evidence_type = registry.detect(Document.from_path(path))[0].family
        resolved.append((path, evidence_type, kind))
    return resolved


def build(work: Path) -> tuple[Path, Path, Path, int]:
    keys = {name: ed25519.Ed25519PrivateKey.generate() for name in PRODUCERS}
    files = evidence(work)
    release = safe.load_structured((DATA / "release-manifest.yaml").read_bytes(), name="rel")
    subjects = [
        attestation.subject_from_digest(a["name"], a["digest"]) for a in release["artifacts"]
    ]
    people = []
    signed_dir = work / "attestations"
    signed_dir.mkdir()
    plain: list[tuple[Path, str | None]] = []
    signed: list[tuple[Path, str | None]] = []
    for i, (path, evidence_type, kind) in enumerate(files):
        plain.append((path, kind))
        if evidence_type == "approval":
            # Each approver signs their own: the directory holds one key per person.
            person_key = ed25519.Ed25519PrivateKey.generate()
            who = json.loads(path.read_text())["approver"]
            people.append({"id": who, "keys": [{"pem": public_key_pem(person_key)}]})
            key = person_key
        else:
            key = keys[next(n for n, types in PRODUCERS.items() if evidence_type in types)]
        ptype, predicate = attestation.predicate_for(
            path.read_bytes(), evidence_type, name=path.name, kind=kind, timestamp=SIGNED_AT
        )
        statement = attestation.statement(ptype, predicate, subjects)
        out = signed_dir / f"{i:02d}-{path.name}.dsse.json"
        out.write_bytes(attestation.sign(statement, key).to_json())
        signed.append((out, None))
    config = work / "gatecheck.yaml"
    trust = {
        "producers": {
            name: {"types": types, "keys": [{"pem": public_key_pem(keys[name])}]}
            for name, types in PRODUCERS.items()
        },
        "people": people,
    }
    config.write_text(yaml.safe_dump({"trust": trust}))
    os.environ["SOURCE_DATE_EPOCH"] = EPOCH
    roots = []
    for label, pieces in (("plain", plain), ("signed", signed)):
        root = work / label
        init_bundle(root, release["name"], release["version"])
        for path, kind in pieces:
            add_evidence(root, [path], labels={"kind": kind} if kind else None)
        seal_bundle(root)
        roots.append(root)
    return roots[0], roots[1], config, len(files)


def run_once(root: Path, config: Path) -> tuple[float, dict[str, Any]]:
    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "gatecheck", "evaluate", str(root), "--stage", "staging",
         "--config", str(config), "--at", AT, "--format", "json"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    elapsed = (time.perf_counter() - start) * 1000
    if proc.returncode not in (0, 1):
        raise SystemExit(f"evaluate failed: {proc.stderr.strip()}")
    return elapsed, json.loads(proc.stdout)


def normalize_ms(root: Path, config: Path, runs: int) -> float:
    """Median in-process time of the phase that reads, authenticates and normalizes the
    evidence (the rest of an evaluation does not depend on signatures)."""
    from gatecheck.engine.backends import make_engine
    from gatecheck.engine.config import load_config
    from gatecheck.engine.evaluate import EvaluationRequest, Phases, evaluate
    from gatecheck.timeutil import parse_rfc3339

    engine = make_engine("embedded")
    loaded, config_dir = load_config(config)
    request = EvaluationRequest(
        bundle=root,
        stage="staging",
        effective=parse_rfc3339(AT),
        config=loaded,
        config_dir=config_dir,
    )
    samples = []
    for _ in range(runs):
        phases = Phases()
        evaluate(request, engine, phases)
        samples.append(phases.timings["normalize"] * 1000)
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=9, help="fresh processes per bundle")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        plain, signed, config, count = build(Path(tmp))
        _, report = run_once(signed, config)  # warm the OS cache; check what was authenticated
        verdicts = report["authenticity"]["evidence"]
        authenticated = sum(1 for v in verdicts if v["authenticated"])
        times: dict[str, list[float]] = {"plain": [], "signed": []}
        for _ in range(args.runs):
            for label, root in (("plain", plain), ("signed", signed)):
                times[label].append(run_once(root, config)[0])
        in_process = {
            label: normalize_ms(root, config, args.runs)
            for label, root in (("plain", plain), ("signed", signed))
        }
    medians = {label: statistics.median(values) for label, values in times.items()}
    added = medians["signed"] - medians["plain"]
    print(f"evidence files: {count} ({authenticated} authenticated in the signed bundle)")
    for label, values in times.items():
        print(f"{label:>6}: median {medians[label]:.0f} ms over {len(values)} fresh processes "
              f"(min {min(values):.0f}, max {max(values):.0f})")  # fmt: skip
    print(
        f"in process, reading and normalizing the evidence: plain {in_process['plain']:.0f} ms, "
        f"signed {in_process['signed']:.0f} ms "
        f"(+{in_process['signed'] - in_process['plain']:.0f} ms)"
    )
    verdict = "within" if added <= TARGET_MS else "OVER"
    print(f"authentication adds {added:.0f} ms ({verdict} the {TARGET_MS:.0f} ms target)")


if __name__ == "__main__":
    main()
