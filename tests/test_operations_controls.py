"""The six lifecycle controls of catalog v2 end to end: GC-REL-006 (feature freeze),
GC-ART-009 (secrets), GC-PIPE-005 (deployment lock), GC-CHG-006 (deployment linked to its
change), GC-VER-004 (stabilization review), GC-RBK-005 (rollbacks root-caused).

Each failing case is the shipped example rebuilt with one file replaced by a violating one,
vouched for by a test producer the trust policy authorizes for that evidence type, and
evaluated at production (post-deploy for GC-VER-004) exactly as the README evaluates the
example."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from helpers import run_gatecheck
from trust_support import TrustKit, load_record

from gatecheck.bundles.store import add_evidence, init_bundle, seal_bundle

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
EXAMPLE = EXAMPLES / "payments-api-1.4.0"
AT = "2026-11-27T10:00:00Z"
DATA = ROOT / "tests" / "data" / "secrets"
TEST_PRODUCER = "test-producer"

Replacement = tuple[Any, str] | None
"""(a record, bytes or file, and its evidence type) signed by the test producer; None drops."""


def _kit() -> TrustKit:
    release = load_record(EXAMPLES / "evidence" / "release-manifest.yaml")
    kit = TrustKit.for_release(release)
    kit.producers.clear()
    return kit


def variant(
    tmp_path: Path,
    replace: dict[str, Replacement],
    extra: list[tuple[Any, ...]] = (),
    people: dict[str, list[str]] | None = None,
) -> tuple[Path, Path]:
    """The example bundle with the files named in ``replace`` (by source name) swapped or
    dropped, plus ``extra`` files (an optional third item names the kit person who signs);
    and a config trusting the test producer for their types and ``people`` (id -> roles)."""
    kit = _kit()
    types = {r[1] for r in [*replace.values(), *extra] if r is not None and len(r) == 2}
    kit.producer(TEST_PRODUCER, sorted(types))
    for pid, roles in (people or {}).items():
        kit.person(pid, roles, [f"{pid}@example.org"])
    work = tmp_path / "files"
    work.mkdir()
    bundle = tmp_path / "bundle"
    init_bundle(bundle, "payments-api", "1.4.0")
    manifest = json.loads((EXAMPLE / "manifest.json").read_text(encoding="utf-8"))
    for entry in manifest["evidence"]:
        name = entry["source_name"]
        if name in replace:
            if replace[name] is None:
                continue
            path = _signed(kit, replace[name], work / name)
        else:
            path = work / name
            shutil.copyfile(EXAMPLE / entry["path"], path)
        add_evidence(bundle, [path], labels=entry["labels"] or None)
    for i, item in enumerate(extra):
        add_evidence(bundle, [_signed(kit, item, work / f"extra-{i}.dsse.json")])
    seal_bundle(bundle)
    config = yaml.safe_load((EXAMPLES / "gatecheck.yaml").read_text(encoding="utf-8"))
    config["trusted_keys"] = [{"path": str(EXAMPLES / "keys" / "release-signing.pub")}]
    config["trust"]["producers"].update(kit.trust()["producers"])
    config["trust"]["people"].extend(kit.trust()["people"])
    config_path = tmp_path / "gatecheck.yaml"
    config_path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    return bundle, config_path


def _signed(kit: TrustKit, item: tuple[Any, ...], out: Path) -> Path:
    source, evidence_type, *signer = item
    return kit.attest(source, evidence_type, signer[0] if signer else TEST_PRODUCER, out)


def evaluate(bundle: Path, config: Path, *, stage: str = "production", at: str = AT):
    proc = run_gatecheck(
        "evaluate",
        str(bundle),
        "--stage",
        stage,
        "--config",
        str(config),
        "--at",
        at,
        "--format",
        "json",
    )
    assert proc.returncode in (0, 1), proc.stdout + proc.stderr
    report = json.loads(proc.stdout)
    return proc, report, {r["control"]: r for r in report["results"]}


def example_record(name: str) -> dict[str, Any]:
    return load_record(EXAMPLES / "evidence" / name)


def messages(result: dict[str, Any]) -> str:
    return " | ".join(result["messages"])


# -- the unchanged example, rebuilt the same way, passes ---------------------------------------


def test_example_rebuilt_by_the_variant_builder_passes(tmp_path: Path) -> None:
    manifest = example_record("release-manifest.yaml")
    bundle, config = variant(
        tmp_path, {"release-manifest.yaml.dsse.json": (manifest, "release-manifest")}
    )
    proc, report, results = evaluate(bundle, config)
    assert report["decision"] == "pass", proc.stdout
    for control in ("GC-REL-006", "GC-ART-009", "GC-PIPE-005", "GC-CHG-006", "GC-RBK-005"):
        assert results[control]["status"] == "pass", results[control]


# -- GC-REL-006 --------------------------------------------------------------------------------


def test_change_merged_after_the_feature_freeze_fails_rel_006(tmp_path: Path) -> None:
    manifest = example_record("release-manifest.yaml")
    manifest["changes"].append(
        {"id": "example-org/payments-api#219", "merged_at": "2026-11-24T16:02:00Z"}
    )
    bundle, config = variant(
        tmp_path, {"release-manifest.yaml.dsse.json": (manifest, "release-manifest")}
    )
    proc, report, results = evaluate(bundle, config)
    assert proc.returncode == 1 and report["decision"] == "fail"
    assert results["GC-REL-006"]["status"] == "fail"
    assert "#219 was merged at 2026-11-24T16:02:00Z, after the feature freeze" in messages(
        results["GC-REL-006"]
    )


@pytest.mark.parametrize(
    ("roles", "status"), [(["release-manager"], "pass"), (["developer"], "fail")]
)
def test_freeze_exception_counts_only_from_a_freeze_exception_role(
    tmp_path: Path, roles: list[str], status: str
) -> None:
    manifest = example_record("release-manifest.yaml")
    manifest["changes"].append(
        {"id": "example-org/payments-api#219", "merged_at": "2026-11-24T16:02:00Z"}
    )
    exception = {
        "apiVersion": "gatecheck.dev/v1",
        "kind": "Approval",
        "approver": "t.okoye@example.org",
        "decision": "approved",
        "type": "freeze-exception",
        "time": "2026-11-24T15:00:00Z",
        "change_id": "CHG0041702",
        "release_version": "1.4.0",
        "changes": ["example-org/payments-api#219"],
    }
    bundle, config = variant(
        tmp_path,
        {"release-manifest.yaml.dsse.json": (manifest, "release-manifest")},
        extra=[(exception, "approval", "t.okoye")],
        people={"t.okoye": roles},
    )
    _, _, results = evaluate(bundle, config)
    assert results["GC-REL-006"]["status"] == status, results["GC-REL-006"]


# -- GC-ART-009 --------------------------------------------------------------------------------


def test_secret_found_by_gitleaks_fails_art_009(tmp_path: Path) -> None:
    report = DATA / "gitleaks-8.30.1-dir-generic-api-key.json"
    bundle, config = variant(tmp_path, {"gitleaks.json.dsse.json": (report, "secret-scan")})
    proc, report_json, results = evaluate(bundle, config)
    assert proc.returncode == 1 and report_json["decision"] == "fail"
    art = results["GC-ART-009"]
    assert art["status"] == "fail"
    assert (
        "gitleaks found a secret (rule generic-api-key) in src/payments_api/settings.py line 4"
        in messages(art)
    )
    # the secret itself never reaches the report
    assert "b7Xq9Lm2Rt4Wz8Kp3Nv6Hy1Cs5Df0Gj7" not in proc.stdout


def test_secret_in_trivy_results_fails_art_009(tmp_path: Path) -> None:
    report = DATA / "trivy-repo-secrets.json"
    bundle, config = variant(tmp_path, {"gitleaks.json.dsse.json": (report, "secret-scan")})
    _, _, results = evaluate(bundle, config)
    art = results["GC-ART-009"]
    assert art["status"] == "fail"
    assert "trivy found a secret (rule aws-access-key-id) in deploy.sh line 3" in messages(art)
    assert len(art["messages"]) == 2


def test_secret_in_a_secret_scanners_sarif_fails_art_009(tmp_path: Path) -> None:
    report = DATA / "gitleaks-8.30.1-dir-generic-api-key.sarif"
    bundle, config = variant(tmp_path, {"gitleaks.json.dsse.json": (report, "secret-scan")})
    _, _, results = evaluate(bundle, config)
    assert results["GC-ART-009"]["status"] == "fail"
    assert "rule generic-api-key" in messages(results["GC-ART-009"])


def test_missing_secret_scan_fails_art_009(tmp_path: Path) -> None:
    manifest = example_record("release-manifest.yaml")
    bundle, config = variant(
        tmp_path,
        {
            "gitleaks.json.dsse.json": None,
            "release-manifest.yaml.dsse.json": (manifest, "release-manifest"),
        },
    )
    _, _, results = evaluate(bundle, config)
    assert results["GC-ART-009"]["status"] == "fail"
    assert "no secret scan" in messages(results["GC-ART-009"])


# -- GC-PIPE-005 -------------------------------------------------------------------------------


def test_overlapping_deployment_lock_fails_pipe_005(tmp_path: Path) -> None:
    locks = example_record("deployment-locks.json")
    locks["locks"].append(
        {
            "environment": "production",
            "acquired_at": "2026-11-27T09:15:00Z",
            "expires_at": "2026-11-27T11:15:00Z",
            "holder": {"run_id": "9420", "release": {"name": "payments-api", "version": "1.3.3"}},
        }
    )
    bundle, config = variant(
        tmp_path, {"deployment-locks.json.dsse.json": (locks, "deployment-lock")}
    )
    proc, report, results = evaluate(bundle, config)
    assert proc.returncode == 1 and report["decision"] == "fail"
    assert results["GC-PIPE-005"]["status"] == "fail"
    assert "held by run 9420" in messages(results["GC-PIPE-005"])


def test_missing_deployment_lock_fails_pipe_005(tmp_path: Path) -> None:
    manifest = example_record("release-manifest.yaml")
    bundle, config = variant(
        tmp_path,
        {
            "deployment-locks.json.dsse.json": None,
            "release-manifest.yaml.dsse.json": (manifest, "release-manifest"),
        },
    )
    _, _, results = evaluate(bundle, config)
    assert results["GC-PIPE-005"]["status"] == "fail"
    assert "no deployment lock on production" in messages(results["GC-PIPE-005"])


# -- GC-CHG-006 --------------------------------------------------------------------------------


def _audit_log(change_id: str | None) -> dict[str, Any]:
    from gatecheck.evidence.records.lifecycle import chain_events

    log = example_record("pipeline-audit-log.json")
    events = [{k: v for k, v in e.items() if k not in ("hash", "prev_hash")} for e in log["events"]]
    for event in events:
        if event["action"].startswith("deploy"):
            if change_id is None:
                event["details"].pop("change_id", None)
            else:
                event["details"]["change_id"] = change_id
    log["events"] = chain_events(events)
    return log


@pytest.mark.parametrize(
    ("change_id", "expected"),
    [("CHG0039999", 'names change "CHG0039999"'), (None, "names change none")],
)
def test_deployment_not_linked_to_the_change_fails_chg_006(
    tmp_path: Path, change_id: str | None, expected: str
) -> None:
    log = _audit_log(change_id)
    bundle, config = variant(
        tmp_path, {"pipeline-audit-log.json.dsse.json": (log, "pipeline-audit-log")}
    )
    proc, report, results = evaluate(bundle, config)
    assert proc.returncode == 1 and report["decision"] == "fail"
    assert results["GC-CHG-006"]["status"] == "fail"
    assert expected in messages(results["GC-CHG-006"])
    # the log's hash chain is intact: only the link is wrong
    assert results["GC-PIPE-004"]["status"] == "pass"


# -- GC-RBK-005 --------------------------------------------------------------------------------


def test_rollback_without_root_cause_fails_rbk_005(tmp_path: Path) -> None:
    history = example_record("rollback-history.json")
    del history["rollbacks"][0]["root_cause"]
    bundle, config = variant(
        tmp_path, {"rollback-history.json.dsse.json": (history, "rollback-history")}
    )
    proc, report, results = evaluate(bundle, config)
    assert proc.returncode == 1 and report["decision"] == "fail"
    assert results["GC-RBK-005"]["status"] == "fail"
    assert "no completed root-cause record" in messages(results["GC-RBK-005"])


def test_missing_rollback_history_fails_rbk_005(tmp_path: Path) -> None:
    manifest = example_record("release-manifest.yaml")
    bundle, config = variant(
        tmp_path,
        {
            "rollback-history.json.dsse.json": None,
            "release-manifest.yaml.dsse.json": (manifest, "release-manifest"),
        },
    )
    _, _, results = evaluate(bundle, config)
    assert results["GC-RBK-005"]["status"] == "fail"


# -- GC-VER-004 (post-deploy, warn) ------------------------------------------------------------

REVIEW = {
    "apiVersion": "gatecheck.dev/v1",
    "kind": "StabilizationReview",
    "release": {"name": "payments-api", "version": "1.4.0"},
    "service": "payments",
    "environment": "production",
    "deployed_at": "2026-11-27T10:30:00Z",
    "reviewed_at": "2026-11-28T11:00:00Z",
    "reviewer": "s.nakamura@example.org",
    "reviewed": ["dashboards", "support-tickets", "error-logs"],
    "retrospective": {"scheduled_at": "2026-12-01T14:00:00Z"},
}
AFTER = "2026-11-29T10:00:00Z"


def test_complete_stabilization_review_passes_ver_004(tmp_path: Path) -> None:
    bundle, config = variant(tmp_path, {}, extra=[(REVIEW, "stabilization-review")])
    _, _, results = evaluate(bundle, config, stage="post-deploy", at=AFTER)
    assert results["GC-VER-004"]["status"] == "pass", results["GC-VER-004"]


def test_review_without_retrospective_warns_ver_004(tmp_path: Path) -> None:
    review = {k: v for k, v in REVIEW.items() if k != "retrospective"}
    bundle, config = variant(tmp_path, {}, extra=[(review, "stabilization-review")])
    _, _, results = evaluate(bundle, config, stage="post-deploy", at=AFTER)
    assert results["GC-VER-004"]["status"] == "warn"
    assert "schedules no retrospective" in messages(results["GC-VER-004"])


def test_no_stabilization_review_warns_ver_004(tmp_path: Path) -> None:
    manifest = example_record("release-manifest.yaml")
    bundle, config = variant(
        tmp_path, {"release-manifest.yaml.dsse.json": (manifest, "release-manifest")}
    )
    _, _, results = evaluate(bundle, config, stage="post-deploy", at=AFTER)
    assert results["GC-VER-004"]["status"] == "warn"
    assert "no stabilization review" in messages(results["GC-VER-004"])
