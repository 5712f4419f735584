"""`gatecheck policy impact` over a ledger of generated releases recorded by the real
`gatecheck evaluate --ledger`: a tightened candidate flips exactly the releases between the
old and the new threshold, an unchanged one flips nothing, a missing archive is reported, a
bad ledger is exit 2 with one line, and 1 and 2 workers agree. A candidate whose trust policy
or waivers differ from the recorded ones is marked on every entry; Rego that does not compile
stops the run before any entry is re-evaluated, while Rego that fails at evaluation is
reported per entry. SQLite always, PostgreSQL when GATECHECK_TEST_POSTGRES_URL names a
server."""

from __future__ import annotations

import html
import json
import os
import re
import sqlite3
import time
from collections.abc import Iterator
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from impact_support import (
    TIGHTENED,
    Spec,
    build_release,
    candidate_config,
    effective_time,
    impact_kit,
    specs,
    write_policy,
)
from opa_support import require_opa
from test_ledger import PG_SKIP, PG_URL, _postgres_database
from trust_support import TrustKit

from gatecheck.cli.main import cli
from gatecheck.engine import embedded
from gatecheck.engine import impact as impact_module
from gatecheck.engine.config import Waiver
from gatecheck.engine.impact import Candidate, RecordedInputs
from gatecheck.engine.impact_render import render
from gatecheck.engine.ledger import Query, open_ledger

BACKENDS = [
    "sqlite",
    pytest.param("postgresql", marks=pytest.mark.skipif(not PG_URL, reason=PG_SKIP)),
]
COUNT = 6  # coverage levels 5, 6, 8, 10, 5, 6; scans vulnerable at 0 and 3


def _invoke(*args: str):  # noqa: ANN202 - click Result
    return CliRunner().invoke(cli, list(args))


