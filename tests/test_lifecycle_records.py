"""Lifecycle evidence: record parsing and normalization, the pipeline audit log's hash chain,
k6 summaries in both JSON shapes, malformed input, and the lifecycle controls evaluated by
OPA on a bundle of these files."""

from __future__ import annotations

import copy
import hashlib
import json
from pathlib import Path
from typing import Any

import jsonschema_rs
import pytest
import yaml
from click.testing import CliRunner
from cryptography.hazmat.primitives.asymmetric import ed25519
from trust_support import TrustKit

from gatecheck.bundles.store import add_evidence, init_bundle, seal_bundle
from gatecheck.cli.main import cli
from gatecheck.errors import EvidenceError
from gatecheck.evidence import registry, safe
from gatecheck.evidence.interface import Document, ParseContext
from gatecheck.evidence.records.intoto import sign_statement, statement_for
from gatecheck.evidence.records.lifecycle import canonical_event, chain_events, verify_chain
from gatecheck.evidence.records.lifecycle_models import RECORD_TYPES
from gatecheck.evidence.signing.keys import public_key_pem

DATA = Path(__file__).parent / "data" / "lifecycle"
K6_FILES = {"k6-summary-export.json", "k6-handle-summary-baseline.json"}
RECORD_FILES = sorted(
    p for p in DATA.iterdir() if p.suffix in (".json", ".yaml") and p.name not in K6_FILES
)
SUBJECT = [
    {
        "name": "ghcr.io/example-org/payments-api",
        "digest": {"sha256": "4f53cda18c2baa0c0354bb5f9a3ecbe5ed12ab4d8e11ba873c2f11161202b945"},
    }
]


def parse_doc(doc: Document, ctx: ParseContext | None = None) -> tuple[str, str, Any]:
    parser, fmt = registry.detect(doc)
    return parser.family, fmt, parser.parse(doc, fmt, ctx or ParseContext())


def parse_file(name: str, ctx: ParseContext | None = None) -> tuple[str, str, Any]:
    return parse_doc(Document.from_path(DATA / name), ctx)


def json_doc(value: Any, name: str = "record.json") -> Document:
    return Document(json.dumps(value).encode("utf-8"), name)


def load(name: str) -> Any:
    return safe.load_structured((DATA / name).read_bytes(), name=name)


# -- detection and normalization -------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "family"),
    [
        ("environment-snapshot-production.yaml", "environment-snapshot"),
        ("environment-snapshot-staging.json", "environment-snapshot"),
        ("environment-snapshot-ephemeral.json", "environment-snapshot"),
        ("segmentation-test.json", "segmentation-test"),
        ("pipeline-audit-log.json", "pipeline-audit-log"),
        ("performance-summary.yaml", "performance-summary"),
        ("pentest-summary.yaml", "pentest-summary"),
        ("migration-dry-run.json", "migration-dry-run"),
        ("deployment-metrics.json", "deployment-metrics"),
        ("monitoring-config.yaml", "monitoring-config"),
        ("runbook.yaml", "runbook"),
        ("backup-restore-test.json", "backup-restore-test"),
        ("rollback-test.yaml", "rollback-test"),
        ("state-snapshot.json", "state-snapshot"),
    ],
)
def test_each_lifecycle_record_is_detected_as_its_family(name: str, family: str) -> None:
    detected, fmt, facts = parse_file(name)
    assert detected == family
    assert fmt == f"gatecheck-{family}"
    assert facts["pointer"] == ""
    assert facts["signed"] is False
    assert "apiVersion" not in facts


@pytest.mark.parametrize("path", RECORD_FILES, ids=lambda p: p.name)
def test_published_schema_accepts_every_example_record(path: Path) -> None:
    value = load(path.name)
    name = next(
        n for n, m in RECORD_TYPES.items() if m.model_fields["kind"].default == value["kind"]
    )
    result = CliRunner().invoke(cli, ["schema", name])
    assert result.exit_code == 0, result.output
    jsonschema_rs.validator_for(json.loads(result.output)).validate(value)


def test_environment_snapshot_reports_its_type_as_kind_and_times_in_utc() -> None:
    _, _, facts = parse_file("environment-snapshot-production.yaml")
    assert facts["kind"] == "permanent"
    assert "type" not in facts
    assert facts["captured_at"] == "2026-03-01T05:00:00Z"  # written as 06:00+01:00
    assert facts["parity"]["iac_modules"] == {
        "network": "v1.4.0",
        "postgres": "v2.0.1",
        "service": "v3.2.0",
    }
    assert facts["iac"]["commit"] == "4f1c2e9a0b7d6c5e4f3a2b1c0d9e8f7a6b5c4d3e"


