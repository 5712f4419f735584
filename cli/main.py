"""Entry point. Subcommands are imported on use, so ``gatecheck evaluate`` starts fast."""

from __future__ import annotations

import importlib
import os
import sys
from typing import Any, NoReturn

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
    "ledger": "gatecheck.cli.ledger:ledger",
    "policy": "gatecheck.cli.policy:policy",
    "report": "gatecheck.cli.report:report",
    "schema": "gatecheck.cli.schema:schema",
}
BROKEN_PIPE = (
    "the output pipe was closed before gatecheck finished writing (broken pipe): the result "
    "was not delivered, whatever the decision"
)


class LazyGroup(click.Group):
    # A write to a closed stdout must not reach click's own EPIPE handling (exit 1).
    def make_context(self, *args: Any, **kwargs: Any) -> click.Context:
        from gatecheck.cli.common import closed_output_is_an_error

        with closed_output_is_an_error():
            return super().make_context(*args, **kwargs)

    def invoke(self, ctx: click.Context) -> Any:
        from gatecheck.cli.common import closed_output_is_an_error

        with closed_output_is_an_error():
            return super().invoke(ctx)

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


def main(argv: list[str] | None = None) -> NoReturn:
    """Run the CLI; exit 2 on any error, including output that could not be delivered."""
    from gatecheck.cli.common import buffered_stdout, exit_output_failed

    if sys.stdout is None:  # started with stdout closed (`>&-`): nothing could be reported
        exit_output_failed(
            "standard output is closed, so no result can be delivered; redirect it to "
            "/dev/null to discard it"
        )
    buffered_stdout()
    code = _run(argv)
    try:
        sys.stdout.flush()  # what is still buffered must reach the reader, or the run failed
    except OSError as exc:
        exit_output_failed(
            None  # the run failed and said so already
            if code == 2
            else BROKEN_PIPE
            if isinstance(exc, BrokenPipeError)
            else f"cannot write standard output ({exc.strerror or exc}): the result was not "
            "delivered"
        )
    sys.exit(code)


def _run(argv: list[str] | None) -> Any:
    """The exit code of the command (click ends every run with SystemExit)."""
    from gatecheck.cli.common import OutputClosed, exit_output_failed
    from gatecheck.errors import GatecheckError

    try:
        cli.main(args=argv, prog_name="gatecheck", standalone_mode=True)
    except SystemExit as exc:
        return exc.code
    except OutputClosed:
        exit_output_failed(BROKEN_PIPE)
    except GatecheckError as exc:  # raised outside a command's own handler
        click.echo(f"gatecheck: error: {exc.diagnostics()}", err=True)
        return 2
    except KeyboardInterrupt:
        click.echo("gatecheck: interrupted", err=True)
        return 2
    except Exception as exc:  # noqa: BLE001 - fail closed, one line, never a traceback
        if os.environ.get("GATECHECK_DEBUG"):
            raise
        click.echo(
            f"gatecheck: internal error: {type(exc).__name__}: {' '.join(str(exc).split())[:300]} "
            "(set GATECHECK_DEBUG=1 for a traceback)",
            err=True,
        )
        return 2
    return 0


if __name__ == "__main__":
    main()
