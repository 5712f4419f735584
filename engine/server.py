"""A remote OPA server through opa-python-client (``--engine server --opa-url URL``).

gatecheck must know the server evaluates the same policy set it would evaluate locally:
- ``bundle`` mode (default, for OPA fleets): the server must have loaded a bundle whose
  ``.manifest`` revision equals the local policy digest (``gatecheck policy build`` writes
  such a bundle); otherwise gatecheck refuses.
- ``upload`` mode (a dedicated server): gatecheck uploads every module and the data, then
  evaluates.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlparse

from gatecheck.engine.interface import DEFAULT_TIMEOUT_S, Engine, EngineInfo, RegoTestResult
from gatecheck.engine.policy import PolicySet
from gatecheck.errors import EngineError

POLICY_ID_PREFIX = "gatecheck"


class ServerEngine(Engine):
    name = "server"

    def __init__(self, url: str, mode: str = "bundle", timeout: float = DEFAULT_TIMEOUT_S) -> None:
        parsed = urlparse(url)
        if parsed.scheme not in ("http", "https") or not parsed.hostname:
            raise EngineError(f"--opa-url {url!r} is not an http(s) URL")
        if mode not in ("bundle", "upload"):
            raise EngineError(f"server mode {mode!r} is not bundle or upload")
        self.url = url
        self.mode = mode
        self.timeout = timeout
        self._parsed = parsed

    def _client(self) -> Any:
        from opa_client import OpaClient

        port = self._parsed.port or (443 if self._parsed.scheme == "https" else 80)
        return OpaClient(
            host=self._parsed.hostname,
            port=port,
            ssl=self._parsed.scheme == "https",
            timeout=self.timeout,
        )

    def _call(self, what: str, fn: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except Exception as exc:  # noqa: BLE001 - every client failure is an engine error
            raise EngineError(
                f"OPA server {self.url}: {what} failed ({' '.join(str(exc).split())[:300]})"
            ) from None

    def info(self) -> EngineInfo:
        client = self._client()
        status = self._call("status", client.get_status) or {}
        version = ""
        if isinstance(status, dict):
            version = str((status.get("labels") or {}).get("version", ""))
        return EngineInfo("server", version or "unknown", self.url)

    def _loaded_revisions(self, client: Any) -> dict[str, str]:
        bundles = self._call("reading loaded bundles", client.get_data, "system/bundles") or {}
        result = bundles.get("result", bundles) if isinstance(bundles, dict) else {}
        revisions = {}
        for name, entry in (result or {}).items():
            if isinstance(entry, dict):
                revisions[name] = str((entry.get("manifest") or {}).get("revision", ""))
        return revisions

    def _prepare(self, client: Any, policies: PolicySet) -> None:
        if self.mode == "upload":
            for module in policies.modules:
                self._call(
                    f"uploading {module.path}",
                    client.update_policy_from_string,
                    module.text,
                    f"{POLICY_ID_PREFIX}/{module.path}",
                )
            self._call(
                "uploading data",
                client.update_or_create_data,
                policies.data.get("gatecheck", {}),
                "gatecheck",
            )
            return
        revisions = self._loaded_revisions(client)
        if policies.digest not in revisions.values():
            loaded = ", ".join(f"{n}={r or '(none)'}" for n, r in revisions.items()) or "none"
            raise EngineError(
                f"OPA server {self.url} does not serve this policy set (need bundle revision "
                f"{policies.digest}; loaded: {loaded}); serve `gatecheck policy build` output "
                "or use --opa-server-mode upload"
            )

    def evaluate(self, policies: PolicySet, input_doc: dict[str, Any], path: str) -> Any:
        client = self._client()
        self._prepare(client, policies)
        answer = self._call("query", client.query_rule, input_doc, path.replace(".", "/"))
        if not isinstance(answer, dict) or "result" not in answer:
            raise EngineError(f"OPA server {self.url}: data.{path} is undefined")
        return answer["result"]

    def run_tests(self, policies: PolicySet) -> list[RegoTestResult]:
        raise EngineError("policy tests run locally: use --engine embedded or --engine opa")