def test_segmentation_checks_keep_their_wire_names() -> None:
    _, _, facts = parse_file("segmentation-test.json")
    open_path = facts["checks"][2]
    assert (open_path["from"], open_path["to"], open_path["port"]) == ("dmz", "payments-db", 5432)
    assert (open_path["expected"], open_path["observed"]) == ("deny", "allow")


def test_gatecheck_performance_summary_has_role_pointers_and_inline_baseline() -> None:
    _, _, facts = parse_file("performance-summary.yaml")
    assert facts["role"] == "current"
    assert facts["latency_p95_ms"] == 212.4
    assert facts["baseline"]["latency_p95_ms"] == 201.7
    assert facts["pointers"]["latency_p95_ms"] == "/latency_p95_ms"
    assert facts["thresholds_failed"] == []


def test_record_in_an_in_toto_statement_points_into_the_predicate() -> None:
    statement = statement_for(load("performance-summary.yaml"), SUBJECT)
    family, fmt, facts = parse_doc(json_doc(statement, "perf.intoto.json"))
    assert (family, fmt) == ("performance-summary", "gatecheck-performance-summary-intoto")
    assert facts["pointers"]["error_rate"] == "/predicate/error_rate"


def test_signed_performance_summary_cites_the_payload() -> None:
    key = ed25519.Ed25519PrivateKey.generate()
    envelope = sign_statement(statement_for(load("performance-summary.yaml"), SUBJECT), key)
    _, fmt, facts = parse_doc(Document(envelope.to_json(), "perf.dsse.json"))
    assert fmt == "gatecheck-performance-summary-dsse"
    assert set(facts["pointers"].values()) == {"/payload"}


# -- pipeline audit log --------------------------------------------------------------------------


def audit_log() -> dict[str, Any]:
    return load("pipeline-audit-log.json")


def test_intact_audit_log_verifies_and_names_its_head() -> None:
    _, _, facts = parse_file("pipeline-audit-log.json")
    assert facts["chain_valid"] is True
    assert facts["chain_broken_at"] is None and facts["chain_error"] is None
    assert facts["event_count"] == 6
    assert facts["head_hash"] == audit_log()["events"][-1]["hash"]
    assert facts["events"][3] == {
        "index": 3,
        "actor": "maria.schmidt@example.org",
        "time": "2026-03-01T11:57:12Z",
        "action": "approval.granted",
        "change_id": "CHG0031337",
        "environment": "production",
        "pointer": "/events/3",
    }


def test_canonical_form_is_sorted_compact_json_without_the_hash() -> None:
    event = {"time": "2026-03-01T12:00:00Z", "actor": "jörg", "prev_hash": None, "hash": "x"}
    expected = '{"actor":"jörg","prev_hash":null,"time":"2026-03-01T12:00:00Z"}'.encode()
    assert canonical_event(event) == expected
    # The example log's first hash is reproducible from its documented canonical text.
    first = audit_log()["events"][0]
    text = (
        '{"action":"pipeline.started","actor":"github-actions[bot]","details":{"commit":'
        '"9fceb02d0ae598e95dc970b74767f19372d61af8","ref":"refs/tags/v2.4.0","run_id":'
        '"8123456789"},"prev_hash":null,"time":"2026-03-01T11:41:07Z"}'
    )
    assert first["hash"] == hashlib.sha256(text.encode()).hexdigest()


def test_edited_event_breaks_the_chain_at_that_event() -> None:
    log = audit_log()
    log["events"][3]["actor"] = "mallory@example.org"
    _, _, facts = parse_doc(json_doc(log))
    assert facts["chain_valid"] is False
    assert facts["chain_broken_at"] == 3
    assert "hash does not match its content" in facts["chain_error"]
    assert facts["head_hash"] is None


def test_removed_event_breaks_the_chain_at_the_next_event() -> None:
    log = audit_log()
    del log["events"][3]
    _, _, facts = parse_doc(json_doc(log))
    assert (facts["chain_valid"], facts["chain_broken_at"]) == (False, 3)
    assert "prev_hash is not the hash of event 2" in facts["chain_error"]


def test_reordered_events_break_the_chain() -> None:
    events = audit_log()["events"]
    events[1], events[2] = events[2], events[1]
    assert verify_chain(events).broken_at == 1


