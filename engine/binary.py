"""The ``opa`` binary as a subprocess (``--engine opa``).

Called with ``--strict-builtin-errors`` so a builtin error is an evaluation error, as in the
embedded engine. Policies and the merged data are written to a private temporary directory
(data as one ``data.json`` at the root, so OPA does not namespace it by folder).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from gatecheck.engine.interface import DEFAULT_TIMEOUT_S, Engine, EngineInfo, RegoTestResult
from gatecheck.engine.policy import PolicySet
from gatecheck.errors import EngineError


def find_opa(opa_path: str | None = None) -> str:
    if opa_path:
        if not Path(opa_path).is_file():
            raise EngineError(f"OPA binary {opa_path} does not exist")
        return opa_path
    found = shutil.which("opa")
    if not found:
        raise EngineError(
            "--engine opa needs the OPA binary on PATH or --opa-path; "
            "see https://www.openpolicyagent.org/docs/latest/#running-opa"
        )
    return found


class BinaryEngine(Engine):
    name = "opa"

    def __init__(self, opa_path: str | None = None, timeout: float = DEFAULT_TIMEOUT_S) -> None:
        self.opa = find_opa(opa_path)
        self.timeout = timeout

    def _exec(
        self, args: list[str], stdin: bytes | None = None
    ) -> subprocess.CompletedProcess[bytes]:
        try:
            return subprocess.run(
                [self.opa, *args],
                input=stdin,
                capture_output=True,
                timeout=self.timeout,
                check=False,
            )
        except subprocess.TimeoutExpired:
            raise EngineError(
                f"opa did not finish within {self.timeout:g} s and was stopped; raise --timeout"
            ) from None
        except OSError as exc:
            raise EngineError(f"cannot run {self.opa}: {exc.strerror or exc}") from None

    def info(self) -> EngineInfo:
        proc = self._exec(["version"])
        match = re.search(rb"^Version:\s*v?(\S+)", proc.stdout, re.MULTILINE)
        if proc.returncode != 0 or not match:
            raise EngineError(f"{self.opa} version failed; is it the OPA binary?")
        return EngineInfo("opa", match.group(1).decode(), self.opa)

    @staticmethod
    def _materialize(policies: PolicySet, root: Path, tests: bool) -> None:
        for module in policies.modules + (policies.tests if tests else []):
            target = root / "modules" / module.path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(module.text, encoding="utf-8")
        (root / "modules" / "data.json").write_text(
            json.dumps(policies.data, ensure_ascii=False), encoding="utf-8"
        )

    def evaluate(self, policies: PolicySet, input_doc: dict[str, Any], path: str) -> Any:
        with tempfile.TemporaryDirectory(prefix="gatecheck-opa-") as tmp:
            root = Path(tmp)
            modules = root / "modules"
            self._materialize(policies, root, tests=False)
            proc = self._exec(
                [
                    "eval",
                    "--strict-builtin-errors",
                    "--format",
                    "json",
                    "--stdin-input",
                    "--data",
                    str(root / "modules"),
                    f"data.{path}",
                ],
                stdin=json.dumps(input_doc, ensure_ascii=False).encode("utf-8"),
            )
        try:
            answer = json.loads(proc.stdout or b"{}")
        except json.JSONDecodeError:
            raise EngineError("opa eval returned malformed output") from None
        if proc.returncode != 0 or answer.get("errors"):
            errors = answer.get("errors") or [{"message": proc.stderr.decode("utf-8", "replace")}]
            raise EngineError(_describe(errors, modules))
        results = answer.get("result") or []
        if not results or not results[0].get("expressions"):
            raise EngineError(f"data.{path} is undefined")
        return results[0]["expressions"][0]["value"]

    def run_tests(self, policies: PolicySet) -> list[RegoTestResult]:
        with tempfile.TemporaryDirectory(prefix="gatecheck-opa-") as tmp:
            root = Path(tmp)
            modules = root / "modules"
            self._materialize(policies, root, tests=True)
            proc = self._exec(["test", "--format", "json", str(modules)])
        try:
            answers = json.loads(proc.stdout or b"[]")
        except json.JSONDecodeError:
            stderr = _in_policy_set(proc.stderr.decode("utf-8", "replace"), modules)
            raise EngineError(f"opa test failed: {' '.join(stderr.split())[:300]}") from None
        if not isinstance(answers, list):
            raise EngineError("opa test returned malformed output")
        results = []
        for a in answers:
            package = str(a.get("package", "")).removeprefix("data.")
            status = "error" if a.get("error") else "fail" if a.get("fail") else "pass"
            message = str((a.get("error") or {}).get("message", "")) if a.get("error") else ""
            results.append(
                RegoTestResult(
                    package,
                    a.get("name", ""),
                    status,
                    message,
                    _in_policy_set(str((a.get("location") or {}).get("file", "")), modules),
                )
            )
        return sorted(results, key=lambda r: (r.package, r.name))


def _in_policy_set(text: str, modules: Path) -> str:
    """``text`` with the private directory's paths as the policy set's own (``org/x.rego``):
    the directory is gone by the time anyone reads the message."""
    return text.replace(f"{modules}/", "")


def _describe(errors: list[Any], modules: Path) -> str:
    """OPA's errors as one line: the first, where it is in the policy set, and how many more
    (as the embedded engine reports a compile error)."""
    first = errors[0] if isinstance(errors[0], dict) else {"message": str(errors[0])}
    where = ""
    location = first.get("location")
    if isinstance(location, dict) and location.get("file"):
        where = f"{_in_policy_set(str(location['file']), modules)}:{location.get('row', '?')}: "
    message = " ".join(_in_policy_set(str(first.get("message", "")), modules).split())
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    return f"OPA {first.get('code', 'error')}: {where}{message}{more}"
