"""``gatecheck config``: the effective configuration, and the decorator that gives commands
their settings from flags > GATECHECK_* environment > configuration file > defaults."""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
from click.core import ParameterSource

from gatecheck.cli.common import handle_errors

# Setting name -> the click parameter name commands use for it.
PARAMS = {
    "stage": "stage",
    "engine": "engine_name",
    "opa_path": "opa_path",
    "opa_url": "opa_url",
    "opa_server_mode": "opa_server_mode",
    "timeout": "timeout",
    "format": "fmt",
    "output": "outputs",
    "policy": "policy_dirs",
    "data": "data_files",
    "ledger": "ledger_url",
    "ledger_failure": "ledger_failure",
}
_GIVEN = (ParameterSource.COMMANDLINE, ParameterSource.PROMPT)
RESOLVED_KEY = "gatecheck.resolved_settings"


def apply_settings(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Fill a command's options that were not given on the command line from the environment
    and the configuration file (``config_file`` too, when one is discovered)."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from gatecheck.engine.settings import resolve

        ctx = click.get_current_context()
        params = {p.name: p for p in ctx.command.params}
        flags: dict[str, Any] = {}
        for name, pname in PARAMS.items():
            if pname in kwargs and ctx.get_parameter_source(pname) in _GIVEN:
                flags[name] = kwargs[pname]
        if "config_file" in kwargs and ctx.get_parameter_source("config_file") in _GIVEN:
            flags["config"] = kwargs["config_file"]
        resolved = resolve(flags=flags)
        ctx.meta[RESOLVED_KEY] = resolved  # commands name their config sources from it
        for name, setting in resolved.settings.items():
            pname = PARAMS[name]
            if pname not in kwargs or setting.source in ("flag", "default"):
                continue
            kwargs[pname] = params[pname].type_cast_value(ctx, setting.value)
        if "config_file" in kwargs and kwargs["config_file"] is None and resolved.config_file:
            kwargs["config_file"] = resolved.config_file
        return fn(*args, **kwargs)

    return wrapper


@click.group("config")
def config() -> None:
    """Show where gatecheck's settings come from."""


def _show_value(value: Any) -> str:
    if value is None or value == []:
        return "-"
    if isinstance(value, list | tuple):
        return " ".join(str(v) for v in value)
    return str(value)


@config.command("show")
@click.option(
    "--config",
    "config_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Configuration file to show instead of the discovered one.",
)
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@handle_errors
def show(config_file: Path | None, fmt: str) -> None:
    """Print the effective settings and where each value came from.

    Precedence: flags > GATECHECK_* environment variables > gatecheck.toml (or
    [tool.gatecheck] in pyproject.toml) in the working directory > defaults.
    """
    from gatecheck.engine.config import load_config
    from gatecheck.engine.settings import SPEC_BY_NAME, resolve

    resolved = resolve(flags={"config": config_file} if config_file else {})
    policy_config = None
    if resolved.config_file:
        loaded, _ = load_config(resolved.config_file)
        policy_config = {
            "params": sorted(loaded.params),
            "stage_profiles": sorted(loaded.stages),
            "waivers": len(loaded.waivers),
            "trusted_keys": len(loaded.trusted_keys),
            "sigstore_trusted_root": loaded.sigstore_trusted_root,
        }
    if fmt == "json":
        document = {
            "config_file": str(resolved.config_file) if resolved.config_file else None,
            "config_file_source": resolved.config_source,
            "settings": {
                name: {"value": s.value, "source": s.source, "env": SPEC_BY_NAME[name].env}
                for name, s in resolved.settings.items()
            },
            "policy_config": policy_config,
        }
        sys.stdout.write(json.dumps(document, indent=2, default=str) + "\n")
        return
    where = (
        f"{resolved.config_file} ({resolved.config_source})"
        if resolved.config_file
        else "none (no gatecheck.toml or [tool.gatecheck] in pyproject.toml here)"
    )
    click.echo(f"configuration file: {where}")
    rows = [
        (name, _show_value(s.value), s.source, SPEC_BY_NAME[name].env)
        for name, s in resolved.settings.items()
    ]
    widths = [
        max(len(r[i]) for r in [("setting", "value", "source", "variable"), *rows])
        for i in range(3)
    ]
    header = ("setting", "value", "source", "variable")
    for row in [header, *rows]:
        click.echo(
            f"{row[0]:<{widths[0]}}  {row[1]:<{widths[1]}}  {row[2]:<{widths[2]}}  {row[3]}".rstrip()
        )
    if policy_config is not None:
        click.echo(
            f"policy configuration: {len(policy_config['params'])} params, stage profiles "
            f"[{', '.join(policy_config['stage_profiles'])}], {policy_config['waivers']} waivers, "
            f"{policy_config['trusted_keys']} trusted keys"
        )
