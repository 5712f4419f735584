"""Shared CLI plumbing: error handling, engine options, writing outputs safely."""

from __future__ import annotations

import contextlib
import errno
import functools
import io
import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, NoReturn

import click

from gatecheck.errors import GatecheckError


def fail(message: str) -> None:
    click.echo(f"gatecheck: error: {' '.join(message.split())}", err=True)
    sys.exit(2)


class OutputClosed(Exception):  # noqa: N818 - a condition, not a programming error
    """The reader of our output went away (EPIPE): whatever was computed was not delivered.

    Not an OSError on purpose: click turns an EPIPE OSError into exit 1, a gate failure.
    """


@contextlib.contextmanager
def closed_output_is_an_error() -> Iterator[None]:
    """Re-raise a broken pipe as :class:`OutputClosed`, so it cannot end in click's exit 1."""
    try:
        yield
    except OSError as exc:
        if exc.errno != errno.EPIPE:
            raise
        raise OutputClosed() from None


def buffered_stdout() -> None:
    """Give stdout a buffered writer when it has none (PYTHONUNBUFFERED=1, as in the image).

    Unbuffered, a write that the closing reader cuts short is dropped silently (the text layer
    ignores a partial count), so a run could exit 0 with its output lost; a buffered writer
    retries the rest and gets the broken pipe. Line buffering keeps output as prompt.
    """
    stream = sys.stdout
    if stream is None or not isinstance(getattr(stream, "buffer", None), io.RawIOBase):
        return
    with contextlib.suppress(OSError, ValueError, AttributeError):
        raw = io.FileIO(stream.fileno(), "w", closefd=False)
        sys.stdout = io.TextIOWrapper(
            io.BufferedWriter(raw),
            encoding=stream.encoding,
            errors=stream.errors,
            line_buffering=True,
        )


def exit_output_failed(message: str | None) -> NoReturn:
    """Exit 2 with one line: the output did not reach its reader, whatever was decided.

    ``message`` None: the error was reported already, only the exit remains.
    """
    # Later writes and the interpreter's final flush go to /dev/null instead of failing again
    # (which would print "Exception ignored ... BrokenPipeError" and exit 120).
    with contextlib.suppress(OSError, ValueError, AttributeError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    if message is not None:
        with contextlib.suppress(OSError, ValueError, AttributeError):
            sys.stderr.write(f"gatecheck: error: {message}\n")
            sys.stderr.flush()
    sys.exit(2)


def handle_errors(fn: Callable[..., Any]) -> Callable[..., Any]:
    """GatecheckError -> one line on stderr, exit 2."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except GatecheckError as exc:
            fail(exc.diagnostics())

    return wrapper


def policy_set_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    """--policy, --data and --config: what, beside the built-in library, is evaluated."""
    options = [
        click.option(
            "--policy",
            "policy_dirs",
            multiple=True,
            type=click.Path(file_okay=False, path_type=Path),
            help="Extra Rego policy directory (repeatable), evaluated with the built-in library.",
        ),
        click.option(
            "--data",
            "data_files",
            multiple=True,
            type=click.Path(dir_okay=False, path_type=Path),
            help="Data document (JSON/YAML, rooted at data) overriding defaults (repeatable).",
        ),
        click.option(
            "--config",
            "config_file",
            type=click.Path(dir_okay=False, path_type=Path),
            envvar="GATECHECK_CONFIG",
            help="gatecheck configuration (YAML, TOML or JSON).",
        ),
    ]
    for option in reversed(options):
        fn = option(fn)
    return fn


def engine_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    options = [
        click.option(
            "--engine",
            "engine_name",
            type=click.Choice(["embedded", "opa", "server"]),
            default="embedded",
            show_default=True,
            envvar="GATECHECK_ENGINE",
            help="Where OPA runs: in-process Go library, the opa binary, or a server.",
        ),
        click.option(
            "--opa-path",
            type=click.Path(dir_okay=False),
            envvar="GATECHECK_OPA_PATH",
            help="OPA binary for --engine opa (default: opa on PATH).",
        ),
        click.option(
            "--opa-url", envvar="GATECHECK_OPA_URL", help="OPA server URL for --engine server."
        ),
        click.option(
            "--opa-server-mode",
            type=click.Choice(["bundle", "upload"]),
            default="bundle",
            show_default=True,
            help="bundle: the server must serve this policy set's bundle revision; "
            "upload: push policies and data to a dedicated server.",
        ),
        click.option(
            "--timeout",
            type=click.FloatRange(min=0.1),
            default=60.0,
            show_default=True,
            help="Seconds before an OPA evaluation is stopped (decision error).",
        ),
    ]
    for option in reversed(options):
        fn = option(fn)
    return fn


def make_engine_from(opts: dict[str, Any]) -> Any:
    from gatecheck.engine.backends import make_engine

    return make_engine(
        opts["engine_name"],
        opa_path=opts.get("opa_path"),
        opa_url=opts.get("opa_url"),
        server_mode=opts.get("opa_server_mode", "bundle"),
        timeout=opts["timeout"],
    )


def write_output(path: Path, text: str) -> None:
    from gatecheck.bundles.fsutil import atomic_write

    try:
        if path.parent and not path.parent.exists():
            raise GatecheckError(f"cannot write {path}: directory {path.parent} does not exist")
        atomic_write(path, text.encode("utf-8"))
    except OSError as exc:
        raise GatecheckError(f"cannot write {path}: {exc.strerror or exc}") from None


def use_color() -> bool:
    return sys.stdout.isatty() and "NO_COLOR" not in os.environ
