"""Run one adversarial case through the real CLI in a fresh process and measure it.

Each case gets its own folder ``<case>/work`` (the current directory of the run) and
``<case>/tmp`` (its TMPDIR, where archives are unpacked). Every file under ``<case>`` is
hashed before and after the run: a refusal must leave that tree byte-for-byte unchanged, so an
archive member escaping the unpack folder, a half-added evidence file or a leftover temporary
file all show up as a difference. The case's absolute escape target must not exist either.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from adversarial.cases import Case, escape_target

TIME_LIMIT_S = 10.0
MEMORY_LIMIT_MIB = 512


@dataclass
class Outcome:
    case: Case
    returncode: int
    stdout: str
    stderr: str
    wall_s: float
    peak_rss_mib: float
    changed: list[str] = field(default_factory=list)
    """Paths under the case folder that appeared, vanished or changed during the run."""
    escaped: bool = False
    """The absolute escape target exists after the run."""

    def problems(self) -> list[str]:
        """Everything that breaks the contract: exit 2, one line naming the problem, no
        traceback, nothing written, bounded time and memory; evaluate: decision error."""
        found = []
        lines = [line for line in self.stderr.splitlines() if line.strip()]
        if self.returncode != 2:
            found.append(f"exit {self.returncode}, expected 2")
        if len(lines) != 1:
            found.append(f"{len(lines)} lines on stderr, expected 1: {self.stderr[-600:]!r}")
        elif not lines[0].startswith("gatecheck: error: "):
            found.append(f"stderr is not a gatecheck error line: {lines[0][:300]!r}")
        elif not re.search(self.case.expect, lines[0]):
            found.append(f"error line does not match {self.case.expect!r}: {lines[0][:400]!r}")
        if "Traceback" in self.stderr or "internal error" in self.stderr:
            found.append("traceback or internal error")
        if self.case.evaluate:
            try:
                decision = json.loads(self.stdout).get("decision")
            except (ValueError, AttributeError):
                decision = f"unreadable report {self.stdout[:200]!r}"
            if decision != "error":
                found.append(f"decision {decision!r}, expected 'error'")
        elif self.stdout.strip():
            found.append(f"unexpected stdout {self.stdout[:200]!r}")
        if self.changed:
            found.append(f"files changed by the run: {self.changed[:5]}")
        if self.escaped:
            found.append(f"{escape_target(self.case.id)} was written")
        if self.wall_s > TIME_LIMIT_S:
            found.append(f"took {self.wall_s:.1f} s (limit {TIME_LIMIT_S:g} s)")
        if self.peak_rss_mib > MEMORY_LIMIT_MIB:
            found.append(f"peak RSS {self.peak_rss_mib:.0f} MiB (limit {MEMORY_LIMIT_MIB} MiB)")
        return found


def snapshot(root: Path) -> dict[str, str]:
    """Every path under ``root`` (not following links) with its kind and content digest."""
    found: dict[str, str] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            path = Path(dirpath) / name
            rel = path.relative_to(root).as_posix()
            if path.is_symlink():
                found[rel] = "link:" + os.readlink(path)
            elif path.is_dir():
                found[rel] = "dir"
            else:
                found[rel] = hashlib.sha256(path.read_bytes()).hexdigest()
    return found


def prepare(case: Case, base: Path) -> tuple[Path, list[str]]:
    """Make ``base/<case id>/{work,tmp}`` and build the case; returns (case folder, args)."""
    folder = base / case.id
    shutil.rmtree(folder, ignore_errors=True)
    (folder / "work").mkdir(parents=True)
    (folder / "tmp").mkdir()
    args = case.build(folder / "work")
    return folder, args


# The CLI's own entry point, plus an exit hook that records the process's peak RSS.
# /proc/self/status VmHWM belongs to the new process image alone; wait4()'s ru_maxrss would
# also carry the high-water mark of the (large) test process it was forked from. The OPA
# worker, when one runs, is counted through RUSAGE_CHILDREN.
_MEASURED_MAIN = """
import atexit, os, resource, sys
def _record():
    with open("/proc/self/status") as f:
        hwm = next(int(line.split()[1]) for line in f if line.startswith("VmHWM:"))
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    with open(os.environ["GATECHECK_ADVERSARIAL_RSS"], "w") as out:
        out.write(f"{hwm} {kids}")
