"""Entry point. Subcommands are imported on use, so ``gatecheck evaluate`` starts fast."""

from __future__ import annotations

import importlib
import os
import sys
from typing import Any

import click

from gatecheck import __version__

# name -> "module:attribute" of a click command or group.
COMMANDS: dict[str, str] = {
    "approve": "gatecheck.cli.attest:approve",
    "attest": "gatecheck.cli.attest:attest",
    "bundle": "gatecheck.cli.bundle:bundle",
    "collect": "gatecheck.cli.collect:collect",
    "config": "gatecheck.cli.config_cmd:config",
    "evaluate": "gatecheck.cli.evaluate:evaluate",
    "explain": "gatecheck.cli.explain:explain",
    "keys": "gatecheck.cli.keys:keys",
    "policy": "gatecheck.cli.policy:policy",
    "report": "gatecheck.cli.report:report",
    "schema": "gatecheck.cli.schema:schema",
}


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        spec = COMMANDS.get(name)
        if spec is None:
            return None
        module_name, _, attr = spec.partition(":")
        return getattr(importlib.import_module(module_name), attr)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="gatecheck")
def cli() -> None:
    """Policy-as-code release gates: sealed evidence bundles evaluated by OPA.

    Exit codes: 0 pass, 1 gate failed (or rollback at post-deploy), 2 error or usage error.
    """


def main(argv: list[str] | None = None) -> Any:
    from gatecheck.errors import GatecheckError

    try:
        return cli.main(args=argv, prog_name="gatecheck", standalone_mode=True)
    except GatecheckError as exc:  # raised outside a command's own handler
        click.echo(f"gatecheck: error: {exc.diagnostics()}", err=True)
        sys.exit(2)
    except KeyboardInterrupt:
        click.echo("gatecheck: interrupted", err=True)
        sys.exit(2)
    except Exception as exc:  # noqa: BLE001 - fail closed, one line, never a traceback
        if os.environ.get("GATECHECK_DEBUG"):
            raise
        click.echo(
            f"gatecheck: internal error: {type(exc).__name__}: {' '.join(str(exc).split())[:300]} "
            "(set GATECHECK_DEBUG=1 for a traceback)",
            err=True,
        )
        sys.exit(2)


if __name__ == "__main__":
    main()
