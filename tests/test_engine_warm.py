"""The embedded engine's spare worker: started before the policies are known (startup time),
used by the next evaluation, and never left running or turned into a different answer."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import pytest
from helpers import org_control

import gatecheck.engine.embedded as embedded
from gatecheck.engine.embedded import EmbeddedEngine
from gatecheck.engine.evaluate import EvaluationRequest, evaluate
from gatecheck.engine.interface import REPORT_QUERY
from gatecheck.engine.policy import load_policy_set
from gatecheck.errors import EngineError

INPUT = {
    "stage": "production",
    "effective_time": "2026-01-01T00:00:00Z",
    "effective_time_ns": 1767225600000000000,
    "release": {
        "name": "payments-api",
        "version": "1.4.0",
        "class": "major",
        "artifacts": [],
        "source": {"path": "evidence/r.json"},
    },
    "bundle": {"digest": "sha256:x", "evidence": []},
    "evidence": {},
}
POLICIES = load_policy_set()


def test_the_spare_worker_answers_as_a_fresh_one() -> None:
    cold = EmbeddedEngine().evaluate(POLICIES, INPUT, REPORT_QUERY)
    engine = EmbeddedEngine()
    engine.warm()
    spare = engine._spare
    assert spare is not None and spare.proc.poll() is None
    pending = engine.start(POLICIES, REPORT_QUERY)
    assert engine._spare is None, "the evaluation did not take the spare"
    assert pending.finish(INPUT) == cold
    assert spare.proc.returncode == 0


def test_warm_twice_starts_one_worker_and_close_stops_it() -> None:
    engine = EmbeddedEngine()
    engine.warm()
    first = engine._spare
    engine.warm()
    assert engine._spare is first
    assert first is not None
    engine.close()
    assert engine._spare is None
    assert first.proc.poll() is not None, "an unused spare worker was left running"


def test_a_spare_that_died_is_replaced_not_reported() -> None:
    engine = EmbeddedEngine()
    engine.warm()
    assert engine._spare is not None
    engine._spare.proc.kill()
    engine._spare.proc.wait()
    report = engine.evaluate(POLICIES, INPUT, REPORT_QUERY)
    assert any(c["id"] == "GC-ART-001" for c in report["controls"])


def test_without_the_binding_warm_is_silent_and_the_evaluation_says_why(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def missing() -> Path:
        raise EngineError("the embedded OPA engine (opa-golib-python-bindings) is not installed")

    monkeypatch.setattr(embedded, "_binding_dir", missing)
    engine = EmbeddedEngine()
    engine.warm()  # nothing to start, nothing raised: the error belongs to the evaluation
    assert engine._spare is None
    with pytest.raises(EngineError, match="not installed"):
        engine.evaluate(POLICIES, INPUT, REPORT_QUERY)


def test_a_worker_closed_without_a_request_exits_quietly() -> None:
    proc = subprocess.run(
        [sys.executable, "-P", "-m", "gatecheck.engine.embedded_worker"],
        input=b"",
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, b"", b"")


def test_an_evaluation_that_fails_before_opa_leaves_no_worker_behind(tmp_path: Path) -> None:
    spares: list[embedded._Worker] = []

    class Watched(EmbeddedEngine):
        def warm(self, policy_dirs: Sequence[Path] = ()) -> None:
            super().warm(policy_dirs)
            assert self._spare is not None
            spares.append(self._spare)

    engine = Watched()
    report = evaluate(
        EvaluationRequest(
            bundle=tmp_path / "absent", stage="production", data_files=[tmp_path / "x.json"]
        ),
        engine,
    )
    assert report["decision"] == "error"
    assert "x.json" in report["error"]
    assert len(spares) == 1 and spares[0].proc.poll() is not None, "the spare was left running"


def test_the_cli_stops_the_spare_when_the_config_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from click.testing import CliRunner

    from gatecheck.cli.main import cli

    closed: list[embedded._Worker | None] = []
    close = EmbeddedEngine.close

    def watched_close(self: EmbeddedEngine) -> None:
        closed.append(self._spare)
        close(self)

    monkeypatch.setattr(EmbeddedEngine, "close", watched_close)
    config = tmp_path / "gatecheck.yaml"
    config.write_text("nonsense_key: 1\n")
    result = CliRunner().invoke(
        cli, ["evaluate", str(tmp_path), "--stage", "dev", "--config", str(config)]
    )
    assert result.exit_code == 2
    assert "nonsense_key" in result.output
    assert closed and closed[0] is not None, "no spare worker was started"
    assert closed[0].proc.poll() is not None, "the spare worker was left running"


ORG_CONTROL = org_control("true")


def _org(tmp_path: Path, text: str = ORG_CONTROL) -> Path:
    org = tmp_path / "org"
    org.mkdir()
    (org / "extra.rego").write_text(text)
    return org


def _ids(report: dict) -> set[str]:
    return {c["id"] for c in report["controls"]}


def test_a_hint_with_more_modules_than_the_request_leaves_none_behind(tmp_path: Path) -> None:
    engine = EmbeddedEngine()
    engine.warm([_org(tmp_path)])  # the spare parses the org module ahead
    report = engine.evaluate(POLICIES, INPUT, REPORT_QUERY)
    assert "ORG-1" not in _ids(report), "a module only the hint named was evaluated"
    assert report == EmbeddedEngine().evaluate(POLICIES, INPUT, REPORT_QUERY)


def test_a_hint_missing_a_module_of_the_request_still_evaluates_it(tmp_path: Path) -> None:
    policies = load_policy_set([_org(tmp_path)])
    engine = EmbeddedEngine()
    engine.warm()
    assert "ORG-1" in _ids(engine.evaluate(policies, INPUT, REPORT_QUERY))


def test_a_hinted_module_that_does_not_parse_is_reported_by_the_evaluation(
    tmp_path: Path,
) -> None:
    broken = _org(tmp_path, "package gatecheck.controls.broken\n\nallow if {\n")
    policies = load_policy_set([broken])
    with pytest.raises(EngineError) as cold:
        EmbeddedEngine().evaluate(policies, INPUT, REPORT_QUERY)
    engine = EmbeddedEngine()
    engine.warm([broken])
    with pytest.raises(EngineError) as warm:
        engine.evaluate(policies, INPUT, REPORT_QUERY)
    assert str(warm.value) == str(cold.value) and "org/extra.rego" in str(warm.value)
    engine = EmbeddedEngine()
    engine.warm([broken])  # the hint fails to parse; the request without it evaluates
    assert "GC-ART-001" in _ids(engine.evaluate(POLICIES, INPUT, REPORT_QUERY))


def test_a_hint_for_a_missing_directory_is_no_hint() -> None:
    engine = EmbeddedEngine()
    engine.warm([Path("/nonexistent/policies")])
    assert engine._spare is not None and engine._spare._hint is None
    assert "GC-ART-001" in _ids(engine.evaluate(POLICIES, INPUT, REPORT_QUERY))


def test_one_engine_shared_by_threads_gives_each_evaluation_its_own_worker(
    tmp_path: Path,
) -> None:
    """As the backend differential suite uses it: evaluations on several threads at once, each
    warming and closing the same engine, with different policy sets."""
    from concurrent.futures import ThreadPoolExecutor

    with_org = load_policy_set([_org(tmp_path)])
    expected = {
        "builtin": EmbeddedEngine().evaluate(POLICIES, INPUT, REPORT_QUERY),
        "org": EmbeddedEngine().evaluate(with_org, INPUT, REPORT_QUERY),
    }
    engine = EmbeddedEngine()

    def one(i: int) -> bool:
        name, policies, dirs = (
            ("org", with_org, [tmp_path / "org"]) if i % 2 else ("builtin", POLICIES, [])
        )
        engine.warm(dirs)
        try:
            return engine.evaluate(policies, INPUT, REPORT_QUERY) == expected[name]
        finally:
            engine.close()

    with ThreadPoolExecutor(max_workers=4) as pool:
        assert all(pool.map(one, range(8)))
    assert engine._spare is None
