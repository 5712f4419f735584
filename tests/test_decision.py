"""Statuses, waivers and the gate decision, from the report OPA returns."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from gatecheck.engine.config import Waiver
from gatecheck.engine.decision import decide
from gatecheck.engine.waivers import WaiverBook
from gatecheck.errors import ConfigError, EngineError

AT = datetime(2026, 6, 1, tzinfo=UTC)
RELEASE = {"name": "payments-api", "version": "1.4.0"}


def control(cid: str, enforcement: str = "fail", violations=(), warnings=(), na=()) -> dict:
    return {
        "id": cid,
        "title": cid,
        "severity": "high",
        "enforcement": enforcement,
        "violations": list(violations),
        "warnings": list(warnings),
        "not_applicable": list(na),
        "remediation": "fix it",
    }


def violation(msg: str, **scope: str) -> dict:
    return {
        "control": "X",
        "msg": msg,
        "evidence": [{"path": "evidence/a.json", "pointer": "/0"}],
        "scope": scope,
    }


def waiver(control_id: str, expires: str = "2026-12-31T00:00:00Z", **scope: str) -> Waiver:
    return Waiver.model_validate(
        {
            "control": control_id,
            "justification": "accepted risk, fix in 1.5",
            "approver": "ciso@example.com",
            "expires": expires,
            "scope": {"release": "payments-api", **scope},
        }
    )


def run(controls: list[dict], waivers: list[Waiver] = (), stage: str = "production", **raw):
    book = WaiverBook.at(list(waivers), AT, RELEASE)
    return decide(
        {"controls": controls, "errors": [], **raw},
        stage=stage,
        waivers=book,
        rollback_controls=["GC-VER-001", "GC-VER-002"],
    ), book


def test_all_pass_is_pass() -> None:
    outcome, _ = run([control("GC-A"), control("GC-B", na=["no data migration"])])
    assert outcome.decision == "pass"
    assert [r["status"] for r in outcome.results] == ["pass", "not_applicable"]
    assert outcome.results[1]["messages"] == ["no data migration"]


def test_enforced_violation_fails_and_advisory_one_warns() -> None:
    outcome, _ = run(
        [
            control("GC-A", violations=[violation("bad")]),
            control("GC-B", "warn", violations=[violation("meh")]),
        ]
    )
    assert outcome.decision == "fail"
    assert {r["control"]: r["status"] for r in outcome.results} == {"GC-A": "fail", "GC-B": "warn"}
    assert outcome.results[0]["evidence"] == [{"path": "evidence/a.json", "pointer": "/0"}]


def test_disabled_controls_are_listed_not_evaluated() -> None:
    outcome, _ = run([control("GC-A", "off", violations=[violation("bad")])])
    assert outcome.decision == "pass" and outcome.disabled == ["GC-A"] and outcome.results == []


def test_matching_waiver_waives_and_is_reported_applied() -> None:
    outcome, book = run(
        [control("GC-ART-005", violations=[violation("CVE-1", vulnerability="CVE-1")])],
        [waiver("GC-ART-005", vulnerability="CVE-1")],
    )
    assert outcome.decision == "pass"
    assert outcome.results[0]["status"] == "waived"
    assert book.report()["applied"][0]["scope"]["vulnerability"] == "CVE-1"


def test_waiver_for_another_vulnerability_does_not_apply() -> None:
    outcome, book = run(
        [
            control(
                "GC-ART-005",
                violations=[
                    violation("CVE-1", vulnerability="CVE-1"),
                    violation("CVE-2", vulnerability="CVE-2"),
                ],
            )
        ],
        [waiver("GC-ART-005", vulnerability="CVE-1")],
    )
    assert outcome.decision == "fail"
    result = outcome.results[0]
    assert result["status"] == "fail" and result["messages"] == ["CVE-2", "waived: CVE-1"]


def test_expired_waiver_has_no_effect_and_is_reported() -> None:
    outcome, book = run(
        [control("GC-A", violations=[violation("bad")])],
        [waiver("GC-A", expires="2026-05-31T23:59:59Z")],
    )
    assert outcome.decision == "fail"
    assert book.report()["expired"][0]["control"] == "GC-A"


def test_waiver_for_another_release_or_version_is_ignored() -> None:
    other = Waiver.model_validate(
        {
            "control": "GC-A",
            "justification": "j",
            "approver": "a",
            "expires": "2027-01-01T00:00:00Z",
            "scope": {"release": "payments-api", "version": "1.3.0"},
        }
    )
    outcome, book = run([control("GC-A", violations=[violation("bad")])], [other])
    assert outcome.decision == "fail" and book.report() == {
        "applied": [],
        "expired": [],
        "unused": [],
    }


def test_waiver_without_parseable_expiry_is_rejected() -> None:
    with pytest.raises(ConfigError, match="expiry"):
        run([control("GC-A")], [waiver("GC-A", expires="next year")])
    with pytest.raises(ValueError):
        Waiver.model_validate(
            {
                "control": "GC-A",
                "justification": "j",
                "approver": "a",
                "scope": {"release": "payments-api"},
            }
        )


def test_post_deploy_failure_of_a_rollback_control_is_rollback() -> None:
    outcome, _ = run(
        [control("GC-VER-001", violations=[violation("error rate 5%")])], stage="post-deploy"
    )
    assert outcome.decision == "rollback"
    outcome, _ = run([control("GC-VER-003", violations=[violation("x")])], stage="post-deploy")
    assert outcome.decision == "fail"


def test_auto_approval_only_when_everything_passes() -> None:
    outcome, _ = run([control("GC-A")], auto_approval_eligible=True)
    assert outcome.auto_approved
    outcome, _ = run([control("GC-A", violations=[violation("x")])], auto_approval_eligible=True)
    assert not outcome.auto_approved


@pytest.mark.parametrize(
    "raw",
    [
        None,
        [],
        {"controls": "x"},
        {"controls": []},
        {"controls": [{"id": "A"}]},
        {"controls": [control("A", violations=[{"no": "msg"}])]},
        {"controls": [control("A")], "errors": ["library bug"]},
    ],
)
def test_malformed_engine_answers_are_errors_never_passes(raw) -> None:
    with pytest.raises(EngineError):
        decide(raw, stage="production", waivers=WaiverBook(), rollback_controls=[])
