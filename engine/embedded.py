"""OPA's Go library embedded through opa-golib-python-bindings, run in a child process.

The binding has no timeout or cancellation, so every evaluation runs in a fresh child process
that is killed at the deadline (a fresh process that loads the library costs about 70 ms).
The binding reports builtin errors as evaluation errors (strict), which keeps a rule from
silently passing on bad data.

With ``reuse`` (policy impact: many evaluations of one policy set in one process), a worker
that answered well is kept for the next evaluation of the same modules, data and query, so
the library is compiled once, not once per evaluation (about 0.3 s of CPU each). Each
evaluation hands it only its input; a worker that fails in any way is killed, and the next
evaluation starts a fresh one.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import json
import mmap
import os
import re
import select
import subprocess
import sys
import threading
import time
from collections import deque
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import Any

from gatecheck.digest import all_finite
from gatecheck.engine.interface import (
    DEFAULT_TIMEOUT_S,
    Engine,
    EngineInfo,
    Pending,
    RegoTestResult,
)
from gatecheck.engine.policy import PolicySet, likely_modules
from gatecheck.errors import EngineError

INSTALL_HINT = (
    "install it with: pip install --ignore-requires-python 'gatecheck[embedded]' "
    "(or choose --engine opa / --engine server)"
)


@cache
def _binding_dir() -> Path:
    spec = importlib.util.find_spec("opa_bindings")
    if spec is None or not spec.submodule_search_locations:
        raise EngineError(
            f"the embedded OPA engine (opa-golib-python-bindings) is not installed; {INSTALL_HINT}"
        )
    return Path(next(iter(spec.submodule_search_locations)))


@cache
def _opa_version() -> str:
    """OPA's version from the Go build info inside the shared library (no guessing)."""
    library = _binding_dir() / "libopabridge.so"
    try:
        with open(library, "rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as mm:
            at = mm.find(b"dep\tgithub.com/open-policy-agent/opa\tv")
            if at < 0:
                return "unknown"
            line = mm[at : at + 120].split(b"\n", 1)[0].decode("ascii", "replace")
    except OSError as exc:
        raise EngineError(f"the embedded OPA library cannot be read: {exc}") from None
    match = re.search(r"\tv([0-9][^\t]*)", line)
    return match.group(1) if match else "unknown"


def encode_input(doc: Any) -> bytes:
    """The input document as JSON bytes: orjson, about ten times faster than json on a large
    SBOM's input, with json's refusals kept (a NaN or infinity is refused, not written as
    null; what orjson cannot write, e.g. a non-string key, is left to json as before)."""
    import orjson

    if not all_finite(doc):
        raise EngineError(
            "the input document holds a number that is not finite (NaN or infinity), "
            "which JSON cannot carry; check the evidence for such values"
        )
    try:
        return orjson.dumps(doc)
    except TypeError:
        return json.dumps(doc, ensure_ascii=False, allow_nan=False).encode("utf-8")


def _read_answer(stdout: bytes) -> Any:
    """The worker's answer: its first byte names the JSON writer (engine/embedded_worker.py)."""
    if stdout[:1] == b"o":
        import orjson

        return orjson.loads(stdout[1:])
    if stdout[:1] == b"j":
        return json.loads(stdout[1:])
    raise ValueError("no answer")


def _result(stdout: bytes) -> Any:
    """The result in a worker's answer; EngineError for OPA's error or a malformed answer."""
    try:
        answer = _read_answer(stdout)
    except (ValueError, RecursionError):  # also output that is not UTF-8
        raise EngineError("the embedded OPA engine returned malformed output") from None
    if not isinstance(answer, dict) or not isinstance(answer.get("ok"), bool):
        raise EngineError("the embedded OPA engine returned malformed output")
    if not answer["ok"]:
        error = answer.get("error")
        if not isinstance(error, dict):
            error = {"message": str(error)[:300]}
        raise EngineError(f"OPA {error.get('code', 'error')}: {error.get('message', '')}")
    return answer.get("result")


def _timed_out(timeout: float) -> EngineError:
    return EngineError(
        f"OPA evaluation did not finish within {timeout:g} s and was stopped; "
        "raise --timeout or simplify the policies"
    )


def _crashed(returncode: int, stderr: bytes) -> EngineError:
    tail = stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or ["no output"]
    return EngineError(f"the embedded OPA engine crashed (exit {returncode}): {tail[0]}")


def _worker_env() -> dict[str, str]:
    # The input document is one large, long-lived heap; Go's default GC target (100 %) makes
    # the short-lived worker rescan it over and over. A user's own GOGC still wins.
    return {"GOGC": "400", **os.environ}


class _Worker:
    """A worker process; once sent its request, it has the policies and compiles them."""

    def __init__(self, request: dict[str, Any] | None, timeout: float) -> None:
        self.timeout = timeout
        self.proc = subprocess.Popen(
            # -P: never import from the working directory (a source checkout's gatecheck/
            # folder would shadow the installed package).
            [sys.executable, "-P", "-m", "gatecheck.engine.embedded_worker"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=_worker_env(),
        )
        self._sender: threading.Thread | None = None
        self._hint: threading.Thread | None = None
        if request is not None:
            self.send(request)

    def hint(self, modules: list[list[str]]) -> None:
        """Name the modules the request will most likely carry, so a spare parses them while
        it waits. Only a head start: the request carries all its modules, and the worker
        starts over when they differ."""
        line = json.dumps({"mode": "modules", "modules": modules}, ensure_ascii=False)
        self._hint = threading.Thread(
            target=self._send, args=(line.encode("utf-8") + b"\n",), daemon=True
        )
        self._hint.start()

    def send(self, request: dict[str, Any]) -> None:
        """Hand the worker its request (the header line): a spare started earlier has
        loaded the binding meanwhile."""
        header = json.dumps(request, ensure_ascii=False, allow_nan=False).encode("utf-8")
        hint = self._hint

        def write() -> None:
            if hint is not None:
                hint.join()  # the hint line goes first, whole
            self._send(header + b"\n")

        # The header (the whole policy set) is larger than a pipe's 64 KiB buffer: written
        # from this thread, a worker that stalls before reading would block gatecheck past
        # any timeout. finish() waits for it within the deadline.
        self._sender = threading.Thread(target=write, daemon=True)
        self._sender.start()

    def _send(self, data: bytes) -> None:
        try:
            assert self.proc.stdin is not None
            self.proc.stdin.write(data)
            self.proc.stdin.flush()
        except (OSError, ValueError):
            pass  # the worker died or was cancelled; finish() reports how

    def cancel(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        for stream in (self.proc.stdin, self.proc.stdout, self.proc.stderr):
            if stream is not None:
                with contextlib.suppress(OSError):
                    stream.close()

    def finish(self, input_doc: Any) -> Any:
        payload = encode_input(input_doc)
        deadline = time.monotonic() + self.timeout
        try:
            assert self._sender is not None, "finish() before send()"
            self._sender.join(self.timeout)
            if self._sender.is_alive():
                raise subprocess.TimeoutExpired("embedded_worker", self.timeout)
            remaining = max(deadline - time.monotonic(), 0.01)
            stdout, stderr = self.proc.communicate(payload, timeout=remaining)
        except subprocess.TimeoutExpired:
            self.cancel()
            raise _timed_out(self.timeout) from None
        except BaseException:
            self.cancel()
            raise
        if self.proc.returncode != 0:
            raise _crashed(self.proc.returncode, stderr)
        return _result(stdout)


class _KeptWorker:
    """A worker in ``session`` mode (engine/embedded_worker.py): compiled once for one request
    (modules, data, query), then evaluating one framed input at a time. ``key`` identifies
    that request; the engine reuses the worker only for an evaluation whose request has the
    same key. Any failure stops it for good (``evaluate`` raises, ``alive`` turns False)."""

    MAX_FRAME_HEADER = 64

    def __init__(self, worker: _Worker, key: str) -> None:
        self.worker = worker
        self.key = key
        self._seq = 0
        # stderr is drained while the worker lives (it is never waited for as a whole); the
        # tail names the failure when the worker crashes.
        self._stderr: deque[bytes] = deque(maxlen=64)
        self._drain = threading.Thread(target=self._drain_stderr, daemon=True)
        self._drain.start()

    def _drain_stderr(self) -> None:
        stream = self.worker.proc.stderr
        assert stream is not None
        with contextlib.suppress(OSError, ValueError), stream:
            for line in iter(stream.readline, b""):
                self._stderr.append(line[-4096:])

    def alive(self) -> bool:
        return self.worker.proc.poll() is None

    def stop(self) -> None:
        proc = self.worker.proc
        if proc.poll() is None:
            proc.kill()
        proc.wait()
        # stderr is the drain thread's to close: closing it here would wait for that
        # thread's read, which lasts as long as anything holds the pipe open.
        for stream in (proc.stdin, proc.stdout):
            if stream is not None:
                with contextlib.suppress(OSError):
                    stream.close()

    def evaluate(self, input_doc: Any) -> Any:
        """The result for ``input_doc``; on any failure the worker is stopped and the error is
        the one a fresh worker's failure gives (timeout, crash, malformed output, OPA's)."""
        try:
            payload = encode_input(input_doc)
            deadline = time.monotonic() + self.worker.timeout
            seq, self._seq = self._seq, self._seq + 1
            frame = b"%d %d\n" % (seq, len(payload))
            header = self.worker._sender
            assert header is not None, "a kept worker without its request"

            def write() -> None:
                header.join()  # the request (policy set) goes first, whole
                self.worker._send(frame)
                self.worker._send(payload)

            # Written from a thread, as the request is: a worker that stops reading must not
            # block this process past the deadline.
            writer = threading.Thread(target=write, daemon=True)
            writer.start()
            answer = self._read_frame(seq, deadline)
            writer.join(max(deadline - time.monotonic(), 0))
            if writer.is_alive():  # it answered without reading its whole input
                raise EngineError("the embedded OPA engine returned malformed output")
            return _result(answer)
        except BaseException:
            self.stop()
            raise

    def _read_frame(self, seq: int, deadline: float) -> bytes:
        """The answer after its frame line ``<seq> <length>``, and nothing after it."""
        stdout = self.worker.proc.stdout
        assert stdout is not None
        fd = stdout.fileno()
        buf = bytearray()
        end: int | None = None  # where the answer ends in buf, once its frame header is read
        start = 0
        while end is None or len(buf) < end:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not select.select([fd], [], [], remaining)[0]:
                raise _timed_out(self.worker.timeout)
            chunk = os.read(fd, 1 << 20)
            if not chunk:
                raise self._gone(deadline)
            buf += chunk
            if end is None:
                newline = buf.find(b"\n", 0, self.MAX_FRAME_HEADER)
                if newline < 0:
                    if len(buf) >= self.MAX_FRAME_HEADER:
                        raise EngineError("the embedded OPA engine returned malformed output")
                    continue
                start = newline + 1
                end = start + self._answer_length(bytes(buf[:newline]), seq)
        if len(buf) > end:  # more than one answer to one input
            raise EngineError("the embedded OPA engine returned malformed output")
        return bytes(buf[start:end])

    @staticmethod
    def _answer_length(header: bytes, seq: int) -> int:
        fields = header.split(b" ")
        if (
            len(fields) != 2
            or not all(f.isdigit() for f in fields)
            or int(fields[0]) != seq  # an answer to another input
        ):
            raise EngineError("the embedded OPA engine returned malformed output")
        return int(fields[1])

    def _gone(self, deadline: float) -> EngineError:
        """The error for a worker that closed its output: crashed, or malformed output when
        it exited 0 (or is still running) without answering."""
        try:
            returncode = self.worker.proc.wait(max(deadline - time.monotonic(), 0.01))
        except subprocess.TimeoutExpired:
            return EngineError("the embedded OPA engine returned malformed output")
        if returncode == 0:
            return EngineError("the embedded OPA engine returned malformed output")
        self._drain.join(max(deadline - time.monotonic(), 0.01))
        return _crashed(returncode, b"".join(self._stderr))


class EmbeddedEngine(Engine):
    name = "embedded"

    def __init__(self, timeout: float = DEFAULT_TIMEOUT_S, *, reuse: bool = False) -> None:
        self.timeout = timeout
        self.reuse = reuse
        """Keep a worker that answered well for the next evaluation of the same request."""
        self._spare: _Worker | None = None
        self._kept: _KeptWorker | None = None
        # One engine may serve evaluations on several threads: a spare goes to one of them,
        # and so does the kept worker (an evaluation takes it, and gives it back when done).
        self._spare_lock = threading.Lock()

    def warm(self, policy_dirs: Sequence[Path] = ()) -> None:
        """Start a worker process now, before the policies are known: Python's and the Go
        runtime's start-up, and the parsing of the Rego modules in ``policy_dirs`` and the
        library, then overlap the caller's config and policy loading. Failing to start one
        is not an error here; the evaluation starts its own and reports why."""
        with self._spare_lock:
            if self._spare is not None:
                return
            if self._kept is not None and self._kept.alive():
                return  # the next evaluation most likely reuses it
        try:
            _binding_dir()
            worker = _Worker(None, self.timeout)
        except (EngineError, OSError):
            return
        modules = likely_modules(policy_dirs)
        if modules is not None:
            worker.hint([[m.path, m.text] for m in modules])
        with self._spare_lock:
            if self._spare is None:
                self._spare = worker
                return
        worker.cancel()  # another thread's spare is waiting already

    def close(self) -> None:
        """Stop a spare worker no evaluation used (a kept worker stays: ``stop_workers``)."""
        with self._spare_lock:
            spare, self._spare = self._spare, None
        if spare is not None:
            spare.cancel()

    def stop_workers(self) -> None:
        """Stop the spare and the kept worker; a later evaluation starts its own again."""
        self.close()
        with self._spare_lock:
            kept, self._kept = self._kept, None
        if kept is not None:
            kept.stop()

    def info(self) -> EngineInfo:
        from importlib.metadata import version

        binding = version("opa-golib-python-bindings")
        return EngineInfo("embedded", _opa_version(), f"opa-golib-python-bindings {binding}")

    def _spawn(self, request: dict[str, Any]) -> _Worker:
        _binding_dir()
        with self._spare_lock:
            spare, self._spare = self._spare, None
        if spare is not None and spare.proc.poll() is None:
            spare.send(request)
            return spare
        if spare is not None:
            spare.cancel()
        return _Worker(request, self.timeout)

    def _run(self, request: dict[str, Any], input_doc: Any = None) -> Any:
        """One request to a fresh worker: a header line, then the input document's JSON."""
        return self._spawn(request).finish(input_doc)

    @staticmethod
    def _modules(policies: PolicySet, tests: bool = False) -> list[list[str]]:
        files = policies.modules + (policies.tests if tests else [])
        return [[f.path, f.text] for f in files]

    def start(self, policies: PolicySet, path: str) -> Pending:
        """Start the worker now: it compiles the policies for ``path`` while the caller is
        still normalizing evidence, and evaluates when ``finish`` hands it the input."""
        if self.reuse:
            return self._start_kept(policies, path)
        worker = self._spawn(
            {
                "mode": "eval",
                "modules": self._modules(policies),
                "data": policies.data,
                "path": path,
            }
        )
        return Pending(worker.finish, worker.cancel)

    def _start_kept(self, policies: PolicySet, path: str) -> Pending:
        """The kept worker when it was compiled for this very request, else a new one. The
        key is the digest of the request as sent (module paths and texts, data, query): what
        the worker compiled, whatever the PolicySet's recorded file digests say."""
        request = {
            "mode": "session",
            "modules": self._modules(policies),
            "data": policies.data,
            "path": path,
        }
        encoded = json.dumps(request, ensure_ascii=False, allow_nan=False).encode("utf-8")
        key = hashlib.sha256(encoded).hexdigest()
        with self._spare_lock:
            kept, self._kept = self._kept, None
        if kept is not None and (kept.key != key or not kept.alive()):
            kept.stop()  # another policy set, or it died while waiting: never reused
            kept = None
        worker = kept or _KeptWorker(self._spawn(request), key)
        asked = False

        def finish(input_doc: Any) -> Any:
            nonlocal asked
            asked = True
            result = worker.evaluate(input_doc)  # stops the worker when it fails
            self._keep(worker)
            return result

        def cancel() -> None:
            nonlocal asked
            if not asked:  # never handed an input: still compiled and idle
                asked = True
                self._keep(worker)

        return Pending(finish, cancel)

    def _keep(self, worker: _KeptWorker) -> None:
        with self._spare_lock:
            if self._kept is None:
                self._kept = worker
                return
        worker.stop()  # another evaluation's worker was kept meanwhile

    def evaluate(self, policies: PolicySet, input_doc: dict[str, Any], path: str) -> Any:
        return self.start(policies, path).finish(input_doc)

    def test_coverage(self, policies: PolicySet) -> dict[str, float]:
        """Rego line coverage (percent) per policy module from running every test once:
        OPA's own coverage report, so the figure ``opa test --coverage`` gives."""
        report = self._run(
            {
                "mode": "coverage",
                "modules": self._modules(policies, tests=True),
                "data": policies.data,
                "tests": [[pkg, rule] for pkg, rule, _ in policies.test_rules()],
            }
        )
        modules = {m.path for m in policies.modules}
        files = report.get("files", {}) if isinstance(report, dict) else {}
        return {
            path: float(entry.get("coverage", 0.0)) if isinstance(entry, dict) else 0.0
            for path, entry in files.items()
            if path in modules
        } | {path: 0.0 for path in modules - set(files)}

    def run_tests(self, policies: PolicySet) -> list[RegoTestResult]:
        rules = policies.test_rules()
        results = self._run(
            {
                "mode": "test",
                "modules": self._modules(policies, tests=True),
                "data": policies.data,
                "tests": [[pkg, rule] for pkg, rule, _ in rules],
            }
        )
        files = {(pkg, rule): path for pkg, rule, path in rules}
        return [
            RegoTestResult(
                r["package"],
                r["name"],
                r["status"],
                r.get("message", ""),
                files.get((r["package"], r["name"]), ""),
            )
            for r in results
        ]