atexit.register(_record)
from gatecheck.cli.main import main
sys.argv[0] = "gatecheck"
main(sys.argv[1:])
"""


def command(args: list[str]) -> list[str]:
    return [sys.executable, "-c", _MEASURED_MAIN, *args]


def run(case: Case, folder: Path, args: list[str], *, timeout: float = 60.0) -> Outcome:
    """Run ``gatecheck ARGS`` in a fresh process and measure its wall time and peak RSS."""
    target = escape_target(case.id)
    if target.is_symlink() or target.exists():
        target.unlink() if not target.is_dir() or target.is_symlink() else shutil.rmtree(target)
    before = snapshot(folder)
    out_path, err_path, rss_path = folder / ".stdout", folder / ".stderr", folder / ".rss"
    env = {
        **os.environ,
        "TMPDIR": str(folder / "tmp"),
        "NO_COLOR": "1",
        "GATECHECK_ADVERSARIAL_RSS": str(rss_path),
    }
    env.pop("GATECHECK_DEBUG", None)
    with open(out_path, "wb") as out, open(err_path, "wb") as err:
        start = time.perf_counter()
        proc = subprocess.Popen(
            command(args),
            cwd=folder / "work",
            env=env,
            stdout=out,
            stderr=err,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        timer = threading.Timer(timeout, lambda: os.killpg(proc.pid, signal.SIGKILL))
        timer.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        finally:
            timer.cancel()
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
    stdout = out_path.read_text("utf-8", "replace")
    stderr = err_path.read_text("utf-8", "replace")
    try:
        peak_kib = max(int(x) for x in rss_path.read_text().split())
    except (OSError, ValueError):  # killed before its exit hook: the inflated upper bound
        peak_kib = usage.ru_maxrss
    for path in (out_path, err_path, rss_path):
        path.unlink(missing_ok=True)
    after = snapshot(folder)
    changed = sorted(k for k in before.keys() | after.keys() if before.get(k) != after.get(k))
    return Outcome(
        case,
        proc.returncode,
        stdout,
        stderr,
        wall,
        peak_kib / 1024,
        changed,
        target.exists() or target.is_symlink(),
    )


def run_forked(case: Case, folder: Path, args: list[str], *, timeout: float = 60.0) -> Outcome:
    """The same CLI entry point (``gatecheck.cli.main.main``) in a forked child of an
    already-importing process: a fresh process with its own memory, exit code, stdout and
    stderr, without the ~0.4 s of imports an exec'd process pays, so the whole corpus fits
    the default test run. Call it from a single-threaded process. Memory: the child's
    high-water mark starts at the parent's RSS at fork, so the figure kept is the growth
    during the run plus a fresh process's baseline; ``run`` measures true per-process peaks.
    """
    import resource

    target = escape_target(case.id)
    if target.is_symlink() or target.exists():
        target.unlink() if not target.is_dir() or target.is_symlink() else shutil.rmtree(target)
    before = snapshot(folder)
    out_path, err_path = folder / ".stdout", folder / ".stderr"
    rss_at_fork = _vm_kib("VmRSS")
    sys.stdout.flush()
    sys.stderr.flush()
    start = time.perf_counter()
    pid = os.fork()
    if pid == 0:  # child: never return into the caller
        code = 70
        try:
            code = _child_main(args, folder, out_path, err_path)
        finally:
            os._exit(code)
    timer = threading.Timer(timeout, lambda: os.kill(pid, signal.SIGKILL))
    timer.start()
    try:
        _, status, _usage = os.wait4(pid, 0)
    finally:
        timer.cancel()
    wall = time.perf_counter() - start
    stdout = out_path.read_text("utf-8", "replace")
    stderr = err_path.read_text("utf-8", "replace")
    rss_path = folder / ".rss"
    try:
        growth_kib = max(0, int(rss_path.read_text()) - rss_at_fork)
    except (OSError, ValueError):
        growth_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    for path in (out_path, err_path, rss_path):
        path.unlink(missing_ok=True)
    after = snapshot(folder)
    changed = sorted(k for k in before.keys() | after.keys() if before.get(k) != after.get(k))
    return Outcome(
        case,
        os.waitstatus_to_exitcode(status),
        stdout,
        stderr,
        wall,
        growth_kib / 1024 + FRESH_PROCESS_MIB,
        changed,
        target.exists() or target.is_symlink(),
    )


# A fresh ``gatecheck`` process refusing a hostile input peaks at 45-51 MiB (measured with
# ``run``); forked runs report their growth on top of this.
FRESH_PROCESS_MIB = 52


def _vm_kib(field_name: str) -> int:
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith(field_name + ":"))


def _child_main(args: list[str], folder: Path, out_path: Path, err_path: Path) -> int:
    import io
    import tempfile

    out_fd = os.open(out_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    err_fd = os.open(err_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.dup2(out_fd, 1)
    os.dup2(err_fd, 2)
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    sys.stdin = io.TextIOWrapper(io.FileIO(0, "r", closefd=False))
    sys.stdout = io.TextIOWrapper(io.FileIO(1, "w", closefd=False), encoding="utf-8")
    sys.stderr = io.TextIOWrapper(io.FileIO(2, "w", closefd=False), encoding="utf-8")
    os.chdir(folder / "work")
    os.environ["TMPDIR"] = str(folder / "tmp")
    os.environ["NO_COLOR"] = "1"
    os.environ.pop("GATECHECK_DEBUG", None)
    tempfile.tempdir = None
    from gatecheck.cli.main import main

    code: int = 0
    try:
        main(args)
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except BaseException:  # noqa: BLE001 - report like an uncaught exception would
        import traceback

        traceback.print_exc()
        code = 1
    sys.stdout.flush()
    sys.stderr.flush()
    (folder / ".rss").write_text(str(_vm_kib("VmHWM")))
    return code


def run_case(case: Case, base: Path, *, timeout: float = 60.0, forked: bool = False) -> Outcome:
    folder, args = prepare(case, base)
    runner = run_forked if forked else run
    return runner(case, folder, args, timeout=timeout)
