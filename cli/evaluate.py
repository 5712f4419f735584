"""``gatecheck evaluate``: the gate. Exit 0 pass, 1 fail/rollback, 2 error."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from gatecheck.cli.common import (
    engine_options,
    handle_errors,
    make_engine_from,
    use_color,
    write_output,
)

STAGES = ("dev", "staging", "production", "post-deploy")


def _outputs(specs: tuple[str, ...], default_format: str) -> list[tuple[str, Path]]:
    from gatecheck.engine.formats import FORMATS

    outputs = []
    for spec in specs:
        fmt, sep, path = spec.partition("=")
        if sep and fmt in FORMATS:
            outputs.append((fmt, Path(path)))
        else:
            outputs.append((default_format, Path(spec)))
    return outputs


@click.command()
@click.argument("bundle_path", metavar="BUNDLE", type=click.Path(path_type=Path))
@click.option(
    "--stage",
    required=True,
    type=click.Choice(STAGES),
    envvar="GATECHECK_STAGE",
    help="Promotion stage whose profile applies.",
)
@click.option(
    "--policy",
    "policy_dirs",
    multiple=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Extra Rego policy directory (repeatable), evaluated with the built-in library.",
)
@click.option(
    "--data",
    "data_files",
    multiple=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Data document (JSON/YAML, rooted at data) overriding defaults (repeatable).",
)
@click.option(
    "--config",
    "config_file",
    type=click.Path(dir_okay=False, path_type=Path),
    envvar="GATECHECK_CONFIG",
    help="gatecheck configuration (YAML, TOML or JSON).",
)
@click.option(
    "--at", "at", metavar="RFC3339", help="Effective time of the decision (default: now)."
)
@click.option(
    "--format",
    "fmt",
    default="text",
    show_default=True,
    help="Output format on stdout: text or json.",
)
@click.option(
    "--output",
    "outputs",
    multiple=True,
    metavar="[FORMAT=]PATH",
    help="Also write the output to PATH (atomically), in FORMAT or --format (repeatable).",
)
@click.option("--verbose", "-v", is_flag=True, help="List passing and not-applicable controls too.")
@engine_options
@handle_errors
def evaluate(
    bundle_path: Path,
    stage: str,
    policy_dirs: tuple[Path, ...],
    data_files: tuple[Path, ...],
    config_file: Path | None,
    at: str | None,
    fmt: str,
    outputs: tuple[str, ...],
    verbose: bool,
    **engine_opts: object,
) -> None:
    """Evaluate a sealed evidence bundle (directory or .tar.gz) against the policies."""
    from gatecheck.engine.config import load_config
    from gatecheck.engine.decision import DECISION_EXIT
    from gatecheck.engine.evaluate import EvaluationRequest
    from gatecheck.engine.evaluate import evaluate as run
    from gatecheck.engine.formats import FORMATS, render
    from gatecheck.timeutil import parse_rfc3339

    if fmt not in FORMATS:
        raise click.BadParameter(f"choose one of {', '.join(FORMATS)}", param_hint="--format")
    targets = _outputs(outputs, fmt)
    effective = parse_rfc3339(at, what="--at") if at else None
    config, config_dir = load_config(config_file)
    engine = make_engine_from(engine_opts)
    request = EvaluationRequest(
        bundle=bundle_path,
        stage=stage,
        effective=effective,
        policy_dirs=list(policy_dirs),
        data_files=list(data_files),
        config=config,
        config_dir=config_dir,
    )
    report = run(request, engine)
    for target_fmt, path in targets:
        write_output(path, render(report, target_fmt, verbose=verbose))
    sys.stdout.write(render(report, fmt, verbose=verbose, color=use_color() and fmt == "text"))
    if report["decision"] == "error":
        click.echo(f"gatecheck: error: {report['error']}", err=True)
    sys.exit(DECISION_EXIT[report["decision"]])
