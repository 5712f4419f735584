"""Child process for the embedded engine: one request on stdin, one JSON answer on stdout.

Kept minimal: it imports only the binding, so it starts fast and a crash or a kill cannot
take the gatecheck process with it.

A ``session`` request keeps the compiled policy set for many evaluations (policy impact):
after its header line come framed inputs, each a line ``<seq> <length>`` then that many bytes
of JSON, and each answered by a line ``<seq> <length>`` then the answer; it ends when stdin
closes. Only the input differs between them: the modules and ``data`` are the header's, never
changed after.
"""

from __future__ import annotations

import contextlib
import json
import sys
from typing import Any


def _encode(value: dict[str, Any]) -> bytes:
    """The answer as JSON after one byte naming its writer: ``o`` for orjson (a large report
    in a hundredth of json's time), ``j`` for json, used for what orjson refuses (an integer
    beyond 64 bits, which orjson would also read back as a float: the parent reads a ``j``
    answer with json, so such a number keeps its value)."""
    try:
        import orjson

        return b"o" + orjson.dumps(value)
    except (ImportError, TypeError):  # orjson.JSONEncodeError is a TypeError
        return b"j" + json.dumps(value, ensure_ascii=False).encode("utf-8")


def _answer(value: dict[str, Any], seq: int | None = None) -> None:
    """The answer on stdout; in a session framed with the request's sequence number."""
    data = _encode(value)
    if seq is not None:
        data = b"%d %d\n" % (seq, len(data)) + data
    sys.stdout.buffer.write(data)
    sys.stdout.flush()


_RUNNER = "gatecheck_test_runner"


def _warm_up(engine: Any, path: str, prints: list[str]) -> None:
    """Prepare the query before the input arrives: preparing compiles the whole policy set,
    and the prepared query is cached by the binding for the real evaluation. A policy error
    here is reported by the real evaluation, with its input."""
    from opa_bindings import OpaError

    with contextlib.suppress(OpaError):
        engine.eval_document(path, {})
    prints.clear()


def _eval_raw(engine: Any, path: str, raw_input: bytes) -> Any:
    """eval_document with the input as the JSON bytes the parent sent: the binding's public
    call would parse them into Python and encode them again (seconds for a large SBOM). This
    uses the internals of the pinned opa-golib-python-bindings 0.4.4, with the public call as
    the fallback should they change."""
    from opa_bindings import OpaUndefinedError
    from opa_bindings.engine import _cstr

    call = getattr(engine, "_call", None)
    if call is None or not hasattr(engine, "_eval_result") or b"\x00" in raw_input:
        return engine.eval_document(path, json.loads(raw_input))
    with engine._eval_lock:
        engine._eval_reset()
        rs = engine._eval_result(call(engine._lib.OpaEvalDocument, _cstr(path), raw_input, 0, 0))
    if not rs or not rs[0].get("expressions"):
        raise OpaUndefinedError(f"data.{path}")
    return rs[0]["expressions"][0]["value"]


def _undefined(path: str) -> dict[str, Any]:
    return {"ok": False, "error": {"code": "undefined", "message": f"data.{path} is undefined"}}


def _serve(engine: Any, path: str, prints: list[str]) -> None:
    """A session's evaluations, one framed input at a time, until stdin closes. A frame
    that cannot be read ends the worker (the parent then stops using it)."""
    from opa_bindings import OpaError, OpaUndefinedError

    stdin = sys.stdin.buffer
    while True:
        line = stdin.readline(64)
        if not line:
            return  # the parent is done with this worker
        seq, size = (int(field) for field in line.split())
        raw_input = stdin.read(size)
        if len(raw_input) != size:
            raise SystemExit("the input frame was cut short")
        prints.clear()
        try:
            answer = {"ok": True, "result": _eval_raw(engine, path, raw_input)}
        except OpaUndefinedError:
            answer = _undefined(path)
        except OpaError as exc:
            answer = {"ok": False, "error": _opa_error(exc)}
        _answer(answer, seq)


def _opa_error(exc: Any) -> dict[str, str]:
    return {"code": exc.code, "message": " ".join(exc.message.split())}


def _batch_module(tests: list[list[str]]) -> str:
    """One generated module that evaluates every test rule in a single query: preparing a
    query compiles the policy set, so one query per test would compile it once per test."""
    lines = [f"package {_RUNNER}", "", "import rego.v1", ""]
    for i, (package, rule) in enumerate(tests):
        lines += [f"default t{i} := false", f"t{i} if data.{package}.{rule} == true", ""]
    lines.append("results := [" + ", ".join(f"t{i}" for i in range(len(tests))) + "]")
    return "\n".join(lines) + "\n"


