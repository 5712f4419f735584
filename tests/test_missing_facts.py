"""Missing-fact property: a control passes only on positive evidence.

For every control of the library, start from evidence on which it fails or warns (the
shipped example's readable evidence with one violation per control, plus the few records
the example lacks), delete each field of each structured evidence file it reads, and each
such file, in turn; build every variant's input with the real parsers and judge it with the
real engine (many variants per OPA evaluation). The control must never move to `pass`, and
may move to `not_applicable` only through a fact its METADATA declares in
`custom.applicability`. A variant the parsers refuse is an evaluation error, which blocks.

The shipped example (which passes) is run too: there, a deletion may fail a control, but no
control that is not applicable may pass.

A field whose absence the format's specification defines as a value (SARIF's result level)
is not a missing fact: deleting it states the default, and the control judges the default
(`SPEC_DEFAULTS`).
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml
from missing_facts_support import (
    EXAMPLES,
    Builder,
    Deletion,
    EvidenceFile,
    EvidenceSet,
    GatecheckError,
    Probe,
    example_set,
    status,
)

from gatecheck.engine.backends import make_engine

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data"
POLICIES = ROOT / "policies"
CONFIG = EXAMPLES / "gatecheck.yaml"
RELEASE = {"name": "payments-api", "version": "1.4.0"}

# Fields whose absence the format's own specification defines as a value: deleting one does
# not remove a fact, it states the default, so the control may judge the default. Keyed by
# (file type, field path with list indices dropped); each names its rule and the value, and
# `test_a_spec_default_is_the_value_the_parser_reads` holds the parsers to it.
SPEC_DEFAULTS: dict[tuple[str, tuple[str, ...]], tuple[str, str]] = {
    # SARIF 2.1.0 §3.27.10: a result without `level` takes its rule's
    # defaultConfiguration.level, else "warning"; GC-ART-006 fails errors, not warnings.
    ("sast", ("runs", "results", "level")): ("SARIF 2.1.0 §3.27.10", "warning"),
}


def _spec_default(family: str, deletion: Deletion) -> bool:
    path = tuple(str(p) for p in deletion.path if not isinstance(p, int))
    return (family, path) in SPEC_DEFAULTS


# -- the controls and what their METADATA declares ------------------------------------------


@dataclass(frozen=True)
class Control:
    id: str
    package: str
    evidence: tuple[str, ...]
    applicability: tuple[str, ...]


def _metadata(text: str) -> dict[str, Any]:
    block = []
    for line in text.splitlines():
        if line.startswith("package "):
            break
        if line.startswith("# METADATA"):
            continue
        block.append(line[2:] if line.startswith("# ") else line.lstrip("#"))
    return yaml.safe_load("\n".join(block)) or {}


def library_controls() -> dict[str, Control]:
    found = {}
    for path in sorted(POLICIES.rglob("*.rego")):
        if path.name.endswith("_test.rego"):
            continue
        text = path.read_text(encoding="utf-8")
        package = re.search(r"^package gatecheck\.controls\.(\w+)$", text, re.M)
        if not package:
            continue
        custom = _metadata(text).get("custom", {})
        found[custom["id"]] = Control(
            custom["id"],
            package.group(1),
            tuple(custom.get("evidence", [])),
            tuple(custom.get("applicability", [])),
        )
    return found


CONTROLS = library_controls()


# -- failing starts ----------------------------------------------------------------------------


def _set(evidence: EvidenceSet, name: str, path: str, value: Any) -> None:
    target = evidence.file(name).value
    *parents, last = path.split("/")
    for step in parents:
        target = target[int(step)] if isinstance(target, list) else target[step]
    if isinstance(target, list):
        target[int(last)] = value
    else:
        target[last] = value


def _drop(evidence: EvidenceSet, name: str) -> None:
    evidence.files = [f for f in evidence.files if f.name != name]


def _add(evidence: EvidenceSet, name: str, value: dict[str, Any], **labels: str) -> None:
    evidence.files.append(EvidenceFile(name, value, labels=dict(labels)))


HEADER = {"apiVersion": "gatecheck.dev/v1"}


def _mutate_production(ev: EvidenceSet) -> None:
    """One violation for each control judged at production."""
    m = "release-manifest.yaml"
    _set(ev, "change-record.yaml", "status", "submitted")  # GC-REL-002
    _set(ev, m, "artifacts/0/ci_id", " ")  # GC-REL-003: no CI id
    _set(ev, m, "rollback", {"error_rate": 0.02})  # GC-REL-004: no latency threshold
    _set(ev, m, "artifacts/0/audit_logging/enabled", False)  # GC-REL-005
    _set(ev, "env-staging.json", "parity/runtime", "python-3.12.1")  # GC-ENV-002
    _set(ev, "env-production.json", "drift_detected", True)  # GC-ENV-003
    _set(ev, "segmentation-test.json", "result", "failed")  # GC-ENV-005
    _set(ev, m, "deployment/strategy", "rolling")  # GC-PIPE-002
    _set(ev, m, "health_checks", [])  # GC-PIPE-003
    _set(ev, m, "monitors", [])
    events = ev.file("pipeline-audit-log.json").value["events"]
    events[1]["actor"] = "mallory"  # GC-PIPE-004: the edit breaks the hash chain
    _drop(ev, "approval-r.haddad.yaml")  # GC-CHG-001: security approval missing
    _drop(ev, "approval-k.obi.yaml")  # GC-TST-006: no UAT sign-off
    _set(ev, "performance-summary.yaml", "latency_p95_ms", 400.0)  # GC-TST-003
    pentest = ev.file("pentest-summary.yaml").value
    pentest["findings"][0].update(severity="high", status="open")  # GC-TST-004
    _set(ev, m, "data_migration", True)  # GC-TST-005 (and REL-004's consistency check)
    _add(
        ev,
        "migration-dry-run.json",
        {
            **HEADER,
            "kind": "MigrationDryRun",
            "release": RELEASE,
            "migrations": ["0007_idempotency_keys"],
            "performed_at": "2026-11-25T02:00:00Z",
            "result": "passed",
            "source_checksum": "md5:6f1ed002ab5595859014ebf0951522d9",
            "target_checksum": "md5:1b2cf535f27731c974343645a3985328",
        },
    )
    _set(ev, m, "changes/0/merged_at", "2026-11-21T10:00:00Z")  # GC-REL-006: after the freeze
    leak = json.loads((DATA / "secrets" / "gitleaks-8.30.1-dir-generic-api-key.json").read_text())
    ev.file("gitleaks.json").value = leak  # GC-ART-009: a secret in the source
    locks = ev.file("deployment-locks.json").value["locks"]
    locks[-1]["holder"]["run_id"] = "9999"  # GC-PIPE-005: the lock is another run's
    for event in events:  # GC-CHG-006: deployments name another change
        if isinstance(event.get("details"), dict) and "change_id" in event["details"]:
            event["details"]["change_id"] = "CHG0000001"
    # GC-RBK-005: a rollback nobody was told about
    _set(ev, "rollback-history.json", "rollbacks/0/incident_notification", None)
    _set(ev, "backup-restore-test.json", "restore_seconds", 5000)  # GC-RBK-002
    _set(ev, "rollback-test.yaml", "result", "failed")  # GC-RBK-003
    _set(ev, m, "snapshots/taken_at", "2026-11-28T07:40:00Z")  # GC-RBK-004: after the time
    _set(ev, "state-snapshot.json", "taken_at", "2026-11-28T07:40:00Z")
    sarif = ev.file("bandit.sarif").value
    sarif["runs"][0]["results"] = [  # GC-ART-006
        {
            "ruleId": "B602",
            "level": "error",
            "message": {"text": "subprocess call with shell=True identified"},
            "locations": [
                {
                    "physicalLocation": {
                        "artifactLocation": {"uri": "src/payments_api/api.py"},
                        "region": {"startLine": 12},
                    }
                }
            ],
        }
    ]
    audit = ev.file("pip-audit.json").value
    for dep in audit["dependencies"]:
        if dep["name"] == "idna":  # GC-ART-005: a known vulnerability (pip-audit: no severity)
            dep["vulns"] = [
                {
                    "id": "PYSEC-2024-60",
                    "fix_versions": ["3.7"],
                    "aliases": ["CVE-2024-3651"],
                    "description": "idna.encode() quadratic complexity",
                }
            ]
    _add(  # GC-ENV-001: production data cloned to staging with a PII field left unmasked
        ev,
        "data-clone.json",
        {
            **HEADER,
            "kind": "DataClone",
            "id": "clone-1120",
            "dataset": "payments.customers",
            "from": "production",
            "to": "staging",
            "time": "2026-11-20T02:01:44Z",
        },
    )
    _add(
        ev,
        "masking-attestation.json",
        {
            **HEADER,
            "kind": "MaskingAttestation",
            "dataset": "payments.customers",
            "source_environment": "production",
            "target_environment": "staging",
            "clone_id": "clone-1120",
            "masking_policy_version": "3.2",
            "fields": [
                {"name": "email", "classification": "pii", "masked": False},
                {"name": "country", "classification": "public", "masked": False},
            ],
            "verification": {"method": "sampling", "result": "passed"},
            "attestor": "data-platform-masking@example.org",
            "time": "2026-11-20T02:14:09Z",
        },
    )


PRODUCTION_PARAMS = {
    "trusted_signers": [{"key_id": "0" * 64}],  # GC-ART-002 (and GC-ART-007's signer)
    "trusted_builders": ["https://ci.example.org/other-builder"],  # GC-ART-007
    "license_deny": ["MPL-2.0"],  # GC-ART-004: certifi's license
    "sbom_max_age_days": -1,  # GC-ART-003: any SBOM is too old
    "artifact_name_pattern": "^acme-[a-z]+$",  # GC-ART-008
    "mutable_versions": ["1.4.0"],  # GC-ART-001: this version counts as mutable
    "previous_stages": {"production": "qa"},  # GC-PIPE-001: no smoke results from qa
    "deployment_freezes": [  # GC-CHG-004: the effective time is inside a freeze
        {"start": "2026-11-27T00:00:00Z", "end": "2026-11-28T00:00:00Z", "reason": "audit"}
    ],
    "approval_max_age_days": 0,  # GC-CHG-005
    "min_tests": 100000,  # GC-TST-001
    # GC-TST-002: a critical file the coverage report does not list (critical_paths below)
    "runbook_max_age_days": 1,  # GC-RBK-001
    "deploy_roles": ["release-manager"],  # GC-CHG-002: the initiator lacks a deploy role
    "critical_paths": ["src/payments_api/ledger.py", "src/payments_api/settlement.py"],
}


def _emergency(ev: EvidenceSet) -> None:
    _set(ev, "release-manifest.yaml", "class", "emergency")  # GC-CHG-003: undocumented


def _unclassified(ev: EvidenceSet) -> None:
    _set(ev, "release-manifest.yaml", "class", "urgent")  # GC-REL-001


def _ephemeral(ev: EvidenceSet) -> None:
    _add(  # GC-ENV-004: an ephemeral environment without a TTL
        ev,
        "env-preview.json",
        {
            **HEADER,
            "kind": "EnvironmentSnapshot",
            "environment": "preview-pr-512",
            "type": "ephemeral",
            "created_at": "2026-11-26T08:00:00Z",
            "captured_at": "2026-11-27T06:00:00Z",
        },
    )


def _post_deploy(ev: EvidenceSet) -> None:
    _add(  # GC-VER-001/002: error rate and p95 above the rollback criteria
        ev,
        "deployment-metrics.json",
        {
            **HEADER,
            "kind": "DeploymentMetrics",
            "service": "payments",
            "release": RELEASE,
            "window": {"start": "2026-11-27T10:05:00Z", "end": "2026-11-27T10:35:00Z"},
            "requests": 91844,
            "error_rate": 0.05,
            "latency_p95_ms": 600.0,
            "latency_p99_ms": 950.0,
            "baseline": {"error_rate": 0.002, "latency_p95_ms": 204.0, "latency_p99_ms": 371.0},
        },
    )
    _set(ev, "monitoring-config.yaml", "rules", [])  # GC-VER-003


@dataclass
class Start:
    name: str
    stage: str
    mutate: Callable[[EvidenceSet], None]
    controls: tuple[str, ...]
    params: dict[str, Any] = field(default_factory=dict)


PRODUCTION_CONTROLS = tuple(
    sorted(
        c
        for c in CONTROLS
        if c not in {"GC-REL-001", "GC-CHG-003", "GC-ENV-004"} and not c.startswith("GC-VER-")
    )
)

STARTS = [
    Start("production", "production", _mutate_production, PRODUCTION_CONTROLS, PRODUCTION_PARAMS),
    Start("unclassified", "production", _unclassified, ("GC-REL-001",)),
    Start("emergency", "production", _emergency, ("GC-CHG-003",)),
    Start("ephemeral", "staging", _ephemeral, ("GC-ENV-004",)),
    Start(
        "post-deploy",
        "post-deploy",
        _post_deploy,
        ("GC-VER-001", "GC-VER-002", "GC-VER-003", "GC-VER-004"),
    ),
]


# -- running ---------------------------------------------------------------------------------


def _applicable_through(control: Control, family: str, deletion: Deletion) -> bool:
    """Whether ``deletion`` (of a file of type ``family``) removes a fact the control declares
    as its applicability condition."""
    for entry in control.applicability:
        kind, _, rest = entry.partition("/")
        if kind != family:
            continue
        if not deletion.path:
            return True
        declared = tuple(rest.split("/")) if rest else ()
        # A declared field of list items (artifacts/regulated) covers every item's field.
        deleted = tuple(str(p) for p in deletion.path if not isinstance(p, int))
        if declared and declared[: len(deleted)] == deleted:
            return True
    return False


@dataclass
class Outcome:
    start: str
    stage: str
    before: dict[str, str]
    after: list[tuple[Deletion, str, dict[str, str] | None]]
    """(deletion, its file's evidence type, status by control or None: evaluation error)."""


@dataclass
class Run:
    outcomes: dict[str, Outcome] = field(default_factory=dict)
    deletions: int = 0
    refused: int = 0
    seconds: float = 0.0
    evaluations: int = 0


def _evaluate(
    tmp: Path, name: str, stage: str, evidence: EvidenceSet, controls: tuple[str, ...], params
) -> Outcome:
    builder = Builder(tmp / name, stage, CONFIG)
    probe = Probe(make_engine("embedded"), builder.policies(params))
    packages = [CONTROLS[c].package for c in controls]
    families = {f.name: builder.family(f) for f in evidence.files}
    read = {t for c in controls for t in CONTROLS[c].evidence}
    names = None if "all" in read else {n for n, t in families.items() if t in read}
    variants: list[tuple[Deletion, dict[str, Any] | None]] = []
    for deletion, variant in evidence.deletions(names):
        try:
            variants.append((deletion, builder.input_document(variant)))
        except GatecheckError:
            variants.append((deletion, None))  # refused by the parsers: decision error
    docs = [(packages, doc) for _, doc in variants if doc is not None]
    first = probe.outcomes([(packages, builder.input_document(evidence))])[0]
    assert first is not None, f"{name}: the starting evidence does not evaluate"
    results: list[dict[str, Any] | None] = []
    for at in range(0, len(docs), 200):
        results += probe.outcomes(docs[at : at + 200])
    by_doc = iter(results)
    after = []
    for deletion, doc in variants:
        judged = next(by_doc) if doc is not None else None
        statuses = (
            {cid: status(judged[CONTROLS[cid].package]) for cid in controls} if judged else None
        )
        after.append((deletion, families[deletion.file], statuses))
    before = {cid: status(first[CONTROLS[cid].package]) for cid in controls}
    outcome = Outcome(name, stage, before, after)
    outcome.evaluations = probe.evaluations  # type: ignore[attr-defined]
    return outcome


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Run:
    pytest.importorskip("opa_bindings", reason="the embedded OPA engine is not installed")
    tmp = tmp_path_factory.mktemp("missing-facts")
    result = Run()
    started = time.perf_counter()
    for start in STARTS:
        evidence = example_set()
        start.mutate(evidence)
        outcome = _evaluate(tmp, start.name, start.stage, evidence, start.controls, start.params)
        result.outcomes[start.name] = outcome
    # At staging, where the example's unsigned originals count as facts.
    example = _evaluate(tmp, "example", "staging", example_set(), PRODUCTION_CONTROLS, {})
    result.outcomes["example"] = example
    result.seconds = time.perf_counter() - started
    for outcome in result.outcomes.values():
        result.deletions += len(outcome.after)
        result.refused += sum(1 for _, _, s in outcome.after if s is None)
        result.evaluations += outcome.evaluations  # type: ignore[attr-defined]
    return result


def _start_of(control_id: str) -> Start:
    found = [s for s in STARTS if control_id in s.controls]
    assert found, f"{control_id} has no failing start in tests/test_missing_facts.py STARTS"
    return found[0]


def _violations(run: Run, control_id: str) -> list[str]:
    start = _start_of(control_id)
    outcome = run.outcomes[start.name]
    control = CONTROLS[control_id]
    problems = []
    for deletion, family, statuses in outcome.after:
        if statuses is None:
            continue
        now = statuses[control_id]
        if _spec_default(family, deletion):
            continue
        if now == "pass":
            problems.append(f"deleting {deletion} ({family}) makes it pass")
        elif now == "not_applicable" and not _applicable_through(control, family, deletion):
            problems.append(f"deleting {deletion} ({family}) makes it not_applicable")
    return problems


@pytest.mark.parametrize("control_id", sorted(CONTROLS))
def test_a_deleted_fact_never_passes_a_failing_control(run: Run, control_id: str) -> None:
    start = _start_of(control_id)
    before = run.outcomes[start.name].before[control_id]
    assert before in ("fail", "warn"), f"{control_id} does not fail on its start: {before}"
    problems = _violations(run, control_id)
    assert not problems, f"{control_id}: " + "; ".join(problems[:10])


def test_on_the_example_no_deletion_passes_a_control_that_was_not_applicable(run: Run) -> None:
    example = run.outcomes["example"]
    # Unsigned, the pip-audit scan has no time to judge its age from (GC-ART-005 fails), and
    # idna's ambiguous "BSD License" classifier warns (GC-ART-004).
    assert list(example.before.values()).count("pass") >= 29, example.before
    assert example.before["GC-ART-004"] == "warn"
    idle = [c for c, s in example.before.items() if s == "not_applicable"]
    assert idle, "the example has no not-applicable control to check"
    for deletion, _, statuses in example.after:
        if statuses is None:
            continue
        for control_id in idle:
            assert statuses[control_id] != "pass", f"deleting {deletion} passes {control_id}"
    # The deletions are seen: some of them fail controls that passed.
    failed = sum(
        1 for _, _, s in example.after if s and any(v in ("fail", "warn") for v in s.values())
    )
    assert failed > 0


def test_every_spec_default_exemption_is_exercised(run: Run) -> None:
    """An exemption names a deletion the run really makes and the parsers read (as the
    default: tests/test_evidence_sarif.py holds the SARIF parser to §3.27.10); a stale one
    would silently widen the property's exceptions."""
    seen = {
        (family, tuple(str(p) for p in deletion.path if not isinstance(p, int)))
        for outcome in run.outcomes.values()
        for deletion, family, statuses in outcome.after
        if statuses is not None and _spec_default(family, deletion)
    }
    assert seen == set(SPEC_DEFAULTS)


def test_deletions_tried_are_counted(run: Run, record_property: Any) -> None:
    record_property("deletions", run.deletions)
    record_property("refused_by_parsers", run.refused)
    record_property("seconds", round(run.seconds, 1))
    record_property("opa_evaluations", run.evaluations)
    print(
        json.dumps(
            {
                "deletions": run.deletions,
                "refused_by_parsers": run.refused,
                "opa_evaluations": run.evaluations,
                "seconds": round(run.seconds, 1),
            }
        )
    )
    assert run.deletions > 500
