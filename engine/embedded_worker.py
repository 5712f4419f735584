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
            results = []
            for package, rule in request["tests"]:
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
                results.append(
                    {"package": package, "name": rule, "status": status, "message": message}
                )
            _answer({"ok": True, "result": results})
    except OpaError as exc:
        _answer(
            {"ok": False, "error": {"code": exc.code, "message": " ".join(exc.message.split())}}
        )


if __name__ == "__main__":
    main()
