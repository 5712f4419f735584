"""Statuses, waivers and the gate decision, from the report OPA returns."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from gatecheck.engine.config import Waiver
from gatecheck.engine.decision import decide
from gatecheck.engine.trust import Person, TrustPolicy, resolve
from gatecheck.engine.waivers import WaiverBook, WaiverRules
from gatecheck.errors import ConfigError, EngineError

AT = datetime(2026, 6, 1, tzinfo=UTC)
RELEASE = {"name": "payments-api", "version": "1.4.0"}
DIRECTORY = TrustPolicy(
    people=[Person(id="ciso", roles=["ciso"], aliases=["ciso@example.com"]), Person(id="a")]
)
RULES = WaiverRules(resolve(DIRECTORY, Path.cwd()))


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


def waiver(control_id: str, expires: str = "2026-08-01T00:00:00Z", **scope: str) -> Waiver:
    return Waiver.model_validate(
        {
            "control": control_id,
            "justification": "accepted risk, fix in 1.5",
            "approver": "ciso@example.com",
            "granted": "2026-05-20T00:00:00Z",
            "expires": expires,
            "scope": {"release": "payments-api", "version": "1.4.0", **scope},
        }
    )


def run(controls: list[dict], waivers: list[Waiver] = (), stage: str = "production", **raw):
    book = WaiverBook.at(list(waivers), AT, RELEASE, RULES)
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
            "approver": "ciso",
            "granted": "2026-05-01T00:00:00Z",
            "expires": "2026-07-01T00:00:00Z",
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


# -- waivers that do not qualify: each is refused with a one-line error naming it ------------

DIRECTORY_WITH_ROLES = TrustPolicy(
    people=[
        Person(id="ciso", roles=["ciso"], aliases=["ciso@example.com"]),
        Person(id="dev", roles=["developer"], aliases=["dev@example.com"]),
    ]
)


def qualified(**changes: object) -> dict:
    base = {
        "id": "WVR-1",
        "control": "GC-ART-005",
        "justification": "unreachable code path",
        "approver": "CISO@example.com",
        "granted": "2026-05-01T00:00:00Z",
        "expires": "2026-07-30T00:00:00Z",
        "scope": {"release": "payments-api", "vulnerability": "CVE-1"},
    }
    return {**base, **changes}


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"scope": {"release": "payments-api"}}, "release-wide waiver is refused"),
        ({"scope": {"release": "payments-api", "version": " "}}, "release-wide"),
        ({"approver": " "}, "approver is blank"),
        ({"approver": "cab@example.org"}, "not a person in the trust policy's directory"),
        ({"approver": "\u0441iso@example.com"}, "not a person"),  # Cyrillic look-alike
        ({"approver": "dev@example.com"}, "holds none of the roles in waiver_approver_roles"),
        ({"expires": "9999-12-31T00:00:00Z"}, "more than waiver_max_days (90) days"),
        ({"expires": "2026-07-30T00:00:01Z"}, "more than waiver_max_days"),
        ({"expires": "2026-04-30T00:00:00Z"}, "before it was granted"),
        ({"granted": "yesterday"}, "granted time"),
        ({"control": "GC-ART-002"}, "not waivable"),
        ({"control": "GC-EVD-001"}, "not waivable"),
    ],
)
def test_a_waiver_that_does_not_qualify_is_refused_naming_it(changes: dict, reason: str) -> None:
    rules = WaiverRules(resolve(DIRECTORY_WITH_ROLES, Path.cwd()))
    bad = Waiver.model_validate(qualified(**changes))
    with pytest.raises(ConfigError) as caught:
        WaiverBook.at([bad], AT, RELEASE, rules)
    message = str(caught.value)
    assert reason in message and message.startswith("waiver WVR-1") and "\n" not in message


def test_a_waiver_for_another_release_must_still_qualify() -> None:
    rules = WaiverRules(resolve(DIRECTORY_WITH_ROLES, Path.cwd()))
    other = Waiver.model_validate(
        qualified(approver="dev", scope={"release": "other", "version": "1.0.0"})
    )
    with pytest.raises(ConfigError, match="holds none of the roles"):
        WaiverBook.at([other], AT, RELEASE, rules)


def test_a_qualified_waiver_applies_and_limits_come_from_policy_data() -> None:
    rules = WaiverRules(resolve(DIRECTORY_WITH_ROLES, Path.cwd()))
    good = Waiver.model_validate(qualified())
    book = WaiverBook.at([good], AT, RELEASE, rules)
    assert book.match("GC-ART-005", {"scope": {"vulnerability": "CVE-1"}}) is good
    data = {"gatecheck": {"config": {"params": {"waiver_max_days": 30}}}}
    with pytest.raises(ConfigError, match=r"waiver_max_days \(30\)"):
        WaiverBook.at([good], AT, RELEASE, WaiverRules.of(rules.trust, data, "production"))
    staged = {"gatecheck": {"config": {"stages": {"dev": {"params": {"waiver_max_days": 0}}}}}}
    with pytest.raises(ConfigError, match="whole number"):
        WaiverRules.of(rules.trust, staged, "dev")


def test_a_waiver_granted_after_the_effective_time_has_no_effect() -> None:
    rules = WaiverRules(resolve(DIRECTORY_WITH_ROLES, Path.cwd()))
    later = Waiver.model_validate(
        qualified(granted="2026-06-02T00:00:00Z", expires="2026-08-01T00:00:00Z")
    )
    book = WaiverBook.at([later], AT, RELEASE, rules)
    assert book.match("GC-ART-005", {"scope": {"vulnerability": "CVE-1"}}) is None
    assert book.report()["unused"][0]["id"] == "WVR-1"
