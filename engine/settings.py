"""Run settings and where each one came from.

Settings say how gatecheck runs (engine, timeout, output formats, extra policy and data); the
policy configuration (thresholds, stage profiles, waivers, trust anchors) is engine/config.py.
Both may live in one file: ``gatecheck.toml`` in the working directory, or the
``[tool.gatecheck]`` table of ``pyproject.toml`` there, or the file ``--config`` /
``GATECHECK_CONFIG`` names. Precedence: command-line flags > ``GATECHECK_*`` environment
variables > the configuration file > built-in defaults.
"""

from __future__ import annotations

import copy
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gatecheck.errors import ConfigError, EvidenceError
from gatecheck.evidence import safe

CONFIG_FILE = "gatecheck.toml"
PYPROJECT = "pyproject.toml"


@dataclass(frozen=True)
class SettingSpec:
    name: str
    """Key in the configuration file."""
    env: str
    """Environment variable."""
    kind: str
    """``str``, ``path``, ``float``, ``choice``, ``list`` (of strings) or ``paths``."""
    default: Any = None
    choices: tuple[str, ...] = ()
    in_file: bool = True
    """False for settings that belong to one run, never to a shared file (the stage)."""
    help: str = ""


SPECS: tuple[SettingSpec, ...] = (
    SettingSpec("stage", "GATECHECK_STAGE", "choice", None,
                ("dev", "staging", "production", "post-deploy"), in_file=False,
                help="promotion stage (flag or environment only)"),
    SettingSpec("engine", "GATECHECK_ENGINE", "choice", "embedded", ("embedded", "opa", "server"),
                help="where OPA runs"),
    SettingSpec("opa_path", "GATECHECK_OPA_PATH", "path", None, help="opa binary for engine opa"),
    SettingSpec("opa_url", "GATECHECK_OPA_URL", "str", None, help="OPA server for engine server"),
    SettingSpec("opa_server_mode", "GATECHECK_OPA_SERVER_MODE", "choice", "bundle",
                ("bundle", "upload"), help="how policies reach the OPA server"),
    SettingSpec("timeout", "GATECHECK_TIMEOUT", "float", 60.0, help="seconds per OPA evaluation"),
    SettingSpec("format", "GATECHECK_FORMAT", "str", "text", help="output format on stdout"),
    SettingSpec("output", "GATECHECK_OUTPUT", "list", [],
                help="extra outputs, [FORMAT=]PATH (environment: separated by spaces)"),
    SettingSpec("policy", "GATECHECK_POLICY", "paths", [],
                help=f"extra Rego policy directories (environment: separated by '{os.pathsep}')"),
    SettingSpec("data", "GATECHECK_DATA", "paths", [],
                help=f"extra data documents (environment: separated by '{os.pathsep}')"),
    SettingSpec("ledger", "GATECHECK_LEDGER", "str", None,
                help="decision ledger URL, sqlite:///path or postgresql://... (docs/ledger.md)"),
    SettingSpec("ledger_failure", "GATECHECK_LEDGER_FAILURE", "choice", "error",
                ("error", "warn-at-dev"),
                help="an unwritable ledger makes the decision error, or only warns at dev"),
)  # fmt: skip
SPEC_BY_NAME = {spec.name: spec for spec in SPECS}


@dataclass(frozen=True)
class Setting:
    name: str
    value: Any
    source: str
    """``flag``, ``env NAME``, ``file PATH`` or ``default``."""


@dataclass(frozen=True)
class Resolved:
    config_file: Path | None
    config_source: str
    """How the configuration file was found: flag, env GATECHECK_CONFIG, discovered, or none."""
    settings: dict[str, Setting]

    def value(self, name: str) -> Any:
        return self.settings[name].value