def test_rehashed_edit_is_caught_by_the_next_link() -> None:
    events = audit_log()["events"]
    events[2]["details"]["strategy"] = "recreate"
    events[2]["hash"] = chain_events(events[:3])[2]["hash"]
    check = verify_chain(events)
    assert (check.valid, check.broken_at) == (False, 3)


def test_log_starting_mid_chain_is_broken_at_its_first_event() -> None:
    events = audit_log()["events"][2:]
    check = verify_chain(events)
    assert (check.valid, check.broken_at) == (False, 0)
    assert verify_chain([]).valid is True


def test_event_without_hash_breaks_the_chain() -> None:
    events = audit_log()["events"]
    del events[4]["hash"]
    check = verify_chain(events)
    assert (check.broken_at, check.reason) == (4, "event 4 has no sha256 hash (64 lowercase hex)")


def test_events_without_actor_or_time_are_facts_not_errors() -> None:
    events = chain_events([{"action": "deploy.production"}, {"actor": "bot", "action": "x"}])
    log = {"apiVersion": "gatecheck.dev/v1", "kind": "PipelineAuditLog", "events": events}
    _, _, facts = parse_doc(json_doc(log))
    assert facts["chain_valid"] is True
    assert [(e["actor"], e["time"]) for e in facts["events"]] == [(None, None), ("bot", None)]


def test_yaml_audit_log_verifies_over_the_written_values() -> None:
    text = yaml.safe_dump(audit_log(), sort_keys=False)
    _, fmt, facts = parse_doc(Document(text.encode(), "audit.yaml"))
    assert fmt == "gatecheck-pipeline-audit-log"
    assert facts["chain_valid"] is True


def test_signed_audit_log_verifies_and_cites_the_payload() -> None:
    key = ed25519.Ed25519PrivateKey.generate()
    envelope = sign_statement(statement_for(audit_log(), SUBJECT), key)
    ctx = ParseContext(config={"trusted_keys": [{"pem": public_key_pem(key)}]})
    _, fmt, facts = parse_doc(Document(envelope.to_json(), "audit.dsse.json"), ctx)
    assert fmt == "gatecheck-pipeline-audit-log-dsse"
    assert facts["verified"] is True and facts["chain_valid"] is True
    assert facts["events"][0]["pointer"] == "/payload/events/0"


# -- k6 --------------------------------------------------------------------------------------


def test_k6_summary_export_is_normalized() -> None:
    family, fmt, facts = parse_file("k6-summary-export.json")
    assert (family, fmt) == ("performance-summary", "k6-summary-export")
    assert facts["latency_p95_ms"] == 212.4
    assert facts["latency_p99_ms"] == 388.0
    assert facts["error_rate"] == pytest.approx(39 / 18422)
    assert facts["requests"] == 18422
    assert facts["role"] == "current"
    assert facts["pointers"] == {
        "latency_p95_ms": "/metrics/http_req_duration/p(95)",
        "latency_p99_ms": "/metrics/http_req_duration/p(99)",
        "error_rate": "/metrics/http_req_failed/value",
    }
    # Legacy export: {expression: true} means the threshold failed.
    assert facts["thresholds_failed"] == [
        {
            "metric": "http_req_duration",
            "threshold": "p(99)<350",
            "pointer": "/metrics/http_req_duration/thresholds/p(99)<350",
        }
    ]
    parser, _ = registry.detect(Document.from_path(DATA / "k6-summary-export.json"))
    assert parser.tool(Document.from_path(DATA / "k6-summary-export.json"), fmt).name == "k6"


def test_k6_handle_summary_baseline_is_normalized_with_its_labels() -> None:
    ctx = ParseContext(labels={"role": "baseline", "service": "payments-api"})
    family, fmt, facts = parse_file("k6-handle-summary-baseline.json", ctx)
    assert (family, fmt) == ("performance-summary", "k6-handle-summary")
    assert facts["role"] == "baseline"
    assert facts["service"] == "payments-api"
    assert facts["latency_p95_ms"] == 201.7
    assert facts["error_rate"] == pytest.approx(32 / 17950)
    assert facts["pointers"]["error_rate"] == "/metrics/http_req_failed/values/rate"
    assert facts["test_duration_ms"] == 120004.113
    assert facts["thresholds_failed"] == []


