"""``gatecheck policy docs``: the Markdown control reference, generated from METADATA."""

from __future__ import annotations

from pathlib import Path

import click

from gatecheck.cli.common import engine_options, handle_errors, make_engine_from


@click.command("docs")
@click.option(
    "-o",
    "--output",
    "output_dir",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Directory to write README.md and one page per control into.",
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
    output_dir: Path,
    policy_dirs: tuple[Path, ...],
    data_files: tuple[Path, ...],
    **engine_opts: object,
) -> None:
    """Write a Markdown reference of every control, with framework mappings."""
    from gatecheck.engine.policy import load_policy_set
    from gatecheck.engine.policy_docs import control_catalog, write_docs

    policies = load_policy_set(list(policy_dirs), list(data_files))
    catalog = control_catalog(make_engine_from(engine_opts), policies)
    written = write_docs(catalog, policies, output_dir)
    click.echo(f"wrote {len(written)} files to {output_dir} ({len(catalog)} controls)")
