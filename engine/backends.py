"""Choosing a backend by name. No fallback: the backend asked for is the one used."""

from __future__ import annotations

from gatecheck.engine.interface import DEFAULT_TIMEOUT_S, Engine
from gatecheck.errors import UsageError

BACKENDS = ("embedded", "opa", "server")


def make_engine(
    name: str = "embedded",
    *,
    opa_path: str | None = None,
    opa_url: str | None = None,
    server_mode: str = "bundle",
    timeout: float = DEFAULT_TIMEOUT_S,
) -> Engine:
    if name == "embedded":
        from gatecheck.engine.embedded import EmbeddedEngine

        return EmbeddedEngine(timeout=timeout)
    if name == "opa":
        from gatecheck.engine.binary import BinaryEngine

        return BinaryEngine(opa_path, timeout=timeout)
    if name == "server":
        if not opa_url:
            raise UsageError("--engine server needs --opa-url URL")
        from gatecheck.engine.server import ServerEngine

        return ServerEngine(opa_url, server_mode, timeout=timeout)
    raise UsageError(f"unknown engine {name!r}; choose one of {', '.join(BACKENDS)}")