def test_k6_run_without_http_metrics_has_null_latency_for_the_control_to_judge() -> None:
    value = load("k6-summary-export.json")
    for name in [m for m in value["metrics"] if m.startswith("http_")]:
        del value["metrics"][name]
    _, _, facts = parse_doc(json_doc(value, "k6.json"))
    assert facts["latency_p95_ms"] is None and facts["error_rate"] is None
    assert facts["pointers"]["latency_p95_ms"] is None


def test_k6_crossed_threshold_in_handle_summary_shape() -> None:
    value = load("k6-handle-summary-baseline.json")
    value["metrics"]["http_req_failed"]["thresholds"]["rate<0.01"]["ok"] = False
    _, _, facts = parse_doc(json_doc(value, "k6.json"))
    assert [t["threshold"] for t in facts["thresholds_failed"]] == ["rate<0.01"]


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        (
            ("http_req_duration", "p(95)"),
            "212ms",
            r"/metrics/http_req_duration/p\(95\) is not a number",
        ),
        (("http_req_failed", "value"), 1.5, "is a rate above 1"),
        (("http_req_duration", "p(95)"), -1, "not a finite count or time"),
        (("http_req_failed", "thresholds"), ["rate<0.01"], "thresholds is not an object"),
        (("http_req_duration", "thresholds", "p(95)<500"), "no", "is not a threshold result"),
    ],
)
def test_malformed_k6_values_are_evidence_errors(
    path: tuple[str, ...], value: Any, message: str
) -> None:
    summary = load("k6-summary-export.json")
    target = summary["metrics"]
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    with pytest.raises(EvidenceError, match=message):
        parse_doc(json_doc(summary, "k6.json"))


def test_k6_metric_that_is_not_an_object_is_an_evidence_error() -> None:
    summary = load("k6-handle-summary-baseline.json")
    summary["metrics"]["http_req_duration"]["values"] = [201.7]
    with pytest.raises(EvidenceError, match="k6.json: /metrics/http_req_duration/values is not"):
        parse_doc(json_doc(summary, "k6.json"))


def test_unknown_role_label_is_an_evidence_error() -> None:
    with pytest.raises(EvidenceError, match="label role='reference'"):
        parse_file("k6-summary-export.json", ParseContext(labels={"role": "reference"}))


# -- malformed records -----------------------------------------------------------------------


def with_change(name: str, **changes: Any) -> Document:
    value = copy.deepcopy(load(name))
    value.update(changes)
    return json_doc(value, name.replace(".yaml", ".json"))


@pytest.mark.parametrize(
    ("name", "changes", "message"),
    [
        ("runbook.yaml", {"reviewd_at": "2026-01-01T00:00:00Z"}, "reviewd_at"),
        ("rollback-test.yaml", {"performed_at": "2026-02-26 15:42"}, "performed_at"),
        ("rollback-test.yaml", {"performed_at": "2026-02-26T15:42:00"}, "has no timezone"),
        ("deployment-metrics.json", {"error_rate": 4.3}, "error_rate"),
        ("backup-restore-test.json", {"restore_seconds": -5}, "restore_seconds"),
        ("backup-restore-test.json", {"checksum_match": "yes"}, "checksum_match"),
        ("environment-snapshot-staging.json", {"type": None}, "type"),
        ("pipeline-audit-log.json", {"events": {"0": {}}}, "events"),
        (
            "deployment-metrics.json",
            {"window": {"start": "2026-03-01T13:00:00Z", "end": "2026-03-01T12:00:00Z"}},
            "window ends",
        ),
    ],
)
def test_invalid_record_is_an_evidence_error_naming_the_field(
    name: str, changes: dict[str, Any], message: str
) -> None:
    with pytest.raises(EvidenceError, match=message) as info:
        parse_doc(with_change(name, **changes))
    assert "\n" not in str(info.value)


def test_truncated_record_is_an_evidence_error() -> None:
    raw = (DATA / "migration-dry-run.json").read_bytes()[:200]
    with pytest.raises(EvidenceError, match=r"^dryrun.json: not valid JSON"):
        parse_doc(Document(raw, "dryrun.json"))


def test_record_declared_for_another_family_is_refused() -> None:
    doc = Document.from_path(DATA / "runbook.yaml")
    with pytest.raises(EvidenceError, match="not a supported rollback-test format"):
        registry.detect(doc, "rollback-test")


# -- the controls on real parsed evidence, through OPA ------------------------------------------