def _run_one(engine: Any, package: str, rule: str, prints: list[str]) -> dict[str, str]:
    from opa_bindings import OpaError, OpaUndefinedError

    status, message = "fail", ""
    try:
        value = engine.eval_document(f"{package}.{rule}", None)
        status = "pass" if value is True else "fail"
        if value is not True:
            message = f"evaluated to {json.dumps(value)[:200]}"
    except OpaUndefinedError:
        message = "undefined (a condition in the test was false)"
    except OpaError as exc:
        status, message = "error", " ".join(exc.message.split())
    if prints:
        message = (message + " | " if message else "") + " | ".join(prints)[:2000]
        prints.clear()
    return {"package": package, "name": rule, "status": status, "message": message}


def _run_tests(engine: Any, tests: list[list[str]], prints: list[str]) -> list[dict[str, str]]:
    from opa_bindings import OpaError

    if not tests:
        return []
    engine.add_policy(f"{_RUNNER}.rego", _batch_module(tests))
    try:
        passed = engine.eval_document(f"{_RUNNER}.results", None)
    except OpaError:
        passed = None  # some test raised an error: run each on its own to say which
    if isinstance(passed, list) and len(passed) == len(tests):
        results = []
        for (package, rule), ok in zip(tests, passed, strict=True):
            if ok is True:
                results.append({"package": package, "name": rule, "status": "pass", "message": ""})
            else:  # re-run the failure alone for its message and prints
                results.append(_run_one(engine, package, rule, prints))
        return results
    return [_run_one(engine, package, rule, prints) for package, rule in tests]


def _coverage(engine: Any, tests: list[list[str]]) -> Any:
    """OPA's coverage report over every added module, from one query running every test
    (the lines ``opa test --coverage`` counts: each test evaluated once)."""
    engine.add_policy(f"{_RUNNER}.rego", _batch_module(tests))
    engine.eval_document(f"{_RUNNER}.results", None, coverage=True)
    return engine.last_coverage


def _new_engine(prints: list[str]) -> Any:
    from opa_bindings import OpaEngine

    engine = OpaEngine()
    engine.print_handler = lambda message, location: prints.append(f"{location}: {message}")
    return engine


def _parse_ahead(engine: Any, modules: list[list[str]]) -> bool:
    """Add (parse) the modules a hint names before the request arrives; False when one does
    not parse (the request then adds them again and reports the error with its own)."""
    from opa_bindings import OpaError

    try:
        for path, source in modules:
            engine.add_policy(path, source)
    except OpaError:
        return False
    return True


def main() -> None:
    from opa_bindings import OpaError, OpaUndefinedError

    # The binding loads before the request is read: a worker started early (EmbeddedEngine.warm)
    # does this, and parses the hinted modules, while gatecheck still loads config and policies.
    prints: list[str] = []
    engine = _new_engine(prints)
    line = sys.stdin.buffer.readline()
    if not line:
        return  # closed without a request: the spare was not needed
    request = json.loads(line)
    hinted, parsed_ahead = None, False
    if request.get("mode") == "modules":
        parsed_ahead = True
        if _parse_ahead(engine, request["modules"]):
            hinted = request["modules"]
        line = sys.stdin.buffer.readline()
        if not line:
            return
        request = json.loads(line)
    # A session's answers are framed, the first included: an error in setting it up is the
    # answer to its first input.
    seq = 0 if request.get("mode") == "session" else None
    try:
        if request["modules"] != hinted:  # no hint, or a wrong one: start from a clean engine
            if parsed_ahead:
                engine.close()
                engine = _new_engine(prints)
            for path, source in request["modules"]:
                engine.add_policy(path, source)
        engine.add_data(request["data"])
        if request["mode"] == "eval":
            _warm_up(engine, request["path"], prints)
            raw_input = sys.stdin.buffer.read()
            try:
                result = _eval_raw(engine, request["path"], raw_input)
            except OpaUndefinedError:
                _answer(_undefined(request["path"]))
                return
            _answer({"ok": True, "result": result})
        elif request["mode"] == "session":
            _warm_up(engine, request["path"], prints)
            _serve(engine, request["path"], prints)
        elif request["mode"] == "coverage":
            sys.stdin.buffer.read()
            _answer({"ok": True, "result": _coverage(engine, request["tests"])})
        else:
            sys.stdin.buffer.read()
            _answer({"ok": True, "result": _run_tests(engine, request["tests"], prints)})
    except OpaError as exc:
        _answer({"ok": False, "error": _opa_error(exc)}, seq)


if __name__ == "__main__":
    main()
