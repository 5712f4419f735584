"""Fault injection: the OPA child failing in every way, the process killed while it writes
a report, and a full disk. The bundle used passes the gate when nothing goes wrong; under
every fault the outcome is decision error (exit 2) or no output, never a pass and never a
partly written report.

The broken OPA children are real processes standing in for the worker (``sys.executable``
pointed at a shell script): what is tested is gatecheck's handling of a child that prints
garbage, crashes, hangs or answers nonsense, not a mocked decision. Real OPA faults (a
builtin error, a runaway rule past --timeout) run the real engine through the CLI.
"""

from __future__ import annotations

import json
import os
import re
import resource
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from adversarial import cases as corpus
from helpers import run_gatecheck

from gatecheck.engine.embedded import EmbeddedEngine
from gatecheck.engine.evaluate import EvaluationRequest, evaluate

MARKER_ENV = "GATECHECK_FAULT_TEST_MARKER"


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = corpus.sealed(tmp_path_factory.mktemp("faults"))
    result = run_gatecheck("evaluate", str(root), "--stage", "dev", "--format", "json")
    assert result.returncode == 0 and json.loads(result.stdout)["decision"] == "pass", (
        "the fault-free baseline must pass, so that every fault visibly turns it into error"
    )
    return root


# --- a broken OPA child -------------------------------------------------------------------

# name -> (shell script body standing in for the worker, what the error must say). The worker
# writes one byte naming its JSON writer first: "j" for json, "o" for orjson.
BROKEN_WORKERS = {
    "orjson-truncated": ('cat >/dev/null; printf \'o{"ok": true, "res\'', r"malformed output"),
    "orjson-deeply-nested": (
        "cat >/dev/null; printf o; head -c 200000 /dev/zero | tr '\\0' '['",
        r"malformed output",
    ),
    "orjson-nan": ('cat >/dev/null; printf \'o{"ok": true, "result": NaN}\'', r"malformed output"),
    "no-writer-byte": ("cat >/dev/null; printf '{\"ok\": true}'", r"malformed output"),
    "prints-garbage": ("cat >/dev/null; printf 'this is not json'", r"malformed output"),
    "prints-nothing": ("cat >/dev/null", r"malformed output"),
    "truncated-answer": (
        'cat >/dev/null; printf \'j{"ok": true, "result": {"contr\'',
        r"malformed output",
    ),
    "non-utf8-answer": (
        "cat >/dev/null; printf '\\377\\376\\375'",
        r"malformed output|UnicodeDecodeError",
    ),
    "deeply-nested-answer": (
        "cat >/dev/null; printf j; head -c 200000 /dev/zero | tr '\\0' '['",
        r"malformed output|RecursionError|nested",
    ),
    "answer-is-a-list": ("cat >/dev/null; printf 'j[1, 2]'", r"malformed output"),
    "error-is-a-string": (
        'cat >/dev/null; printf \'j{"ok": false, "error": "boom"}\'',
        r"boom|AttributeError|error",
    ),
    "ok-without-result": ("cat >/dev/null; printf 'j{\"ok\": true}'", r"no control report"),
    "result-nan": ('cat >/dev/null; printf \'j{"ok": true, "result": NaN}\'', r"no control report"),
    "controls-not-a-list": (
        'cat >/dev/null; printf \'j{"ok": true, "result": {"controls": "all good"}}\'',
        r"no control report",
    ),
    "empty-controls-looks-clean": (
        'cat >/dev/null; printf \'j{"ok": true, "result": {"controls": [], "errors": []}}\'',
        r"declares no controls",
    ),
    "malformed-control": (
        'cat >/dev/null; printf \'j{"ok": true, "result": {"controls": [{"id": "GC-X"}]}}\'',
        r"malformed control entry",
    ),
    "exits-1-with-stderr": (
        "cat >/dev/null; echo 'panic: runtime error' >&2; exit 1",
        r"crashed \(exit 1\): panic: runtime error",
    ),
    "exits-139": ("cat >/dev/null; exit 139", r"crashed \(exit 139\)"),
    "segfaults": ("kill -SEGV $$", r"crashed \(exit -11\)"),
    "killed": ("kill -KILL $$", r"crashed \(exit -9\)"),
}


def _fake_worker(tmp_path: Path, body: str) -> Path:
    script = tmp_path / "fake-python"
    script.write_text(
        f"#!/bin/sh\n# stands in for: python -m gatecheck.engine.embedded_worker\n{body}\n"
    )
    script.chmod(0o755)
    return script


