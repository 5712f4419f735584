"""Child process for the embedded engine: one request on stdin, one JSON answer on stdout.

Kept minimal: it imports only the binding, so it starts fast and a crash or a kill cannot
take the gatecheck process with it.
"""

from __future__ import annotations

import json
import sys
from typing import Any


def _answer(value: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(value, ensure_ascii=False))
    sys.stdout.flush()


_RUNNER = "gatecheck_test_runner"


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


def main() -> None:
    from opa_bindings import OpaEngine, OpaError, OpaUndefinedError

    request = json.loads(sys.stdin.buffer.read())
    engine = OpaEngine()
    prints: list[str] = []
    engine.print_handler = lambda message, location: prints.append(f"{location}: {message}")
    try:
        for path, source in request["modules"]:
            engine.add_policy(path, source)
        engine.add_data(request["data"])
        if request["mode"] == "eval":
            try:
                result = engine.eval_document(request["path"], request["input"])
            except OpaUndefinedError:
                _answer(
                    {
                        "ok": False,
                        "error": {
                            "code": "undefined",
                            "message": f"data.{request['path']} is undefined",
                        },
                    }
                )
                return
            _answer({"ok": True, "result": result})
        else:
            _answer({"ok": True, "result": _run_tests(engine, request["tests"], prints)})
    except OpaError as exc:
        _answer(
            {"ok": False, "error": {"code": exc.code, "message": " ".join(exc.message.split())}}
        )


if __name__ == "__main__":
    main()
