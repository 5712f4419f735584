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
STAGES = ("dev", "staging", "production", "post-deploy")


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
    "--stage",
    type=click.Choice(STAGES),
    help="Check at this stage only (default: GATECHECK_STAGE, else every stage).",
)
@click.option(
    "--at", "at", metavar="RFC3339", help="Judge waivers at this time, as evaluate --at does "
    "(default: now).",
)  # fmt: skip
@click.option(
    "--policy", "policy_dirs", multiple=True, type=click.Path(file_okay=False, path_type=Path),
    help="Extra Rego policy directory, as evaluate takes it (repeatable).",
)  # fmt: skip
@click.option(
    "--data", "data_files", multiple=True, type=click.Path(dir_okay=False, path_type=Path),
    help="Data document, as evaluate takes it (repeatable).",
)  # fmt: skip
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@handle_errors
def show(
    config_file: Path | None,
    stage: str | None,
    at: str | None,
    policy_dirs: tuple[Path, ...],
    data_files: tuple[Path, ...],
    fmt: str,
) -> None:
    """Print the effective settings and where each value came from, and check the
    configuration as `gatecheck evaluate` would: every problem that would stop it (exit 2)
    and every waiver it would ignore (a warning, exit 0).

    Precedence: flags > GATECHECK_* environment variables > gatecheck.toml (or
    [tool.gatecheck] in pyproject.toml) in the working directory > defaults.
    """
    from gatecheck.engine.config import STAGES as ALL_STAGES
    from gatecheck.engine.config import read_config
    from gatecheck.engine.config_check import check_config
    from gatecheck.engine.settings import SPEC_BY_NAME, resolve
    from gatecheck.timeutil import now_utc, parse_rfc3339

    flags: dict[str, Any] = {"config": config_file, "stage": stage}
    flags |= {"policy": list(policy_dirs), "data": list(data_files)}
    resolved = resolve(flags=flags)
    effective = parse_rfc3339(at, what="--at") if at else now_utc()
    policy_config = None
    if resolved.config_file:
        loaded, _, _ = read_config(resolved.config_file)
        if loaded is not None:
            policy_config = {
                "params": sorted(loaded.params),
                "stage_profiles": sorted(loaded.stages),
                "waivers": len(loaded.waivers),
                "trusted_keys": len(loaded.trusted_keys),
                "sigstore_trusted_root": loaded.sigstore_trusted_root,
            }
    stage = resolved.value("stage")
    check = check_config(
        resolved.config_file,
        at=effective,
        stages=(stage,) if stage else ALL_STAGES,
        policy_dirs=[Path(p) for p in resolved.value("policy")],
        data_files=[Path(p) for p in resolved.value("data")],
        catalog=_catalog_reader(resolved),
    )
    if fmt == "json":
        document = {
            "config_file": str(resolved.config_file) if resolved.config_file else None,
            "config_file_source": resolved.config_source,
            "settings": {
                name: {"value": s.value, "source": s.source, "env": SPEC_BY_NAME[name].env}
                for name, s in resolved.settings.items()
            },
            "policy_config": policy_config,
            "check": check.as_dict(),
        }
        sys.stdout.write(json.dumps(document, indent=2, default=str) + "\n")
    else:
        _show_text(resolved, policy_config)
        _show_check(check)
    if check.errors:
        click.echo(
            f"gatecheck: error: {len(check.errors)} configuration problem(s) would stop "
            "`gatecheck evaluate` (listed on stdout)",
            err=True,
        )
        sys.exit(2)


def _catalog_reader(resolved: Any) -> Callable[[Any], dict[str, Any]]:
    """Reads the control IDs with the configured engine; a server's stands in for the local
    embedded one (a catalog query changes the modules a server in bundle mode must serve, and
    would upload them in upload mode)."""

    def read(policies: Any) -> dict[str, Any]:
        from gatecheck.engine.backends import make_engine
        from gatecheck.engine.policy_docs import control_catalog

        name = resolved.value("engine")
        engine = make_engine(
            "embedded" if name == "server" else name,
            opa_path=resolved.value("opa_path"),
            timeout=resolved.value("timeout"),
        )
        try:
            return control_catalog(engine, policies)
        finally:
            engine.close()

    return read


def _show_text(resolved: Any, policy_config: dict[str, Any] | None) -> None:
    from gatecheck.engine.settings import SPEC_BY_NAME

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


def _show_check(check: Any) -> None:
    from gatecheck.timeutil import format_rfc3339

    stages = ", ".join(check.stages)
    click.echo(
        f"check as evaluate at {format_rfc3339(check.at)}, stage {stages}: "
        f"{len(check.errors)} errors, {len(check.warnings)} warnings"
    )
    for problem in check.problems:
        at_stages = (
            f" [{', '.join(problem.stages)}]"
            if problem.stages and len(problem.stages) < len(check.stages)
            else ""
        )
        click.echo(f"  {problem.severity.upper():<7}  {problem.message}{at_stages}")
