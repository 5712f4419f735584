"""The embedded engine's kept worker (``EmbeddedEngine(reuse=True)``, used by policy impact):
one compiled OPA worker serves many evaluations of one policy set. Each answer must be the one
a fresh worker gives for that input alone; another policy set, data or query gets another
worker; a worker that dies, hangs or answers garbage is killed, that evaluation ends in the
error a fresh worker's failure gives, and the next evaluation starts a fresh worker.

The broken workers are real processes standing in for the worker (``sys.executable`` pointed
at a script), as in tests/test_faults.py; everything else runs the real engine."""

from __future__ import annotations

import json
import os
import signal
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from helpers import org_control
from impact_support import TIGHTENED, Spec, build_release, effective_time, impact_kit
from test_engine_warm import INPUT, POLICIES
from test_faults import MARKER_ENV, _fake_worker, _marked_processes

from gatecheck.engine.config import load_config
from gatecheck.engine.embedded import EmbeddedEngine
from gatecheck.engine.evaluate import EvaluationRequest, evaluate
from gatecheck.engine.interface import REPORT_QUERY
from gatecheck.engine.policy import load_policy_set
from gatecheck.errors import EngineError
from gatecheck.timeutil import parse_rfc3339


def _pid(engine: EmbeddedEngine) -> int:
    """The kept worker's process id; fails when no live worker is kept."""
    kept = engine._kept
    assert kept is not None and kept.alive(), "no worker was kept"
    return kept.worker.proc.pid


def _with_release(name: str, version: str = "1.4.0") -> dict[str, Any]:
    return {**INPUT, "release": {**INPUT["release"], "name": name, "version": version}}


# --- no state carried from one evaluation to the next --------------------------------------


