"""OPA's Go library embedded through opa-golib-python-bindings, run in a child process.

The binding has no timeout or cancellation, so every evaluation runs in a fresh child process
that is killed at the deadline (a fresh process that loads the library costs about 70 ms).
The binding reports builtin errors as evaluation errors (strict), which keeps a rule from
silently passing on bad data.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import mmap
import os
import re
import subprocess
import sys
import threading
import time
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
            raise EngineError(
                f"OPA evaluation did not finish within {self.timeout:g} s and was stopped; "
                "raise --timeout or simplify the policies"
            ) from None
        except BaseException:
            self.cancel()
            raise
        if self.proc.returncode != 0:
            tail = stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or ["no output"]
            raise EngineError(
                f"the embedded OPA engine crashed (exit {self.proc.returncode}): {tail[0]}"
            )
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


class EmbeddedEngine(Engine):
    name = "embedded"

    def __init__(self, timeout: float = DEFAULT_TIMEOUT_S) -> None:
        self.timeout = timeout
        self._spare: _Worker | None = None
        # One engine may serve evaluations on several threads: a spare goes to one of them.
        self._spare_lock = threading.Lock()

    def warm(self, policy_dirs: Sequence[Path] = ()) -> None:
        """Start a worker process now, before the policies are known: Python's and the Go
        runtime's start-up, and the parsing of the Rego modules in ``policy_dirs`` and the
        library, then overlap the caller's config and policy loading. Failing to start one
        is not an error here; the evaluation starts its own and reports why."""
        with self._spare_lock:
            if self._spare is not None:
                return
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
        """Stop a spare worker no evaluation used."""
        with self._spare_lock:
            spare, self._spare = self._spare, None
        if spare is not None:
            spare.cancel()

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
        worker = self._spawn(
            {
                "mode": "eval",
                "modules": self._modules(policies),
                "data": policies.data,
                "path": path,
            }
        )
        return Pending(worker.finish, worker.cancel)

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