@pytest.fixture(scope="module")
def releases(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """The generated release bundles, their specs, and the trust config that accepts them."""
    work = tmp_path_factory.mktemp("impact")
    kit = impact_kit()
    config = kit.write_config(work / "gatecheck.yaml")
    tightened = work / "tightened.json"
    tightened.write_text(json.dumps(TIGHTENED), encoding="utf-8")
    chosen = specs(COUNT)
    bundles = [build_release(work, kit, spec, i) for i, spec in enumerate(chosen)]
    return {"work": work, "kit": kit, "config": config, "tightened": tightened,
            "specs": chosen, "bundles": bundles}  # fmt: skip


def _record(url: str, releases: dict) -> None:
    for i, bundle in enumerate(releases["bundles"]):
        result = _invoke(
            "evaluate", str(bundle), "--stage", "staging", "--config", str(releases["config"]),
            "--at", effective_time(i), "--format", "json", "--ledger", url,
        )  # fmt: skip
        assert result.exit_code == 0, result.output
        assert json.loads(result.stdout)["decision"] == "pass"


@pytest.fixture(scope="module", params=BACKENDS)
def ledger_url(
    request: pytest.FixtureRequest, releases: dict, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """A ledger holding one real staging evaluation of every generated release."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('ledger') / 'ledger.db'}"
        _record(url, releases)
        yield url
    else:
        for url in _postgres_database():
            _record(url, releases)
            yield url


def _impact(url: str, releases: dict, *extra: str) -> dict:
    result = _invoke(
        "policy", "impact", "--ledger", url, "--config", str(releases["config"]),
        "--format", "json", *extra,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def _expected(chosen: list[Spec]) -> dict[int, dict[str, tuple[str, str]]]:
    """Entry id -> the control flips the tightened data must cause."""
    return {i + 1: spec.expected_flips() for i, spec in enumerate(chosen) if spec.expected_flips()}


def _seen(doc: dict) -> dict[int, dict[str, tuple[str, str]]]:
    return {
        e["id"]: {c["control"]: (c["old"], c["new"]) for c in e["controls"]} for e in doc["entries"]
    }


def test_a_tightened_threshold_flips_exactly_the_releases_between_old_and_new(
    ledger_url: str, releases: dict
) -> None:
    doc = _impact(ledger_url, releases, "--data", str(releases["tightened"]), "--workers", "2")
    chosen = releases["specs"]
    expected = _expected(chosen)
    # The fixture must exercise both thresholds and leave some releases untouched.
    assert {c for flips in expected.values() for c in flips} == {"GC-ART-005", "GC-TST-002"}
    assert len(expected) < COUNT
    assert _seen(doc) == expected
    vulnerable = [i + 1 for i, s in enumerate(chosen) if s.scan == "vulnerable"]
    changed = {e["id"]: (e["old_decision"], e["new_decision"]) for e in doc["entries"]}
    assert {i for i, e in changed.items() if e != ("pass", "pass")} == set(vulnerable)
    assert all(changed[i] == ("pass", "fail") for i in vulnerable)
    assert doc["totals"] == {
        "entries": COUNT, "reevaluated": COUNT, "not_reevaluated": 0,
        "decisions_changed": len(vulnerable), "controls_changed": sum(map(len, expected.values())),
        "errors": 0, "trust_policy_differs": 0, "waivers_differ": 0, "trust_and_waivers_unknown": 0,
    }  # fmt: skip
    assert doc["decisions"] == {"pass->fail": len(vulnerable)}
    assert doc["controls"] == {
        "GC-ART-005": {"pass->fail": len(vulnerable)},
        "GC-TST-002": {"pass->warn": sum(1 for s in chosen if s.coverage_level == 6)},
    }
    # The recorded configuration: the flips are the data's, and nothing says otherwise.
    same = {"trust_policy": "same", "waivers": "same", "differing_parts": [], "changes": []}
    assert all(e["trust_and_waivers"] == same for e in doc["entries"])
    entry = next(e for e in doc["entries"] if e["id"] == vulnerable[0])
    assert entry["release"] == f"impact-app@{chosen[vulnerable[0] - 1].version}"
    assert entry["stage"] == "staging"
    assert entry["effective_time"] == effective_time(vulnerable[0] - 1)


def test_the_unchanged_policy_set_flips_nothing(ledger_url: str, releases: dict) -> None:
    doc = _impact(ledger_url, releases)
    assert doc["entries"] == [] and doc["controls"] == {} and doc["decisions"] == {}
    assert doc["totals"]["reevaluated"] == COUNT
    with open_ledger(ledger_url, create=False) as book:
        assert {e.record.policy_digest for e in book.entries()} == {doc["policy_digest"]}


def test_one_and_two_workers_give_the_same_result(ledger_url: str, releases: dict) -> None:
    tight = ("--data", str(releases["tightened"]))
    one = _impact(ledger_url, releases, *tight, "--workers", "1")
    two = _impact(ledger_url, releases, *tight, "--workers", "2")
    assert one == two and one["totals"]["decisions_changed"] > 0


def test_filters_select_by_effective_time_and_release(ledger_url: str, releases: dict) -> None:
    tight = ("--data", str(releases["tightened"]), "--workers", "1")
    doc = _impact(ledger_url, releases, *tight, "--since", effective_time(1),
                  "--until", effective_time(3))  # fmt: skip
    assert doc["totals"]["entries"] == 2
    assert {e["id"] for e in doc["entries"]} == {2}  # entry 2: coverage 0.818 only
    doc = _impact(ledger_url, releases, *tight, "--release", "impact-app@1.0.3")
    assert [e["id"] for e in doc["entries"]] == [4]
    assert _impact(ledger_url, releases, *tight, "--stage", "production")["totals"]["entries"] == 0


def test_at_the_recorded_time_not_now(ledger_url: str, releases: dict, tmp_path: Path) -> None:
    """The scans are 24 h fresh only at their recorded effective times: a re-evaluation at
    any later time would fail every release on scan age. Lowering the age limit to 1 hour
    (each scan was signed 1 h before its evaluation) must flip none; to 0.5 must flip all."""
    for hours, flips in ((1, 0), (0.5, COUNT)):
        data = tmp_path / f"age-{hours}.json"
        data.write_text(json.dumps({"gatecheck": {"config": {"params": {
            "scan_max_age_hours": hours}}}}))  # fmt: skip
        doc = _impact(ledger_url, releases, "--data", str(data), "--workers", "1")
        assert doc["totals"]["decisions_changed"] == flips, doc


def test_fail_on_flip_exits_1_only_when_a_decision_changes(ledger_url: str, releases: dict) -> None:
    base = ("policy", "impact", "--ledger", ledger_url, "--config", str(releases["config"]),
            "--workers", "1", "--fail-on-flip")  # fmt: skip
    assert _invoke(*base).exit_code == 0
    coverage_only = ("--release", "impact-app@1.0.1", "--data", str(releases["tightened"]))
    assert _invoke(*base, *coverage_only).exit_code == 0  # a control flip, not a decision
    flipped = _invoke(*base, "--data", str(releases["tightened"]))
    assert flipped.exit_code == 1, flipped.output
    assert "FLIP entry 1" in flipped.stdout


# -- what cannot be re-evaluated, and bad input -----------------------------------------------


@pytest.fixture
def sqlite_copy(releases: dict, tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    _record(url, {**releases, "bundles": releases["bundles"][:2]})
    return url


def test_a_missing_archive_is_reported_not_skipped(sqlite_copy: str, releases: dict) -> None:
    with open_ledger(sqlite_copy, create=False) as book:
        gone = next(book.entries()).record.archive_sha256
    archive = Path(sqlite_copy.removeprefix("sqlite:///") + ".bundles") / f"{gone}.tar.gz"
    archive.unlink()
    doc = _impact(sqlite_copy, releases, "--workers", "1")
    assert doc["totals"] == {"entries": 2, "reevaluated": 1, "not_reevaluated": 1,
                             "decisions_changed": 0, "controls_changed": 0, "errors": 0,
                             "trust_policy_differs": 0, "waivers_differ": 0,
                             "trust_and_waivers_unknown": 0}  # fmt: skip
    (entry,) = doc["entries"]
    assert entry["id"] == 1 and entry["new_decision"] is None
    assert entry["trust_and_waivers"] is None  # nothing was evaluated to compare
    assert f"bundle archive {gone[:16]}" in entry["problem"]
    text = _invoke("policy", "impact", "--ledger", sqlite_copy, "--config",
                   str(releases["config"]), "--workers", "1", "--fail-on-flip")  # fmt: skip
    assert text.exit_code == 1  # impact unknown for entry 1: not a clean bill
    assert "SKIP entry 1" in text.stdout and "1 not re-evaluated" in text.stdout


def test_an_entry_without_archive_is_reported(sqlite_copy: str, releases: dict) -> None:
    db = sqlite_copy.removeprefix("sqlite:///")
    with sqlite3.connect(db) as conn:  # as an evaluation of an unverifiable bundle records it
        conn.execute("UPDATE entries SET archive_sha256 = NULL WHERE seq = 2")
    doc = _impact(sqlite_copy, releases, "--workers", "1")
    (entry,) = doc["entries"]
    assert entry["id"] == 2 and "no bundle archive was recorded" in entry["problem"]


def test_an_unreadable_effective_time_is_that_entrys_problem(
    sqlite_copy: str, releases: dict
) -> None:
    with sqlite3.connect(sqlite_copy.removeprefix("sqlite:///")) as conn:
        conn.execute("UPDATE entries SET effective_time = 'last tuesday' WHERE seq = 1")
    doc = _impact(sqlite_copy, releases, "--workers", "2")
    (entry,) = doc["entries"]
    assert entry["id"] == 1 and entry["new_decision"] is None
    assert "effective time" in entry["problem"] and "last tuesday" in entry["problem"]
    assert doc["totals"]["reevaluated"] == 1


def test_a_re_evaluation_error_is_counted(sqlite_copy: str, releases: dict, tmp_path: Path) -> None:
    """A candidate whose trust policy no longer knows the CI key, with authentication
    required at staging: every entry flips to error and says why."""
    data = tmp_path / "require.json"
    data.write_text(json.dumps({"gatecheck": {"config": {"stages": {"staging": {"params": {
        "require_authenticated_evidence": True}}}}}}))  # fmt: skip
    other = TrustKit.standard([]).write_config(tmp_path / "other.yaml")
    result = _invoke("policy", "impact", "--ledger", sqlite_copy, "--config", str(other),
                     "--data", str(data), "--workers", "1", "--format", "json")  # fmt: skip
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["totals"]["decisions_changed"] == 2, doc
    assert doc["decisions"] and all(k.startswith("pass->") for k in doc["decisions"])


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("sqlite:////nonexistent-dir/ledger.db", "does not exist"),
        ("mysql://db/ledger", "is not supported"),
    ],
)
def test_a_bad_ledger_is_exit_2_with_one_line(url: str, message: str) -> None:
    result = _invoke("policy", "impact", "--ledger", url)
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1 and message in result.stderr
    assert result.stderr.startswith("gatecheck: error: ")


def test_no_ledger_and_a_broken_candidate_are_usage_errors(
    sqlite_copy: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("GATECHECK_LEDGER", raising=False)
    result = _invoke("policy", "impact")
    assert result.exit_code == 2 and "no ledger given" in result.stderr
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    result = _invoke("policy", "impact", "--ledger", sqlite_copy, "--data", str(bad))
    assert result.exit_code == 2 and result.stderr.count("\n") == 1, result.output
    result = _invoke("policy", "impact", "--ledger", sqlite_copy, "--since", "yesterday")
    assert result.exit_code == 2 and "--since" in result.stderr


def test_html_is_self_contained_and_escapes(sqlite_copy: str, releases: dict,
                                            tmp_path: Path) -> None:  # fmt: skip
    out = tmp_path / "impact.html"
    result = _invoke("policy", "impact", "--ledger", sqlite_copy, "--config",
                     str(releases["config"]), "--data", str(releases["tightened"]),
                     "--workers", "1", "--format", "html", "-o", str(out))  # fmt: skip
    assert result.exit_code == 0, result.output
    page = out.read_text()
    assert "default-src 'none'" in html.unescape(page) and "<script" not in page
    assert "http://" not in page and "https://" not in page.replace("https://gatecheck.dev", "")
    assert "GC-ART-005" in page and "impact-app@1.0.0" in page and "decision changed" in page
    # Release names and messages come from bundles and evaluations: escaped, never markup.
    doc = {"policy_digest": "sha256:x", "totals": dict.fromkeys(
        ("entries", "reevaluated", "not_reevaluated", "decisions_changed", "controls_changed",
         "errors", "trust_policy_differs", "waivers_differ", "trust_and_waivers_unknown"), 1),
        "decisions": {}, "controls": {},
        "entries": [{"id": 1, "release": "<img src=x>@1", "stage": "staging",
                     "effective_time": "t", "old_decision": "pass", "new_decision": "fail",
                     "decision_changed": True, "controls": [],
                     "problem": "<script>alert(1)</script>",
                     "trust_and_waivers": {"trust_policy": "differs", "waivers": "same",
                                           "differing_parts": ["<i>anchors</i>"]}}]}  # fmt: skip
    hostile = render(doc, "html")
    assert "<img" not in hostile and "<script" not in hostile and "&lt;img src=x&gt;" in hostile
    assert "<i>" not in hostile and "&lt;i&gt;anchors&lt;/i&gt;" in hostile
    # What changed names waivers and owners from the configuration: escaped too.
    doc["entries"][0]["trust_and_waivers"]["changes"] = ["the waivers differ: waiver <u>W</u>"]
    hostile = render(doc, "html")
    assert "<u>" not in hostile and "waiver &lt;u&gt;W&lt;/u&gt;" in hostile


# -- a candidate configuration other than the recorded one ------------------------------------

TRUST_POLICY = "trust policy (producers, people, roles)"


# What each candidate changed, as the entries' `changes` say it (a key id is any hex).
KEY = "key [0-9a-f]{64}"
CHANGES = {
    "producer": [
        re.escape(f"the {TRUST_POLICY} differ"),
        f"the trust anchors differ: {KEY} \\(producer:release-bot\\) is not one of the report's",
    ],
    "trusted-key": [f"the trust anchors differ: {KEY} \\(trusted_keys\\) is not one of the report's"],
    "waiver": [re.escape("the waivers differ: waiver W-GC-ART-005-1.0.0 is not one of the report's")],
    "none": [],
}  # fmt: skip


@pytest.mark.parametrize(
    ("change", "trust_policy", "waivers", "parts"),
    [
        ("producer", "differs", "same", [TRUST_POLICY, "trust anchors"]),
        ("trusted-key", "differs", "same", ["trust anchors"]),
        ("waiver", "same", "differs", ["waivers"]),
        ("none", "same", "same", []),
    ],
)
def test_a_trust_policy_or_waivers_other_than_recorded_are_named_on_every_entry(
    ledger_url: str, releases: dict, tmp_path: Path,
    change: str, trust_policy: str, waivers: str, parts: list[str],
) -> None:  # fmt: skip
    """The tightened data with a configuration that differs from the recorded one in one
    part (or not at all, written as JSON instead of YAML): every entry that changes says
    which part differs, and the totals count every re-evaluated entry, listed or not."""
    config = candidate_config(releases["kit"], tmp_path / "candidate.yaml", change)
    result = _invoke(
        "policy", "impact", "--ledger", ledger_url, "--config", str(config),
        "--data", str(releases["tightened"]), "--workers", "2", "--format", "json",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    expected = _expected(releases["specs"])
    if change == "waiver":  # 1.0.0's GC-ART-005 failure is waived: the decision stays pass
        expected[1] = {**expected[1], "GC-ART-005": ("pass", "waived")}
    assert _seen(doc) == expected
    inputs = [e["trust_and_waivers"] for e in doc["entries"]]
    assert [{k: v for k, v in i.items() if k != "changes"} for i in inputs] == [
        {"trust_policy": trust_policy, "waivers": waivers, "differing_parts": parts}
    ] * len(expected)
    for i in inputs:  # what changed, not only which part
        assert len(i["changes"]) == len(CHANGES[change])
        assert all(re.fullmatch(p, c) for p, c in zip(CHANGES[change], i["changes"], strict=True))
    differs = COUNT if change != "none" else 0
    assert doc["totals"]["trust_policy_differs"] == (differs if trust_policy == "differs" else 0)
    assert doc["totals"]["waivers_differ"] == (differs if waivers == "differs" else 0)
    assert doc["totals"]["trust_and_waivers_unknown"] == 0
    text = render(doc, "text")
    page = render(doc, "html")
    if change == "none":
        assert "warning" not in text.lower() and "Warning" not in page
        return
    label = "trust policy" if trust_policy == "differs" else "waiver set"
    notes = [line for line in text.splitlines() if line.startswith("        warning: ")]
    assert len(notes) == len(expected)
    first = inputs[0]["changes"][0]
    assert all(f"different {label} than recorded ({first}" in n for n in notes)
    assert f"warning: of {COUNT} re-evaluated entries, {COUNT} under a different {label}" in text
    assert page.count(f"Warning: evaluated under a different {label}") == len(expected)


def test_the_candidate_is_loaded_once_for_every_entry(
    sqlite_copy: str, releases: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The snapshot whose compilation was checked is the one every entry is evaluated under:
    no entry reads the policy files or the configuration again."""
    import gatecheck.engine.evaluate as evaluate_module

    loads: list[int] = []
    real = evaluate_module.load_policies

    def counted(request):  # noqa: ANN001, ANN202 - as the real one
        loads.append(1)
        return real(request)

    monkeypatch.setattr(evaluate_module, "load_policies", counted)
    doc = _impact(sqlite_copy, releases, "--data", str(releases["tightened"]), "--workers", "1")
    assert doc["totals"]["reevaluated"] == 2 and doc["totals"]["errors"] == 0
    assert loads == [1]


def test_a_report_without_part_digests_says_unknown(sqlite_copy: str, releases: dict) -> None:
    """Reports written before they carried part digests: whether the trust policy and the
    waivers match is unknown, said per entry and counted; the other entry is compared."""
    with open_ledger(sqlite_copy, create=False) as book:
        first = next(book.entries()).record
    assert first.report_kind == "json"
    old = json.loads(first.report)
    del old["policy"]["parts"]
    with sqlite3.connect(sqlite_copy.removeprefix("sqlite:///")) as conn:
        conn.execute("UPDATE entries SET report = ? WHERE seq = 1", (json.dumps(old).encode(),))
    result = _invoke("policy", "impact", "--ledger", sqlite_copy, "--config",
                     str(releases["config"]), "--data", str(releases["tightened"]),
                     "--workers", "1")  # fmt: skip
    assert result.exit_code == 0, result.output
    text = result.stdout
    assert text.count("whether the trust policy and waiver set match") == 1
    assert "for 1 the trust policy or waivers are unknown" in text
    doc = _impact(sqlite_copy, releases, "--data", str(releases["tightened"]), "--workers", "1")
    inputs = {e["id"]: e["trust_and_waivers"] for e in doc["entries"]}
    assert inputs == {
        1: {"trust_policy": "unknown", "waivers": "unknown", "differing_parts": [], "changes": []},
        2: {"trust_policy": "same", "waivers": "same", "differing_parts": [], "changes": []},
    }
    assert doc["totals"]["trust_and_waivers_unknown"] == 1


def test_recorded_inputs_name_only_the_parts_that_differ() -> None:
    """The comparison itself, on part digests as reports hold them."""
    digests = {TRUST_POLICY: "a", "trust anchors": "b", "Sigstore roots": "c", "waivers": "d",
               "params": "e"}  # fmt: skip

    def compare(recorded: Any, candidate: dict[str, str]) -> RecordedInputs:
        policy = {"parts": recorded} if isinstance(recorded, dict) else recorded
        return RecordedInputs.compare(policy, candidate, {})

    same = compare(digests, dict(digests))
    assert (same.trust_policy, same.waivers, same.differing_parts) == ("same", "same", ())
    assert same.changes == ()
    # Parameters are the candidate's to change: not a trust policy or waiver difference.
    assert compare(digests, {**digests, "params": "x"}) == same
    roots = compare(digests, {**digests, "Sigstore roots": "x"})
    assert (roots.trust_policy, roots.differing_parts) == ("differs", ("Sigstore roots",))
    # A part the report does not hold is unknown, not the same; one that differs still counts.
    no_waivers = {k: v for k, v in digests.items() if k != "waivers"}
    partial = compare(no_waivers, digests)
    assert (partial.trust_policy, partial.waivers) == ("same", "unknown")
    mixed = compare({"trust anchors": "b"}, {**digests, "trust anchors": "x"})
    assert (mixed.trust_policy, mixed.waivers) == ("differs", "unknown")
    for junk in (None, [], "sha256:...", {}, {"parts": "x"}):
        unknown = RecordedInputs.compare(junk, digests, {})
        assert (unknown.trust_policy, unknown.waivers) == ("unknown", "unknown")


def _waiver(control: str, expires: str, waiver_id: str | None = None) -> dict[str, Any]:
    """A waiver as the report's ``policy.bindings`` records it."""
    return Waiver(
        id=waiver_id,
        control=control,
        scope={"release": "payments-api", "component": "pkg:pypi/x@1"},
        justification="compensating control in place",
        approver="r.haddad",
        granted="2026-11-01T00:00:00Z",
        expires=expires,
    ).model_dump(mode="json", exclude_none=True)


def test_recorded_inputs_say_what_changed_where_the_report_holds_it() -> None:
    """Trust anchors and waivers by content (the report's ``policy.bindings``); the producers,
    people and roles by digest only."""
    recorded = {
        "parts": {TRUST_POLICY: "a", "trust anchors": "b", "waivers": "c"},
        "bindings": {
            "trust_anchors": {"keys": {"key:1": ["producer:ci-build"]}, "sigstore": []},
            "waivers": [
                _waiver("GC-ART-005", "2026-12-01T00:00:00Z", "W-1"),
                _waiver("GC-TST-002", "2026-12-01T00:00:00Z", "W-2"),
            ],
        },
    }
    bindings = {
        "trust_anchors": {
            "keys": {"key:1": ["producer:ci-build"], "key:2": ["person:mallory"]},
            "sigstore": [],
        },
        "waivers": [
            _waiver("GC-ART-005", "2026-12-20T00:00:00Z", "W-1"),  # extended
            _waiver("GC-CHG-001", "2026-12-01T00:00:00Z"),  # new, without an id
            {"id": "W-OLD", "control": "GC-ART-001"},  # a shape this version no longer reads
        ],
    }
    inputs = RecordedInputs.compare(
        recorded, {TRUST_POLICY: "z", "trust anchors": "y", "waivers": "x"}, bindings
    )
    assert inputs.changes == (
        f"the {TRUST_POLICY} differ",
        "the trust anchors differ: key key:2 (person:mallory) is not one of the report's",
        "the waivers differ: waiver W-OLD is not one of the report's; waiver for GC-CHG-001 "
        "(release=payments-api, component=pkg:pypi/x@1) is not one of the report's; the "
        "report's waiver W-2 is missing; waiver W-1 grants something else than in the report",
    )
    assert inputs.as_dict()["changes"] == list(inputs.changes)


# -- a candidate that does not compile, or fails at evaluation ---------------------------------


@pytest.fixture
def entry_loop(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The number of tasks each start of the per-entry loop was given."""
    started: list[int] = []
    real = impact_module._outcomes

    def outcomes(candidate, loaded, tasks, workers):  # noqa: ANN001, ANN202 - as the real one
        started.append(len(tasks))
        return real(candidate, loaded, tasks, workers)

    monkeypatch.setattr(impact_module, "_outcomes", outcomes)
    return started


@pytest.fixture(scope="module")
def full_run_seconds() -> dict[tuple[str, str], float]:
    """(ledger, engine) -> seconds a run re-evaluating every entry took (filled on first use)."""
    return {}


@pytest.mark.parametrize(
    ("rego", "engine", "message"),
    [
        ("unsafe-variable", "embedded", "unsafe_variable.rego:6: rego_unsafe_var_error: var level is unsafe"),
        ("wrong-arity", "embedded", "wrong_arity.rego:5: rego_type_error: startswith: arity mismatch"),
        ("parse-error", "embedded", "parse_error.rego:6: rego_parse_error: unexpected eof token"),
        ("unsafe-variable", "opa", "OPA rego_unsafe_var_error: candidate/unsafe_variable.rego:6: var level is unsafe"),
        ("wrong-arity", "opa", "OPA rego_type_error: candidate/wrong_arity.rego:5: startswith: arity mismatch"),
    ],
)  # fmt: skip
def test_a_candidate_that_does_not_compile_stops_before_any_entry(
    ledger_url: str, releases: dict, tmp_path: Path, entry_loop: list[int],
    full_run_seconds: dict[tuple[str, str], float], rego: str, engine: str, message: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    """One line naming OPA's error, exit 2, no output, the per-entry loop never started, and
    in less than half the time of a run that re-evaluates the ledger's entries (re-evaluating
    each only to fail would take about as long)."""
    extra = ["--opa-path", require_opa()] if engine == "opa" else []
    base = ("policy", "impact", "--ledger", ledger_url, "--config", str(releases["config"]),
            "--workers", "1", "--engine", engine, *extra)  # fmt: skip
    start = time.perf_counter()
    result = _invoke(*base, "--policy", str(write_policy(tmp_path / "candidate", rego)))
    failed_in = time.perf_counter() - start
    assert result.exit_code == 2, result.output
    assert result.stdout == "" and result.stderr.count("\n") == 1
    assert result.stderr.startswith("gatecheck: error: the candidate policy set does not compile")
    assert message in result.stderr and "no entry was re-evaluated" in result.stderr
    assert entry_loop == []
    if (ledger_url, engine) not in full_run_seconds:
        # Timed with a fresh OPA worker per entry, as re-evaluating each only to fail would
        # run: an evaluation that fails never keeps its worker for the next entry.
        with monkeypatch.context() as fresh:
            fresh.setattr(impact_module, "Candidate", partial(Candidate, reuse_workers=False))
            start = time.perf_counter()
            assert _invoke(*base).exit_code == 0
            full_run_seconds[ledger_url, engine] = time.perf_counter() - start
        assert entry_loop == [COUNT]
    assert failed_in < full_run_seconds[ledger_url, engine] / 2, (failed_in, full_run_seconds)


def test_an_evaluation_error_on_some_entries_is_reported_per_entry(
    ledger_url: str, releases: dict, tmp_path: Path, entry_loop: list[int]
) -> None:
    """Rego that compiles but divides by zero for 1.0.0 and 1.0.3 only: those two entries
    end in error with OPA's message, the others are unchanged."""
    policy = write_policy(tmp_path / "candidate", "divide-by-zero-some")
    result = _invoke("policy", "impact", "--ledger", ledger_url, "--config",
                     str(releases["config"]), "--policy", str(policy), "--workers", "1",
                     "--format", "json")  # fmt: skip
    assert result.exit_code == 0, result.output
    assert entry_loop == [COUNT]
    doc = json.loads(result.stdout)
    failing = [i + 1 for i, s in enumerate(releases["specs"]) if int(s.version[-1]) % 3 == 0]
    assert failing == [1, 4]
    assert [e["id"] for e in doc["entries"]] == failing
    for entry in doc["entries"]:
        assert (entry["old_decision"], entry["new_decision"]) == ("pass", "error")
        assert "eval_builtin_error: div: divide by zero" in entry["problem"]
    assert doc["totals"]["errors"] == 2 and doc["decisions"] == {"pass->error": 2}
    assert doc["totals"]["reevaluated"] == COUNT


def test_an_evaluation_error_on_every_input_is_still_per_entry(
    sqlite_copy: str, releases: dict, tmp_path: Path
) -> None:
    """Failing on the empty input too is an evaluation error, not a compile error: the run
    goes on and each entry says so."""
    policy = write_policy(tmp_path / "candidate", "divide-by-zero-all")
    text = _invoke("policy", "impact", "--ledger", sqlite_copy, "--config",
                   str(releases["config"]), "--policy", str(policy), "--workers", "1")  # fmt: skip
    assert text.exit_code == 0, text.output
    assert text.stdout.count("div: divide by zero") == 2
    assert "FLIP entry 1" in text.stdout and "FLIP entry 2" in text.stdout


# --- one compiled OPA worker per impact worker -----------------------------------------------


def _workers_started(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Every embedded OPA worker process started in this process (one entry each)."""
    started: list[int] = []
    real = embedded._Worker.__init__

    def counted(self: embedded._Worker, *args: object, **kwargs: object) -> None:
        real(self, *args, **kwargs)  # type: ignore[arg-type]
        started.append(self.proc.pid)

    monkeypatch.setattr(embedded._Worker, "__init__", counted)
    return started


@pytest.mark.parametrize("candidate", ["tightened", "divide-by-zero-some"])
def test_reusing_the_compiled_worker_gives_the_results_fresh_workers_give(
    ledger_url: str, releases: dict, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    candidate: str,
) -> None:  # fmt: skip
    """The whole result, byte for byte, with one kept OPA worker and with a fresh one per
    entry, with 1 and 2 workers; and with 1 worker the kept one really served every entry
    (one worker for the compile check, one for the entries), while a failing entry's worker
    is replaced."""
    if candidate == "tightened":
        extra = {"data_files": (releases["tightened"],)}
    else:
        extra = {"policy_dirs": (write_policy(tmp_path / "candidate", candidate),)}
    docs = {}
    for reuse in (True, False):
        for workers in (1, 2):
            started = _workers_started(monkeypatch)
            chosen = Candidate(ledger_url, config_file=releases["config"], reuse_workers=reuse,
                               **extra)  # fmt: skip
            result = impact_module.impact(chosen, Query(), workers)
            docs[reuse, workers] = json.dumps(result.as_dict()).encode()
            if workers == 1:
                # The compile check's worker, the first entry's, and a new one after each
                # failing entry (entries 1 and 4: never the last).
                failing = len(result.errors)
                expected = 2 + failing if reuse else 1 + COUNT
                assert len(started) == expected, (reuse, started)
    assert len(set(docs.values())) == 1, "the results differ with and without reuse"
    doc = json.loads(docs[True, 1])
    assert doc["totals"]["reevaluated"] == COUNT
    assert doc["totals"]["decisions_changed"] == 2  # two vulnerable, or two failing, releases


def test_no_opa_worker_outlives_the_run(
    sqlite_copy: str, releases: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    from test_faults import MARKER_ENV, _marked_processes

    marker = f"impact-{os.getpid()}"
    monkeypatch.setenv(MARKER_ENV, marker)  # inherited by the pool and the OPA workers
    for workers in (1, 2):
        doc = _impact(sqlite_copy, releases, "--workers", str(workers))
        assert doc["totals"]["reevaluated"] == 2
        assert _marked_processes(marker) == [], f"OPA workers left running ({workers})"
