"""``gatecheck policy docs``: the Markdown control reference (or an OSCAL component-definition),
generated from METADATA."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from gatecheck.cli.common import engine_options, handle_errors, make_engine_from, write_output


@click.command("docs")
@click.option(
    "-o",
    "--output",
    "output_dir",
    type=click.Path(path_type=Path),
    help="markdown: directory to write README.md and one page per control into (required); "
    "oscal: file to write (default stdout).",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["markdown", "oscal"]),
    default="markdown",
    show_default=True,
    help="oscal: an OSCAL component-definition of the catalog with its framework mappings "
    "(needs gatecheck[oscal]).",
)
@click.option(
    "--policy",
    "policy_dirs",
    multiple=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Organisation policy directory to document with the library (repeatable).",
)
@click.option(
    "--data",
    "data_files",
    multiple=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Data document whose thresholds and stage profiles the pages show (repeatable).",
)
@engine_options
@handle_errors
def docs(
    output_dir: Path | None,
    fmt: str,
    policy_dirs: tuple[Path, ...],
    data_files: tuple[Path, ...],
    **engine_opts: object,
) -> None:
    """Write a Markdown reference of every control, with framework mappings."""
    from gatecheck.engine.policy import load_policy_set
    from gatecheck.engine.policy_docs import control_catalog, write_docs

    if fmt == "oscal":
        from gatecheck.engine.formats._oscal import require_trestle

        require_trestle()
    elif output_dir is None:
        raise click.UsageError("Missing option '-o' / '--output' (the directory to write into).")
    elif output_dir.exists() and not output_dir.is_dir():
        raise click.BadParameter(f"{output_dir} is not a directory", param_hint="--output")
    policies = load_policy_set(list(policy_dirs), list(data_files))
    catalog = control_catalog(make_engine_from(engine_opts), policies)
    if fmt == "oscal":
        _write_oscal(catalog, policies.data, policies.digest, output_dir)
        return
    assert output_dir is not None
    written = write_docs(catalog, policies, output_dir)
    click.echo(f"wrote {len(written)} files to {output_dir} ({len(catalog)} controls)")


def _write_oscal(
    catalog: dict[str, dict[str, Any]], data: dict[str, Any], digest: str, output: Path | None
) -> None:
    from gatecheck import __version__
    from gatecheck.engine.formats.oscal_component import render
    from gatecheck.timeutil import record_time

    # last-modified is SOURCE_DATE_EPOCH when set, so a rebuilt document is byte-identical.
    text = render(catalog, data, digest, __version__, record_time())
    if output is None:
        sys.stdout.write(text)
        return
    write_output(output, text)
    click.echo(f"wrote {output} ({len(catalog)} controls)", err=True)
