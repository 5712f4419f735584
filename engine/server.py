"""A remote OPA server through opa-python-client (``--engine server --opa-url URL``).

gatecheck must know the server evaluates the same policy set it would evaluate locally:
- ``bundle`` mode (default, for OPA fleets): the server must have loaded a bundle whose
  ``.manifest`` revision equals the local policy revision (``gatecheck policy build`` writes
  such a bundle); otherwise gatecheck refuses. The revision is read from the provenance of the
  very answer used, so a bundle swapped between a check and the query cannot slip through.
  The revision covers the data, so also the configuration's parameters, stage profiles and
  trust policy (``policy build --config``); when that is what differs, the refusal says so.
- ``upload`` mode (a dedicated server): gatecheck makes the server's ``gatecheck/`` policies
  exactly the local modules (stale ones deleted) and uploads the data, then evaluates.

Every query asks for ``strict-builtin-errors``: without it OPA's REST API drops a builtin error
(an unparseable timestamp in evidence) and answers as if the rule were simply undefined.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlparse

from gatecheck.engine.interface import DEFAULT_TIMEOUT_S, Engine, EngineInfo, RegoTestResult
from gatecheck.engine.opa_bundle import config_digest, config_document
from gatecheck.engine.policy import PolicyFile, PolicySet, package_of
from gatecheck.errors import EngineError

POLICY_ID_PREFIX = "gatecheck"
# Query parameters of OPA's data API (values are case-insensitive booleans).
STRICT = {"strict-builtin-errors": "true", "provenance": "true"}
# An undefined document outside the library: asking for it costs nothing and the answer's
# provenance carries OPA's version.
PROBE_PATH = "gatecheck_engine_probe"
# The configuration document a bundle carries (engine/opa_bundle.py), read when revisions differ.
CONFIG_PATH = "gatecheck/config"


def _opa_error(exc: Exception) -> str:
    """OPA's own error text from a failed request (the HTTP status line says nothing)."""
    response = getattr(exc, "response", None)
    try:
        body = response.json() if response is not None else None
    except ValueError:
        body = None
    if isinstance(body, dict):
        errors = body.get("errors") or []
        first = errors[0] if errors and isinstance(errors[0], dict) else body
        return f"OPA {first.get('code', 'error')}: {first.get('message', '')}"
    return str(exc)


def _differing(theirs: dict[str, Any], ours: dict[str, Any]) -> str:
    """Each key of two configuration documents whose value differs, with the differing keys
    beneath it (parameter names, stages): ``params (coverage_min), stages (production)``."""

    def keys(value: Any) -> dict[str, Any]:
        return value if isinstance(value, dict) else {}

    parts = []
    for key in sorted(set(theirs) | set(ours)):
        mine, served = ours.get(key), theirs.get(key)
        if mine == served:
            continue
        below = keys(mine).keys() | keys(served).keys()
        names = sorted(str(k) for k in below if keys(mine).get(k) != keys(served).get(k))
        shown = ", ".join(names[:5]) + (f", {len(names) - 5} more" if len(names) > 5 else "")
        parts.append(f"{key} ({shown})" if shown else key)
    return ", ".join(parts)