@pytest.mark.parametrize("name", sorted(BROKEN_WORKERS))
def test_a_broken_engine_child_gives_decision_error(
    name: str, bundle: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    body, expect = BROKEN_WORKERS[name]
    monkeypatch.setattr(sys, "executable", str(_fake_worker(tmp_path, body)))
    monkeypatch.delenv("GATECHECK_DEBUG", raising=False)
    report = evaluate(EvaluationRequest(bundle=bundle, stage="dev"), EmbeddedEngine(timeout=10))
    assert report["decision"] == "error"
    assert re.search(expect, report["error"]), report["error"]
    assert "results" not in report or not report["results"]


def _marked_processes(marker: str) -> list[int]:
    found = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            environ = Path(f"/proc/{pid}/environ").read_bytes()
        except OSError:
            continue
        if f"{MARKER_ENV}={marker}".encode() in environ.split(b"\0"):
            found.append(int(pid))
    return found


def test_a_hanging_engine_child_is_killed_at_the_timeout(
    bundle: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    marker = f"hang-{os.getpid()}"
    monkeypatch.setenv(MARKER_ENV, marker)
    monkeypatch.setattr(sys, "executable", str(_fake_worker(tmp_path, "exec sleep 60")))
    start = time.monotonic()
    report = evaluate(EvaluationRequest(bundle=bundle, stage="dev"), EmbeddedEngine(timeout=1))
    assert time.monotonic() - start < 10
    assert report["decision"] == "error"
    assert "did not finish within 1 s" in report["error"]
    assert _marked_processes(marker) == []  # no orphaned child keeps running


def _org_policy(tmp_path: Path, body: str) -> Path:
    org = tmp_path / "org"
    org.mkdir()
    (org / "org.rego").write_text(
        "package gatecheck.controls.org_fault\n\nimport rego.v1\n\n" + body + "\n"
    )
    return org


def test_real_opa_builtin_error_ends_in_decision_error_through_the_cli(
    bundle: Path, tmp_path: Path
) -> None:
    org = _org_policy(tmp_path, 'boom := time.parse_rfc3339_ns("not a time")')
    result = run_gatecheck(
        "evaluate",
        str(bundle),
        "--stage",
        "dev",
        "--policy",
        str(org),
        "--format",
        "json",
        "--output",
        str(tmp_path / "r.json"),
    )
    assert result.returncode == 2
    assert [line for line in result.stderr.splitlines() if line] == [
        line for line in result.stderr.splitlines() if line.startswith("gatecheck: error:")
    ]
    assert "parse_rfc3339_ns" in result.stderr
    written = json.loads((tmp_path / "r.json").read_text())
    assert written["decision"] == "error" and json.loads(result.stdout) == written


def test_real_runaway_policy_is_stopped_at_the_cli_timeout(bundle: Path, tmp_path: Path) -> None:
    marker = f"spin-{os.getpid()}"
    org = _org_policy(
        tmp_path,
        "spin := count([x | some a in numbers.range(1, 4000); "
        "some b in numbers.range(1, 4000); x := a * b])",
    )
    start = time.monotonic()
    result = run_gatecheck(
        "evaluate",
        str(bundle),
        "--stage",
        "dev",
        "--policy",
        str(org),
        "--timeout",
        "1",
        "--format",
        "json",
        env={MARKER_ENV: marker},
    )
    assert time.monotonic() - start < 10
    assert result.returncode == 2
    assert "did not finish within 1 s" in result.stderr
    assert json.loads(result.stdout)["decision"] == "error"
    assert _marked_processes(marker) == []


# --- killed while writing -----------------------------------------------------------------


def _fork_cli_stalling_in_write(args: list[str], cwd: Path, stall: str) -> int:
    """Run the CLI in a forked child whose report write stalls (``stall``: "fsync" = all
    bytes written, not yet renamed; "half" = half the bytes written), so SIGKILL lands
    exactly inside the write. Returns the child's pid once it is stalled."""
    ready = cwd / ".stalled"
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:
        try:
            null = os.open(os.devnull, os.O_WRONLY)
            os.dup2(null, 1)
            os.dup2(null, 2)
            os.chdir(cwd)

            def stall_now() -> None:
                ready.write_text("x")
                time.sleep(60)

            if stall == "fsync":
                os.fsync = lambda fd: stall_now()  # type: ignore[assignment]
            else:
                real_fdopen = os.fdopen

                class HalfWriter:
                    def __init__(self, f: object) -> None:
                        self.f = f

                    def __enter__(self) -> HalfWriter:
                        return self

                    def __exit__(self, *exc: object) -> None:
                        self.f.close()  # type: ignore[attr-defined]

                    def write(self, data: bytes) -> None:
                        self.f.write(data[: len(data) // 2])  # type: ignore[attr-defined]
                        self.f.flush()  # type: ignore[attr-defined]
                        stall_now()

                    def __getattr__(self, name: str) -> object:
                        return getattr(self.f, name)

                os.fdopen = lambda fd, *a, **k: HalfWriter(real_fdopen(fd, *a, **k))  # type: ignore[assignment]
            from gatecheck.cli.main import main

            main(args)
        finally:
            os._exit(3)
    deadline = time.monotonic() + 30
    while not ready.exists():
        if time.monotonic() > deadline or os.waitpid(pid, os.WNOHANG) != (0, 0):
            raise AssertionError("the child never reached the write")
        time.sleep(0.01)
    return pid


@pytest.mark.parametrize("stall", ["fsync", "half"])
def test_kill_9_inside_the_report_write_leaves_the_old_report_whole(
    stall: str, bundle: Path, tmp_path: Path
) -> None:
    target = tmp_path / "report.json"
    old = json.dumps({"decision": "fail", "note": "previous run"})
    target.write_text(old)
    pid = _fork_cli_stalling_in_write(
        ["evaluate", str(bundle), "--stage", "dev", "--format", "json", "--output", str(target)],
        tmp_path,
        stall,
    )
    leftovers = [p.name for p in tmp_path.iterdir() if p.name.startswith(".report.json.")]
    assert leftovers, "the kill must land while the temporary file is being written"
    os.kill(pid, signal.SIGKILL)
    _, status = os.waitpid(pid, 0)
    assert os.WIFSIGNALED(status)
    assert target.read_text() == old  # never a torn or half-new report


def test_kill_9_at_random_moments_never_leaves_a_partial_report(
    bundle: Path, tmp_path: Path
) -> None:
    target = tmp_path / "report.json"
    for delay in (0.3, 0.8, 1.1):
        target.unlink(missing_ok=True)
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gatecheck",
                "evaluate",
                str(bundle),
                "--stage",
                "dev",
                "--format",
                "json",
                "--output",
                str(target),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(delay)
        proc.kill()
        proc.wait()
        if target.exists():  # finished before the kill: then it is complete
            assert json.loads(target.read_text())["decision"] == "pass"


# --- a full disk -----------------------------------------------------------------------------


def _limit_file_size(limit: int) -> None:
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))


def test_file_size_limit_makes_the_report_write_fail_cleanly(bundle: Path, tmp_path: Path) -> None:
    target = tmp_path / "report.json"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "gatecheck",
            "evaluate",
            str(bundle),
            "--stage",
            "dev",
            "--format",
            "text",
            "--output",
            f"json={target}",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        preexec_fn=lambda: _limit_file_size(4096),
    )  # the JSON report is ~50 KB
    assert result.returncode == 2
    errors = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(errors) == 1 and "File too large" in errors[0], result.stderr
    assert not target.exists()
    assert list(tmp_path.iterdir()) == []  # the temporary file was removed too


@pytest.fixture
def tiny_tmpfs(tmp_path: Path):  # type: ignore[no-untyped-def]
    mount = tmp_path / "full"
    mount.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=16k", "tmpfs", str(mount)],
        capture_output=True,
        check=False,
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode().strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def test_a_full_disk_gives_no_report_and_one_error_line(bundle: Path, tiny_tmpfs: Path) -> None:
    target = tiny_tmpfs / "report.json"
    result = run_gatecheck(
        "evaluate", str(bundle), "--stage", "dev", "--format", "text", "--output", f"json={target}"
    )
    assert result.returncode == 2
    assert "No space left on device" in result.stderr
    assert list(tiny_tmpfs.iterdir()) == []


def test_a_full_disk_while_unpacking_is_decision_error(
    bundle: Path, tiny_tmpfs: Path, tmp_path: Path
) -> None:
    archive = tmp_path / "bundle.tar.gz"
    corpus.write_tgz(
        archive,
        corpus.bundle_members(bundle)
        + [corpus.member("evidence/" + "e" * 64 + ".json", os.urandom(200_000))],
    )
    result = run_gatecheck(
        "evaluate",
        str(archive),
        "--stage",
        "dev",
        "--format",
        "json",
        env={"TMPDIR": str(tiny_tmpfs)},
    )
    assert result.returncode == 2
    assert "No space left on device" in result.stderr
    assert json.loads(result.stdout)["decision"] == "error"
    assert list(tiny_tmpfs.iterdir()) == []  # the partial unpack was removed
