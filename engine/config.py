"""The gatecheck configuration file: thresholds, stage profiles, waivers, trust anchors.

Read from YAML, TOML or JSON. Thresholds and stage profiles become the data overlay
(``data.gatecheck.config``) that overrides the library's defaults; waivers are applied after
evaluation; trust anchors (keys, Sigstore root) are used when evidence is verified.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError

from gatecheck.engine.trust import ResolvedTrust, TrustPolicy, resolve
from gatecheck.errors import ConfigError

STAGES = ("dev", "staging", "production", "post-deploy")
SHIPPED_SIGSTORE_ROOTS = ("public-good", "staging")
# Evidence signed under any other root (staging included) verifies only where configured.
DEFAULT_SIGSTORE_ROOTS = ("public-good",)
# Run settings (engine/settings.py) may share the file; they are not policy configuration.
SETTINGS_KEYS = frozenset(
    {"engine", "opa_path", "opa_url", "opa_server_mode", "timeout"}
    | {"format", "output", "policy", "data"}
    | {"ledger", "ledger_failure"}
)


class StageProfile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    params: dict[str, Any] = Field(default_factory=dict)
    enforce: dict[str, Literal["fail", "warn", "off"]] = Field(default_factory=dict)


class WaiverScope(BaseModel):
    model_config = ConfigDict(extra="forbid")
    release: str = Field(min_length=1, description="Release name the waiver is for.")
    version: str | None = None
    artifact: str | None = None
    component: str | None = Field(None, description="Component purl or name.")
    vulnerability: str | None = Field(None, description="Vulnerability id (CVE, GHSA, ...).")


class Waiver(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str | None = None
    control: str = Field(min_length=1)
    scope: WaiverScope
    justification: str = Field(min_length=1)
    approver: str = Field(
        min_length=1, description="A person of the trust policy's directory, by id or alias."
    )
    granted: str = Field(description="RFC 3339 time the waiver was approved.")
    expires: str = Field(
        description="RFC 3339 time, at most `waiver_max_days` after `granted`; a waiver "
        "without expiry is rejected."
    )

    @property
    def label(self) -> str:
        """How errors name the waiver: its id, else control and scope."""
        if self.id:
            return f"waiver {self.id}"
        scope = ", ".join(f"{k}={v}" for k, v in self.scope.model_dump(exclude_none=True).items())
        return f"waiver for {self.control} ({scope})"


class TrustedKey(BaseModel):
    model_config = ConfigDict(extra="forbid")
    key_id: str | None = None
    path: str | None = None
    pem: str | None = None


class Config(BaseModel):
    model_config = ConfigDict(extra="forbid")
    params: dict[str, Any] = Field(default_factory=dict)
    stages: dict[Literal["dev", "staging", "production", "post-deploy"], StageProfile] = Field(
        default_factory=dict
    )
    waivers: list[Waiver] = Field(default_factory=list)
    trusted_keys: list[TrustedKey] = Field(default_factory=list)
    sigstore_trusted_root: str | list[str] | None = Field(
        None, description="trusted_root.json path(s), or `public-good` / `staging` (shipped roots)."
    )
    junit_kind_patterns: dict[str, list[str]] = Field(default_factory=dict)
    _trust_cache: dict[str, ResolvedTrust] = PrivateAttr(default_factory=dict)
    trust: TrustPolicy | None = Field(
        None,
        description="Who may vouch for which evidence type (producers) and who the people "
        "are (directory); see docs/trust.md.",
    )

    def resolved_trust(self, base_dir: Path) -> ResolvedTrust:
        """The trust policy with its keys read (relative paths from ``base_dir``), read once
        per evaluation however many steps ask (digest, parsers, authenticity, weakening)."""
        key = str(base_dir.resolve())
        if key not in self._trust_cache:
            self._trust_cache[key] = resolve(self.trust, base_dir)
        return self._trust_cache[key]

    def data_overlay(self, base_dir: Path | None = None) -> dict[str, Any]:
        config: dict[str, Any] = {}
        if self.trust is not None:
            # Anchors by content (key ids of the key bytes), so the policy digest changes
            # when a key behind the same path does.
            config["trust"] = self.resolved_trust(base_dir or Path.cwd()).digest_view()
        if self.params:
            config["params"] = self.params
        if self.stages:
            config["stages"] = {
                name: profile.model_dump(exclude_defaults=False)
                for name, profile in self.stages.items()
            }
        return {"gatecheck": {"config": config}} if config else {}

    def _legacy_keys(self, base_dir: Path) -> list[dict[str, Any]]:
        """``trusted_keys`` entries as ``{key_id, pem}`` (files read relative to the config)."""
        keys = []
        for key in self.trusted_keys:
            pem = key.pem
            if key.path:
                path = (base_dir / key.path).expanduser()
                try:
                    pem = path.read_text(encoding="utf-8")
                except (OSError, UnicodeDecodeError) as exc:
                    raise ConfigError(
                        f"trusted key {path} cannot be read "
                        f"({getattr(exc, 'strerror', None) or exc})"
                    ) from None
            if not pem:
                raise ConfigError("a trusted key needs `path` or `pem`")
            keys.append({"key_id": key.key_id, "pem": pem})
        return keys

    def sigstore_root_names(self, base_dir: Path) -> list[str]:
        """The Sigstore roots evidence signatures verify against: the configured ones (paths
        resolved against the config file), else public-good only."""
        names = self.sigstore_trusted_root
        if not names:
            return list(DEFAULT_SIGSTORE_ROOTS)
        return [
            n if n in SHIPPED_SIGSTORE_ROOTS else str((base_dir / n).expanduser())
            for n in ([names] if isinstance(names, str) else names)
        ]

    def bindings(self, base_dir: Path) -> dict[str, Any]:
        """Decision inputs that are not policy data, by content: they enter the policy digest
        (engine/policy.py) so a replay refuses when any differs."""
        from gatecheck.evidence.signing.keys import trusted_keys
        from gatecheck.evidence.signing.signatures import root_digests

        trust = self.resolved_trust(base_dir)
        keys = {kid: sorted(owners) for kid, owners in trust.by_key.items()}
        for entry in trusted_keys(self._legacy_keys(base_dir), what="config trusted_keys"):
            label = f"trusted_keys:{entry.alias}" if entry.alias else "trusted_keys"
            keys[entry.key_id] = sorted({*keys.get(entry.key_id, []), label})
        identities = sorted(
            [identity, issuer, root, sorted(owners)]
            for (identity, issuer, root), owners in trust.by_sigstore.items()
        )
        roots = self.sigstore_root_names(base_dir)
        roots += [r for r in trust.roots if r not in roots]
        return {
            "trust_anchors": {"keys": dict(sorted(keys.items())), "sigstore": identities},
            "sigstore_roots": root_digests(roots),
            "junit_kind_patterns": self.junit_kind_patterns,
            "waivers": [w.model_dump(mode="json", exclude_none=True) for w in self.waivers],
        }

    def evidence_config(self, base_dir: Path) -> dict[str, Any]:
        """What parsers see as ParseContext.config (paths resolved against the config file)."""
        keys = self._legacy_keys(base_dir)
        # Records signed by producers or people of the trust policy verify as signed too.
        keys += [{"pem": pem} for pem in self.resolved_trust(base_dir).key_pems.values()]
        return {
            "trusted_keys": keys,
            "sigstore_trusted_root": self.sigstore_root_names(base_dir),
            "junit_kind_patterns": self.junit_kind_patterns,
        }


def load_config(path: Path | None) -> tuple[Config, Path]:
    """The config at ``path`` (or an empty one) and the directory relative paths resolve from."""
    config, base_dir, problems = read_config(path)
    if config is None:
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise ConfigError(f"{problems[0]}{more}")
    return config, base_dir


def read_config(path: Path | None) -> tuple[Config | None, Path, list[str]]:
    """As ``load_config``, with every model error (``config FILE: field: message``) listed
    instead of raised; the config is None when there is any. A file that cannot be read or
    parsed is still a ConfigError: there is nothing to list."""
    from gatecheck.engine.settings import parse_config_file

    if path is None:
        return Config(), Path.cwd(), []
    value = parse_config_file(path)  # parsed already when the run settings were read
    if path.suffix == ".toml" and path.name == "pyproject.toml":
        value = value.get("tool", {}).get("gatecheck", value)
    if not isinstance(value, dict):
        raise ConfigError(f"config {path} must be a mapping")
    value = {k: v for k, v in value.items() if k not in SETTINGS_KEYS}
    try:
        return Config.model_validate(value), path.parent, []
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            loc = ".".join(str(p) for p in error["loc"]) or "(top level)"
            problems.append(f"config {path}: {loc}: {error['msg']}")
        return None, path.parent, problems
