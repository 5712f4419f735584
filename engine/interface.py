"""The boundary every OPA backend implements.

Backends differ only in where OPA runs (in-process Go library, the ``opa`` binary, a remote
server); each gets the same policy modules, data and input, and must give byte-identical
answers. There is no non-OPA backend and no fallback between backends.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gatecheck.engine.policy import PolicySet

REPORT_QUERY = "gatecheck.main.report"
DEFAULT_TIMEOUT_S = 60.0


@dataclass(frozen=True)
class EngineInfo:
    """What the report records about the engine."""

    backend: str
    """``embedded``, ``opa`` or ``server``."""
    opa_version: str
    """OPA's own version, e.g. ``1.20.2``."""
    detail: str = ""
    """Binding version, binary path or server URL."""

    def as_dict(self) -> dict[str, str]:
        return {"backend": self.backend, "opa_version": self.opa_version, "detail": self.detail}


@dataclass(frozen=True)
class RegoTestResult:
    package: str
    name: str
    status: str
    """``pass``, ``fail`` or ``error``."""
    message: str = ""
    file: str = ""


class Pending:
    """An evaluation whose policies are known and whose input is not yet: backends that can
    compile ahead (the embedded worker) do so while evidence is still being normalized."""

    def __init__(self, finish: Callable[[dict[str, Any]], Any], cancel: Callable[[], None]) -> None:
        self._finish = finish
        self._cancel = cancel

    def finish(self, input_doc: dict[str, Any]) -> Any:
        """Evaluate with ``input_doc``; same errors as Engine.evaluate."""
        return self._finish(input_doc)

    def cancel(self) -> None:
        """Give up without evaluating (safe to call after finish)."""
        self._cancel()


class Engine(ABC):
    """An OPA instance gatecheck evaluates on."""

    name: str

    @abstractmethod
    def info(self) -> EngineInfo:
        """Backend name and OPA version; raises EngineError when OPA is unavailable."""

    @abstractmethod
    def evaluate(self, policies: PolicySet, input_doc: dict[str, Any], path: str) -> Any:
        """Value of ``data.<path>`` for ``input_doc``; EngineError when OPA fails, times out,
        or the document is undefined."""

    def warm(self, policy_dirs: Sequence[Path] = ()) -> None:
        """Prepare what can be prepared before the policies are loaded (the embedded engine
        starts its worker process); never raises."""
        return None

    def close(self) -> None:
        """Release what ``warm`` prepared and no evaluation used."""
        return None

    def start(self, policies: PolicySet, path: str) -> Pending:
        """Begin an evaluation of ``data.<path>``; the input follows in ``finish``."""
        return Pending(lambda input_doc: self.evaluate(policies, input_doc, path), lambda: None)

    @abstractmethod
    def run_tests(self, policies: PolicySet) -> list[RegoTestResult]:
        """Run every ``test_*`` rule in the policy set's test modules."""