def _upload_rank(module: PolicyFile) -> int:
    package = package_of(module)
    if package == "gatecheck.main":
        return 2
    return 1 if package.startswith("gatecheck.controls.") else 0


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
                f"OPA server {self.url}: {what} failed ({' '.join(_opa_error(exc).split())[:300]})"
            ) from None

    def info(self) -> EngineInfo:
        # /v1/status needs OPA's status plugin, which a plain `opa run --server` lacks.
        client = self._client()
        answer = self._call("version probe", client.query_rule, {}, PROBE_PATH, None, STRICT)
        provenance = answer.get("provenance") if isinstance(answer, dict) else None
        version = str((provenance or {}).get("version", "")) if isinstance(provenance, dict) else ""
        return EngineInfo("server", version or "unknown", self.url)

    def _upload(self, client: Any, policies: PolicySet) -> None:
        wanted = {f"{POLICY_ID_PREFIX}/{m.path}": m.text for m in policies.modules}
        order = {f"{POLICY_ID_PREFIX}/{m.path}": _upload_rank(m) for m in policies.modules}
        loaded = self._call("listing policies", client.get_policies_list) or []
        # A module left by an earlier upload would still be evaluated with the new set.
        stale = [p for p in loaded if str(p).startswith(f"{POLICY_ID_PREFIX}/") and p not in wanted]
        steps: list[tuple[str, Any, tuple[Any, ...]]] = [
            (f"deleting {p}", client.delete_policy, (p,)) for p in stale
        ]
        # OPA compiles every module on each upload (an unchanged one costs nothing), so a
        # module calling a function not yet uploaded is refused: helper packages first, then
        # controls, then main; whatever failed is retried while the previous round progressed.
        for policy_id in sorted(wanted, key=lambda p: (order[p], p)):
            steps.append(
                (
                    f"uploading {policy_id}",
                    client.update_policy_from_string,
                    # rego_compat off: the client would retry a refused module as v0 Rego.
                    (wanted[policy_id], policy_id, False),
                )
            )
        while steps:
            failed = []
            for what, fn, args in steps:
                try:
                    fn(*args)
                except Exception as exc:  # noqa: BLE001 - retried, then reported below
                    failed.append((what, fn, args, exc))
            if len(failed) == len(steps):
                what, _fn, _args, exc = failed[0]
                raise EngineError(
                    f"OPA server {self.url}: {what} failed "
                    f"({' '.join(_opa_error(exc).split())[:300]})"
                )
            steps = [(what, fn, args) for what, fn, args, _exc in failed]
        self._call(
            "uploading data",
            client.update_or_create_data,
            policies.data.get("gatecheck", {}),
            "gatecheck",
        )

    def _check_revision(self, client: Any, answer: dict[str, Any], policies: PolicySet) -> None:
        provenance = answer.get("provenance") or {}
        bundles = provenance.get("bundles") if isinstance(provenance, dict) else None
        revisions = {
            str(name): str((entry or {}).get("revision", ""))
            for name, entry in (bundles or {}).items()
            if isinstance(entry, dict)
        }
        if policies.revision not in revisions.values():
            loaded = ", ".join(f"{n}={r or '(none)'}" for n, r in revisions.items()) or "none"
            need = f"need bundle revision {policies.revision}; loaded: {loaded}"
            differs = self._config_difference(client, policies) if revisions else None
            if differs:
                raise EngineError(
                    f"OPA server {self.url} serves another configuration ({differs}; {need}); "
                    "serve `gatecheck policy build --config FILE` output built with the "
                    "--config, --policy and --data this evaluation uses"
                )
            raise EngineError(
                f"OPA server {self.url} does not serve this policy set ({need}); serve "
                "`gatecheck policy build` output or use --opa-server-mode upload"
            )

    def _config_difference(self, client: Any, policies: PolicySet) -> str | None:
        """What differs between the served data.gatecheck.config and this evaluation's, or
        None when they are the same or the served one cannot be read (the revision mismatch
        is then reported as it is)."""
        try:
            served = client.query_rule({}, CONFIG_PATH, None, STRICT)
        except Exception:  # noqa: BLE001 - a diagnosis only: the mismatch is refused anyway
            return None
        if not isinstance(served, dict) or "result" not in served:
            return None
        theirs, ours = served["result"], config_document(policies.data)
        if not isinstance(theirs, dict) or not isinstance(ours, dict) or theirs == ours:
            return None
        return (
            f"its data.gatecheck.config {config_digest({'gatecheck': {'config': theirs}})} "
            f"differs from this evaluation's {config_digest(policies.data)} in "
            f"{_differing(theirs, ours)}"
        )

    def evaluate(self, policies: PolicySet, input_doc: dict[str, Any], path: str) -> Any:
        client = self._client()
        if self.mode == "upload":
            self._upload(client, policies)
        answer = self._call(
            "query", client.query_rule, input_doc, path.replace(".", "/"), None, STRICT
        )
        if not isinstance(answer, dict):
            raise EngineError(f"OPA server {self.url}: malformed answer to data.{path}")
        if self.mode == "bundle":
            self._check_revision(client, answer, policies)
        if "result" not in answer:
            raise EngineError(f"OPA server {self.url}: data.{path} is undefined")
        return answer["result"]

    def run_tests(self, policies: PolicySet) -> list[RegoTestResult]:
        raise EngineError("policy tests run locally: use --engine embedded or --engine opa")