RELEASE = {
    "apiVersion": "gatecheck.dev/v1",
    "kind": "ReleaseManifest",
    "name": "payments-api",
    "version": "2.4.0",
    "class": "major",
    "artifacts": [
        {
            "name": "payments-api",
            "version": "2.4.0",
            "digest": "sha256:4f53cda18c2baa0c0354bb5f9a3ecbe5ed12ab4d8e11ba873c2f11161202b945",
        }
    ],
    "service": {"name": "payments-api", "availability": "high", "tier": 1, "rto_seconds": 3600},
    "deployment": {"strategy": "canary", "environment": "production"},
    "rollback": {"error_rate": 0.01, "latency_p95_ms": 300, "latency_p99_ms": 600},
    "health_checks": ["https://payments.internal/healthz"],
    "data_migration": True,
}


@pytest.fixture(scope="module")
def lifecycle_bundle(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The records, each signed by its producer (operations; the k6 runs by CI as
    performance summaries), and the configuration trusting them: (bundle, config)."""
    work = tmp_path_factory.mktemp("lifecycle")
    manifest = work / "release.json"
    manifest.write_text(json.dumps(RELEASE))
    kit = TrustKit.for_release(RELEASE)
    root = work / "bundle"
    init_bundle(root, "payments-api", "2.4.0")
    records = [manifest, *RECORD_FILES, DATA / "k6-summary-export.json"]
    add_evidence(root, kit.signed(records, work / "signed"))
    baseline = kit.signed([DATA / "k6-handle-summary-baseline.json"], work / "baseline")
    add_evidence(root, baseline, labels={"role": "baseline"})
    seal_bundle(root)
    return root, kit.write_config(work / "gatecheck.yaml")


def evaluate(bundle: tuple[Path, Path], stage: str, at: str) -> dict[str, dict[str, Any]]:
    root, config = bundle
    result = CliRunner().invoke(
        cli,
        ["evaluate", str(root), "--stage", stage, "--at", at]
        + ["--config", str(config), "--format", "json"],
    )
    assert result.exit_code in (0, 1), result.output
    report = json.loads(result.output)
    assert all(e["authenticated"] for e in report["authenticity"]["evidence"]), report[
        "authenticity"
    ]
    return {r["control"]: r for r in report["results"]} | {"_decision": report["decision"]}


def test_lifecycle_controls_judge_parsed_evidence_before_production(
    lifecycle_bundle: tuple[Path, Path],
) -> None:
    results = evaluate(lifecycle_bundle, "production", "2026-03-01T12:00:00Z")
    status = {cid: r["status"] for cid, r in results.items() if cid.startswith("GC-")}
    for passing in (
        "GC-ENV-003",
        "GC-PIPE-002",
        "GC-PIPE-003",
        "GC-PIPE-004",
        "GC-TST-004",
        "GC-TST-005",
        "GC-RBK-001",
        "GC-RBK-002",
        "GC-RBK-003",
        "GC-RBK-004",
    ):
        assert status[passing] == "pass", (passing, results[passing]["messages"])
    assert status["GC-PIPE-001"] == "fail"  # no smoke results in this bundle
    assert status["GC-TST-006"] == "fail"  # major release without UAT sign-off
    assert status["GC-ENV-002"] == "warn"
    assert results["GC-ENV-002"]["messages"] == [
        "iac_modules.postgres differs between staging (v2.1.0) and production (v2.0.1)"
    ]
    assert status["GC-ENV-004"] == "warn"  # 96-hour preview environment
    assert "dmz -> payments-db" in results["GC-ENV-005"]["messages"][0]
    # k6 run vs. its labelled baseline is within tolerance; its own crossed p(99) threshold warns.
    assert status["GC-TST-003"] == "warn"
    assert "p(99)<350" in results["GC-TST-003"]["messages"][0]


def test_latency_regression_after_deployment_decides_rollback(
    lifecycle_bundle: tuple[Path, Path],
) -> None:
    results = evaluate(lifecycle_bundle, "post-deploy", "2026-03-01T13:00:00Z")
    assert results["_decision"] == "rollback"
    assert results["GC-VER-001"]["status"] == "pass"
    assert results["GC-VER-003"]["status"] == "pass"
    assert results["GC-VER-002"]["status"] == "fail"
    assert results["GC-VER-002"]["messages"] == [
        "p95 latency 231 ms in 2026-03-01T12:05:00Z..2026-03-01T12:35:00Z is above the "
        "baseline 204 ms + 10% (limit 224.4 ms)"
    ]