def discover_config_file(directory: Path) -> Path | None:
    """``gatecheck.toml`` in ``directory``, else its ``pyproject.toml`` if that has a
    ``[tool.gatecheck]`` table, else None. Only the directory itself is searched, so a
    pipeline always knows which file applies."""
    candidate = directory / CONFIG_FILE
    if candidate.is_file():
        return candidate
    pyproject = directory / PYPROJECT
    if pyproject.is_file():
        try:
            document = tomllib.loads(pyproject.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            raise ConfigError(f"{pyproject} cannot be read as TOML: {exc}") from None
        if isinstance(document.get("tool", {}).get("gatecheck"), dict):
            return pyproject
    return None


# The last file parsed: the run settings and the policy configuration (engine/config.py) both
# read the same file, and a YAML parse is a noticeable part of startup.
_last_parsed: list[tuple[str, bytes, Any]] = []


def parse_config_file(path: Path) -> Any:
    """The whole document in ``path`` (TOML, YAML or JSON), parsed once for the same bytes;
    each caller gets its own copy."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"config {path} cannot be read ({exc.strerror or exc})") from None
    if _last_parsed and _last_parsed[0][:2] == (str(path), raw):
        return copy.deepcopy(_last_parsed[0][2])
    try:
        if path.suffix == ".toml":
            value: Any = tomllib.loads(safe.decode_text(raw, name=str(path)))
        else:
            value = safe.load_structured(raw, name=str(path))
    except (EvidenceError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"config {path}: {exc}") from None
    _last_parsed[:] = [(str(path), raw, copy.deepcopy(value))]
    return value


def read_document(path: Path) -> dict[str, Any]:
    """The configuration mapping in ``path`` (TOML, YAML or JSON; pyproject's tool.gatecheck)."""
    value = parse_config_file(path)
    if path.suffix == ".toml" and path.name == PYPROJECT:
        value = value.get("tool", {}).get("gatecheck", {})
    if not isinstance(value, dict):
        raise ConfigError(f"config {path} must be a mapping")
    return value


def _relative(value: str, base: Path) -> str:
    path = Path(value).expanduser()
    return str(path if path.is_absolute() else base / path)


def _convert(spec: SettingSpec, value: Any, where: str, base: Path | None) -> Any:
    """``value`` checked against ``spec``; strings from the environment are parsed."""
    from_env = base is None
    if spec.kind in ("list", "paths"):
        if from_env and isinstance(value, str):
            sep = os.pathsep if spec.kind == "paths" else None
            value = [v for v in (value.split(sep) if sep else value.split()) if v]
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            raise ConfigError(f"{where}: {spec.name} must be a list of non-empty strings")
        if base is not None and spec.kind == "paths":
            value = [_relative(v, base) for v in value]
        if base is not None and spec.name == "output":
            value = [_output_relative(v, base) for v in value]
        return value
    if spec.kind == "float":
        if isinstance(value, bool):
            raise ConfigError(f"{where}: {spec.name} must be a number")
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise ConfigError(f"{where}: {spec.name} must be a number, not {value!r}") from None
        if not number > 0:
            raise ConfigError(f"{where}: {spec.name} must be greater than 0")
        return number
    if not isinstance(value, str) or not value:
        raise ConfigError(f"{where}: {spec.name} must be a non-empty string")
    if spec.kind == "choice" and value not in spec.choices:
        raise ConfigError(f"{where}: {spec.name} must be one of {', '.join(spec.choices)}")
    if spec.kind == "path" and base is not None:
        return _relative(value, base)
    if spec.name == "ledger" and base is not None and value.startswith("sqlite:///"):
        # A relative SQLite path in a file is relative to that file, like every other path.
        return "sqlite:///" + _relative(value.removeprefix("sqlite:///"), base)
    return value


def _output_relative(spec: str, base: Path) -> str:
    from gatecheck.engine.formats import FORMATS

    fmt, sep, path = spec.partition("=")
    if sep and fmt in FORMATS:
        return f"{fmt}={_relative(path, base)}"
    return _relative(spec, base)


def file_settings(path: Path) -> dict[str, Any]:
    """The run settings a configuration file sets (relative paths resolved against it)."""
    document = read_document(path)
    found = {}
    for spec in SPECS:
        if spec.name in document:
            if not spec.in_file:
                raise ConfigError(
                    f"config {path}: {spec.name} cannot be set in a file; "
                    f"use --{spec.name} or {spec.env}"
                )
            found[spec.name] = _convert(spec, document[spec.name], f"config {path}", path.parent)
    return found


def env_settings(environ: Mapping[str, str]) -> dict[str, Any]:
    found = {}
    for spec in SPECS:
        raw = environ.get(spec.env)
        if raw is not None and raw != "":
            found[spec.name] = _convert(spec, raw, f"environment {spec.env}", None)
    return found


def resolve(
    *,
    flags: Mapping[str, Any] | None = None,
    environ: Mapping[str, str] | None = None,
    cwd: Path | None = None,
) -> Resolved:
    """Every setting with its effective value and source. ``flags`` holds only the values
    given on the command line (``config`` included)."""
    flags = dict(flags or {})
    environ = os.environ if environ is None else environ
    cwd = cwd or Path.cwd()
    if flags.get("config"):
        config_file, config_source = Path(flags["config"]), "flag --config"
    elif environ.get("GATECHECK_CONFIG"):
        config_file, config_source = Path(environ["GATECHECK_CONFIG"]), "env GATECHECK_CONFIG"
    else:
        config_file = discover_config_file(cwd)
        config_source = "discovered in the working directory" if config_file else "none"
    from_file = file_settings(config_file) if config_file else {}
    from_env = env_settings(environ)
    settings = {}
    for spec in SPECS:
        if spec.name in flags and flags[spec.name] not in (None, (), []):
            settings[spec.name] = Setting(spec.name, flags[spec.name], "flag")
        elif spec.name in from_env:
            settings[spec.name] = Setting(spec.name, from_env[spec.name], f"env {spec.env}")
        elif spec.name in from_file:
            settings[spec.name] = Setting(spec.name, from_file[spec.name], f"file {config_file}")
        else:
            settings[spec.name] = Setting(spec.name, spec.default, "default")
    return Resolved(config_file, config_source, settings)