@pytest.fixture(scope="module")
def two_releases(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Two real signed bundles whose staging results differ: A vulnerable with coverage
    0.77, B clean with full coverage; and the configuration whose trust policy accepts them."""
    work = tmp_path_factory.mktemp("reuse")
    kit = impact_kit()
    config_path = kit.write_config(work / "gatecheck.yaml")
    tightened = work / "tightened.json"
    tightened.write_text(json.dumps(TIGHTENED), encoding="utf-8")
    a = build_release(work, kit, Spec("1.0.0", 5, "vulnerable"), 0)
    b = build_release(work, kit, Spec("1.0.1", 10, "clean"), 1)
    return {"config": load_config(config_path), "tightened": tightened, "a": a, "b": b}


def _report(releases: dict[str, Any], name: str, engine: EmbeddedEngine) -> dict[str, Any]:
    config, config_dir = releases["config"]
    index = {"a": 0, "b": 1}[name]
    request = EvaluationRequest(
        bundle=releases[name],
        stage="staging",
        effective=parse_rfc3339(effective_time(index), what="the test's time"),
        data_files=[releases["tightened"]],
        config=config,
        config_dir=config_dir,
    )
    report = evaluate(request, engine)
    assert report["decision"] != "error", report.get("error")
    report.pop("created_at")
    return report


def _bytes(report: dict[str, Any]) -> bytes:
    return json.dumps(report, ensure_ascii=False).encode("utf-8")


def test_a_then_b_on_one_worker_gives_exactly_what_a_fresh_worker_gives_for_b(
    two_releases: dict[str, Any],
) -> None:
    fresh_a = _report(two_releases, "a", EmbeddedEngine())
    fresh_b = _report(two_releases, "b", EmbeddedEngine())
    assert fresh_a["results"] != fresh_b["results"], "A and B must differ to show a leak"
    assert fresh_a["decision"] == "fail" and fresh_b["decision"] == "pass"
    engine = EmbeddedEngine(reuse=True)
    try:
        assert _bytes(_report(two_releases, "a", engine)) == _bytes(fresh_a)
        worker = _pid(engine)
        assert _bytes(_report(two_releases, "b", engine)) == _bytes(fresh_b)
        assert _bytes(_report(two_releases, "a", engine)) == _bytes(fresh_a)
        assert _bytes(_report(two_releases, "b", engine)) == _bytes(fresh_b)
        assert _pid(engine) == worker, "the evaluations did not share one worker"
    finally:
        engine.stop_workers()


def test_an_input_field_one_evaluation_had_is_absent_from_the_next() -> None:
    """OPA's answer for an input without a release name, after one with it: a leaked
    input (merged rather than replaced) would still have the name."""
    nameless = {**INPUT, "release": {k: v for k, v in INPUT["release"].items() if k != "name"}}
    engine = EmbeddedEngine(reuse=True)
    try:
        engine.evaluate(POLICIES, _with_release("leaky-app"), REPORT_QUERY)
        after = engine.evaluate(POLICIES, nameless, REPORT_QUERY)
        assert "leaky-app" not in json.dumps(after)
        assert after == EmbeddedEngine().evaluate(POLICIES, nameless, REPORT_QUERY)
    finally:
        engine.stop_workers()


def test_the_one_shot_engine_keeps_no_worker() -> None:
    engine = EmbeddedEngine()
    engine.evaluate(POLICIES, INPUT, REPORT_QUERY)
    assert engine._kept is None and engine._spare is None


# --- which evaluations may share a worker ---------------------------------------------------


def _org(tmp_path: Path) -> Path:
    org = tmp_path / "org"
    org.mkdir()
    (org / "extra.rego").write_text(org_control("true"))
    return org


def test_another_policy_set_data_or_query_gets_a_new_worker(tmp_path: Path) -> None:
    changes = {
        "a module added": (load_policy_set([_org(tmp_path)]), REPORT_QUERY),
        "data changed": (load_policy_set(overlay=TIGHTENED), REPORT_QUERY),
        "another query": (POLICIES, "gatecheck.main"),
    }
    for what, (policies, query) in changes.items():
        engine = EmbeddedEngine(reuse=True)
        try:
            engine.evaluate(POLICIES, INPUT, REPORT_QUERY)
            first = engine._kept
            assert first is not None
            answer = engine.evaluate(policies, INPUT, query)
            assert first.worker.proc.poll() is not None, f"{what}: the old worker still runs"
            assert _pid(engine) != first.worker.proc.pid, f"{what}: the old worker was reused"
            assert answer == EmbeddedEngine().evaluate(policies, INPUT, query), what
        finally:
            engine.stop_workers()


def test_the_same_policy_set_loaded_again_or_with_other_bindings_shares_the_worker() -> None:
    """The key is what the worker compiled: the same files and data loaded anew are the same;
    bindings (trust anchors, waivers...) change the policy digest but never reach OPA."""
    rebound = load_policy_set(bindings={"waivers": [{"id": "W-1"}]})
    assert rebound.digest != POLICIES.digest
    engine = EmbeddedEngine(reuse=True)
    try:
        engine.evaluate(POLICIES, INPUT, REPORT_QUERY)
        worker = _pid(engine)
        engine.evaluate(load_policy_set(), INPUT, REPORT_QUERY)
        assert engine.evaluate(rebound, INPUT, REPORT_QUERY) == EmbeddedEngine().evaluate(
            rebound, INPUT, REPORT_QUERY
        )
        assert _pid(engine) == worker
    finally:
        engine.stop_workers()


def test_an_evaluation_given_up_before_its_input_hands_the_worker_back() -> None:
    engine = EmbeddedEngine(reuse=True)
    try:
        engine.evaluate(POLICIES, INPUT, REPORT_QUERY)
        worker = _pid(engine)
        pending = engine.start(POLICIES, REPORT_QUERY)
        assert engine._kept is None, "the evaluation did not take the worker"
        pending.cancel()  # e.g. the bundle could not be read
        assert _pid(engine) == worker
        assert engine.evaluate(POLICIES, INPUT, REPORT_QUERY)["controls"]
        assert _pid(engine) == worker
    finally:
        engine.stop_workers()


def test_evaluations_on_several_threads_each_get_a_worker_and_one_is_kept() -> None:
    expected = {
        name: EmbeddedEngine().evaluate(POLICIES, _with_release(name), REPORT_QUERY)
        for name in ("app-0", "app-1", "app-2")
    }
    engine = EmbeddedEngine(reuse=True)

    def one(i: int) -> bool:
        name = f"app-{i % 3}"
        return engine.evaluate(POLICIES, _with_release(name), REPORT_QUERY) == expected[name]

    try:
        with ThreadPoolExecutor(max_workers=3) as pool:
            assert all(pool.map(one, range(9)))
        _pid(engine)
    finally:
        engine.stop_workers()
    assert engine._kept is None


# --- failures: one error, the worker killed, a fresh one next --------------------------------


def test_a_worker_killed_while_kept_is_replaced_without_an_error() -> None:
    engine = EmbeddedEngine(reuse=True)
    try:
        engine.evaluate(POLICIES, INPUT, REPORT_QUERY)
        dead = _pid(engine)
        os.kill(dead, signal.SIGKILL)
        assert engine._kept is not None
        engine._kept.worker.proc.wait(10)
        answer = engine.evaluate(POLICIES, INPUT, REPORT_QUERY)
        assert answer == EmbeddedEngine().evaluate(POLICIES, INPUT, REPORT_QUERY)
        assert _pid(engine) != dead
    finally:
        engine.stop_workers()


def test_a_worker_killed_during_an_evaluation_fails_it_and_the_next_one_recovers() -> None:
    engine = EmbeddedEngine(reuse=True)
    try:
        engine.evaluate(POLICIES, INPUT, REPORT_QUERY)
        kept = engine._kept
        assert kept is not None
        pending = engine.start(POLICIES, REPORT_QUERY)  # takes the kept worker
        kept.worker.proc.kill()
        with pytest.raises(EngineError, match=r"crashed \(exit -9\)"):
            pending.finish(INPUT)
        pending.cancel()
        assert engine._kept is None, "a dead worker was kept"
        answer = engine.evaluate(POLICIES, INPUT, REPORT_QUERY)
        assert answer == EmbeddedEngine().evaluate(POLICIES, INPUT, REPORT_QUERY)
        assert _pid(engine) != kept.worker.proc.pid
    finally:
        engine.stop_workers()


def _slow_for(name: str, tmp_path: Path) -> Path:
    """A policy that runs for many seconds, only for a release named ``name``."""
    org = tmp_path / "slow"
    org.mkdir()
    (org / "slow.rego").write_text(
        "package gatecheck.controls.slow\n\nimport rego.v1\n\n"
        f'spin if {{\n\tinput.release.name == "{name}"\n'
        "\tsome a in numbers.range(1, 20000)\n\tsome b in numbers.range(1, 20000)\n"
        "\ta * b < 0\n}\n"
    )
    return org


def test_a_timeout_kills_the_worker_and_the_next_evaluation_gets_a_fresh_one(
    tmp_path: Path,
) -> None:
    policies = load_policy_set([_slow_for("slow-app", tmp_path)])
    # 5 s: the first evaluation compiles the library within it, on a busy machine too.
    engine = EmbeddedEngine(timeout=5, reuse=True)
    try:
        quick = engine.evaluate(policies, INPUT, REPORT_QUERY)
        kept = engine._kept
        assert kept is not None
        with pytest.raises(EngineError, match="did not finish within 5 s and was stopped"):
            engine.evaluate(policies, _with_release("slow-app"), REPORT_QUERY)
        assert kept.worker.proc.poll() is not None, "the timed-out worker still runs"
        assert engine._kept is None
        assert engine.evaluate(policies, INPUT, REPORT_QUERY) == quick
        assert _pid(engine) != kept.worker.proc.pid
    finally:
        engine.stop_workers()


def test_a_policy_error_answer_is_reported_and_the_worker_not_kept(tmp_path: Path) -> None:
    org = tmp_path / "org"
    org.mkdir()
    (org / "bad.rego").write_text(
        org_control('input.release.name == "bad-app"\n\ttime.parse_rfc3339_ns("not a time") > 0')
    )
    policies = load_policy_set([org])
    engine = EmbeddedEngine(reuse=True)
    try:
        engine.evaluate(policies, INPUT, REPORT_QUERY)
        with pytest.raises(EngineError, match="parse_rfc3339_ns") as kept_error:
            engine.evaluate(policies, _with_release("bad-app"), REPORT_QUERY)
        with pytest.raises(EngineError) as fresh_error:
            EmbeddedEngine().evaluate(policies, _with_release("bad-app"), REPORT_QUERY)
        assert str(kept_error.value) == str(fresh_error.value)
        assert engine._kept is None
        assert engine.evaluate(policies, INPUT, REPORT_QUERY)["controls"]
    finally:
        engine.stop_workers()


def test_a_policy_set_that_does_not_compile_is_the_same_error_as_a_fresh_workers(
    tmp_path: Path,
) -> None:
    org = tmp_path / "broken"
    org.mkdir()
    (org / "broken.rego").write_text("package gatecheck.controls.broken\n\nallow if {\n")
    policies = load_policy_set([org])
    with pytest.raises(EngineError) as fresh:
        EmbeddedEngine().evaluate(policies, INPUT, REPORT_QUERY)
    engine = EmbeddedEngine(reuse=True)
    try:
        for _ in range(2):
            with pytest.raises(EngineError) as kept:
                engine.evaluate(policies, INPUT, REPORT_QUERY)
            assert str(kept.value) == str(fresh.value)
            assert engine._kept is None
    finally:
        engine.stop_workers()


# name -> (shell script standing in for a kept worker, what the error must say). A kept
# worker's answer is framed: "<sequence number> <length>\n" then the answer; the first
# evaluation's sequence number is 0.
BROKEN_KEPT_WORKERS = {
    "no-frame-header": ("printf 'this is not a frame\\n'", r"malformed output"),
    "frame-header-too-long": ("head -c 100 /dev/zero | tr '\\0' '7'; exec sleep 60", "malformed"),
    "negative-length": ("printf -- '0 -5\\nj{}'", r"malformed output"),
    "answer-to-another-input": ("printf '3 13\\nj{\"ok\": true}'", r"malformed output"),
    "two-answers": (
        'printf \'0 26\\nj{"ok": true, "result": 1}0 26\\nj{"ok": true, "result": 1}\'',
        r"malformed output",
    ),
    "answer-cut-short": ("printf '0 100\\nj{\"ok\": true'", r"malformed output"),
    "answer-not-json": ("printf '0 9\\nnot json!'", r"malformed output"),
    "answer-is-a-list": ("printf '0 7\\nj[1, 2]'", r"malformed output"),
    "nothing-then-exit-0": ("exit 0", r"malformed output"),
    "exits-1-with-stderr": (
        "echo 'panic: runtime error' >&2; exit 1",
        r"crashed \(exit 1\): panic: runtime error",
    ),
    "killed": ("kill -KILL $$", r"crashed \(exit -9\)"),
    "hangs": ("exec sleep 60", r"did not finish within 3 s"),
}


@pytest.mark.parametrize("name", sorted(BROKEN_KEPT_WORKERS))
def test_a_broken_kept_worker_is_one_error_and_the_next_evaluation_recovers(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    body, expect = BROKEN_KEPT_WORKERS[name]
    marker = f"reuse-{name}-{os.getpid()}"
    monkeypatch.setenv(MARKER_ENV, marker)
    real_python = sys.executable
    monkeypatch.setattr(sys, "executable", str(_fake_worker(tmp_path, body)))
    engine = EmbeddedEngine(timeout=3, reuse=True)
    try:
        with pytest.raises(EngineError, match=expect):
            engine.evaluate(POLICIES, INPUT, REPORT_QUERY)
        assert engine._kept is None, "a broken worker was kept"
        assert _marked_processes(marker) == [], "the broken worker was left running"
        monkeypatch.setattr(sys, "executable", real_python)
        answer = engine.evaluate(POLICIES, INPUT, REPORT_QUERY)
        assert answer == EmbeddedEngine().evaluate(POLICIES, INPUT, REPORT_QUERY)
        _pid(engine)
    finally:
        engine.stop_workers()


def test_a_worker_repeating_an_earlier_answer_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A worker that answers every input with the first input's frame (sequence number 0):
    the first evaluation gets a well-formed answer, the second is refused, not given the
    first one's result."""
    canned = EmbeddedEngine().evaluate(POLICIES, INPUT, REPORT_QUERY)
    answer = tmp_path / "answer"
    answer.write_bytes(b"j" + json.dumps({"ok": True, "result": canned}).encode())
    replay = tmp_path / "replay.py"
    replay.write_text(
        "import sys\n"
        "stdin, stdout = sys.stdin.buffer, sys.stdout.buffer\n"
        f"answer = open({str(answer)!r}, 'rb').read()\n"
        "stdin.readline()  # the request\n"
        "for line in iter(stdin.readline, b''):\n"
        "    stdin.read(int(line.split()[1]))\n"
        "    stdout.write(b'0 %d\\n' % len(answer) + answer)\n"
        "    stdout.flush()\n"
    )
    monkeypatch.setattr(
        sys, "executable", str(_fake_worker(tmp_path, f'exec "{sys.executable}" "{replay}"'))
    )
    engine = EmbeddedEngine(timeout=10, reuse=True)
    try:
        assert engine.evaluate(POLICIES, INPUT, REPORT_QUERY) == canned
        with pytest.raises(EngineError, match="malformed output"):
            engine.evaluate(POLICIES, _with_release("other-app"), REPORT_QUERY)
        assert engine._kept is None
    finally:
        engine.stop_workers()


def test_stop_workers_leaves_no_process(monkeypatch: pytest.MonkeyPatch) -> None:
    marker = f"reuse-stop-{os.getpid()}"
    monkeypatch.setenv(MARKER_ENV, marker)
    engine = EmbeddedEngine(reuse=True)
    engine.evaluate(POLICIES, INPUT, REPORT_QUERY)
    engine.warm()  # no spare while a worker is kept
    assert engine._spare is None
    assert len(_marked_processes(marker)) == 1
    engine.stop_workers()
    assert _marked_processes(marker) == []
