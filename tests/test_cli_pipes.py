"""A closed stdout is an error: exit 2 and one line, never 1 (a gate failure), never a
traceback; a decision that could not be written was not delivered. Real processes and pipes."""

from __future__ import annotations

import fcntl
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = [
    "evaluate",
    str(ROOT / "examples" / "payments-api-1.4.0"),
    "--stage",
    "production",
    "--config",
    str(ROOT / "examples" / "gatecheck.yaml"),
]
PASSING = [*EXAMPLE, "--at", "2026-11-27T10:00:00Z"]  # decision pass, exit 0
FAILING = [*EXAMPLE, "--at", "2030-01-01T00:00:00Z"]  # decision fail, exit 1
GATECHECK = [sys.executable, "-m", "gatecheck"]


def _run_into_closed_pipe(args: list[str]) -> subprocess.CompletedProcess[str]:
    """Run gatecheck with stdout a pipe whose reader has already gone."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        # restore_signals (the default) gives the child SIGPIPE's default action, as a shell does.
        return subprocess.run(
            [*GATECHECK, *args],
            stdout=write_end,
            stderr=subprocess.PIPE,
            text=True,
            cwd=ROOT,
            timeout=120,
            check=False,
        )
    finally:
        os.close(write_end)


def _assert_one_error_line(result: subprocess.CompletedProcess[str], reason: str) -> None:
    assert result.returncode == 2, (result.returncode, result.stderr)
    assert result.returncode != -signal.SIGPIPE
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("gatecheck: error: ") and reason in lines[0]
    assert "Traceback" not in result.stderr and "Exception ignored" not in result.stderr


@pytest.mark.parametrize(
    ("args", "decision_exit"),
    [
        (PASSING, 0),
        ([*PASSING, "--format", "json"], 0),
        (FAILING, 1),
        (["evaluate", str(ROOT / "no-such-bundle"), "--stage", "production"], 2),
    ],
    ids=["pass-text", "pass-json", "fail", "error"],
)
def test_evaluate_into_a_closed_pipe_exits_2_whatever_the_decision(
    args: list[str], decision_exit: int
) -> None:
    delivered = subprocess.run(
        [*GATECHECK, *args], capture_output=True, text=True, cwd=ROOT, timeout=120, check=False
    )
    assert delivered.returncode == decision_exit, delivered.stderr
    _assert_one_error_line(_run_into_closed_pipe(args), "broken pipe")


@pytest.mark.parametrize(
    "args", [["--help"], ["report", "--help"], ["schema", "approval"]], ids=" ".join
)
def test_other_commands_into_a_closed_pipe_exit_2(args: list[str]) -> None:
    _assert_one_error_line(_run_into_closed_pipe(args), "broken pipe")


@pytest.mark.parametrize("unbuffered", ["1", ""], ids=["PYTHONUNBUFFERED=1", "buffered"])
def test_head_reading_one_line_of_a_larger_output_makes_evaluate_exit_2(unbuffered: str) -> None:
    """`gatecheck evaluate ... --format json | head -1`, with a pipe smaller than the output so
    that head has certainly gone before gatecheck finishes writing. Unbuffered (as the image
    runs), Python drops the rest of a write the closing reader cut short, without an error."""
    read_end, write_end = os.pipe()
    fcntl.fcntl(write_end, getattr(fcntl, "F_SETPIPE_SZ", 1031), 4096)
    head = subprocess.Popen(["head", "-1"], stdin=read_end, stdout=subprocess.PIPE)
    gatecheck = subprocess.Popen(
        [*GATECHECK, *PASSING, "--format", "json"],
        stdout=write_end,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONUNBUFFERED": unbuffered},
    )
    os.close(read_end)
    os.close(write_end)
    first, _ = head.communicate(timeout=120)
    _, stderr = gatecheck.communicate(timeout=120)
    assert first == b"{\n"
    result = subprocess.CompletedProcess(gatecheck.args, gatecheck.returncode, "", stderr)
    _assert_one_error_line(result, "broken pipe")


def test_stdout_closed_from_the_start_exits_2_before_doing_anything(tmp_path: Path) -> None:
    report = tmp_path / "report.json"
    result = subprocess.run(
        [*GATECHECK, *PASSING, "--report", str(report)],
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        timeout=120,
        check=False,
        pass_fds=(),
        preexec_fn=lambda: os.close(1),  # noqa: PLW1509 - closes stdout in the child only
    )
    _assert_one_error_line(result, "standard output is closed")
    assert not report.exists()


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full (Linux)")
def test_stdout_on_a_full_device_exits_2() -> None:
    with open("/dev/full", "w") as full:
        result = subprocess.run(
            [*GATECHECK, *PASSING],
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
            cwd=ROOT,
            timeout=120,
            check=False,
        )
    assert result.returncode == 2, result.stderr
    assert len(result.stderr.splitlines()) == 1 and "No space left on device" in result.stderr
    assert "Traceback" not in result.stderr
