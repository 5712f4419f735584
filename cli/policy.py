"""``gatecheck policy``: test the Rego library and build it as an OPA bundle."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from gatecheck.cli.common import (
    engine_options,
    handle_errors,
    make_engine_from,
    policy_set_options,
)


@click.group()
def policy() -> None:
    """Test and package the Rego policy library."""


@policy.command("test")
@click.argument("dirs", nargs=-1, type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--no-builtin", is_flag=True, help="Run only the given directories' tests.")
@click.option("--verbose", "-v", is_flag=True, help="List passing tests too.")
@click.option(
    "--coverage",
    is_flag=True,
    help="Also print Rego line coverage per policy module (embedded engine; the figure "
    "`opa test --coverage` gives).",
)
@engine_options
@handle_errors
def test_cmd(
    dirs: tuple[Path, ...],
    no_builtin: bool,
    verbose: bool,
    coverage: bool,
    **engine_opts: object,
) -> None:
    """Run the Rego `test_*` rules (built-in library and DIRS) through OPA."""
    from gatecheck.engine.policy import load_policy_set

    policies = load_policy_set(list(dirs), include_builtin=not no_builtin, include_tests=True)
    if dirs:  # the library is loaded for org policies to use; run only the asked-for tests
        policies.tests = [t for t in policies.tests if not t.path.startswith("builtin/")]
    if not policies.tests:
        click.echo("gatecheck: error: no *_test.rego files found", err=True)
        sys.exit(2)
    if coverage and engine_opts["engine_name"] != "embedded":
        click.echo(
            "gatecheck: error: --coverage runs on the embedded engine; with the OPA binary use "
            "`gatecheck policy lint`",
            err=True,
        )
        sys.exit(2)
    engine = make_engine_from(engine_opts)
    results = engine.run_tests(policies)
    counts = {"pass": 0, "fail": 0, "error": 0}
    for result in results:
        counts[result.status] += 1
        if result.status != "pass" or verbose:
            detail = f": {result.message}" if result.message else ""
            click.echo(
                f"{result.status.upper():5} data.{result.package}.{result.name} ({result.file}){detail}"
            )
    if coverage:
        tested = {t.path.split("/", 1)[0] for t in policies.tests}
        for path, percent in sorted(engine.test_coverage(policies).items()):
            if path.split("/", 1)[0] in tested:
                click.echo(f"{percent:6.1f}% {path}")
    click.echo(f"{counts['pass']} passed, {counts['fail'] + counts['error']} failed")
    sys.exit(0 if counts["fail"] == counts["error"] == 0 and results else 1)


@policy.command("build")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--policy", "policy_dirs", multiple=True, type=click.Path(file_okay=False, path_type=Path)
)
@click.option(
    "--data", "data_files", multiple=True, type=click.Path(dir_okay=False, path_type=Path)
)
@click.option(
    "--config",
    "config_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="gatecheck configuration whose parameters, stage profiles and trust policy the "
    "bundle's data carries (data.gatecheck.config), as `evaluate --config` uses them; "
    "evaluations against the server must give the same file.",
)
@click.option(
    "--signing-key",
    type=click.Path(dir_okay=False, path_type=Path),
    help="PEM private key (RSA or ECDSA P-256/P-384): also write OPA's .signatures.json, "
    "verified by `opa run --verification-key PUB`.",
)
@click.option(
    "--key-id",
    default="default",
    show_default=True,
    help="Key id in the signature (OPA's --verification-key-id).",
)
@handle_errors
def build(
    output: Path,
    policy_dirs: tuple[Path, ...],
    data_files: tuple[Path, ...],
    config_file: Path | None,
    signing_key: Path | None,
    key_id: str,
) -> None:
    """Write the policy set as an OPA bundle whose revision is the policy revision: the one
    `evaluate --engine server` computes from the same --policy, --data and --config."""
    from gatecheck.engine.config import load_config
    from gatecheck.engine.opa_bundle import config_digest, write_opa_bundle
    from gatecheck.engine.policy import load_policy_set

    key = None
    if signing_key is not None:
        from gatecheck.engine.opa_bundle_signing import load_signing_key

        key = load_signing_key(signing_key)
    overlay = None
    if config_file is not None:
        config, config_dir = load_config(config_file)
        overlay = config.data_overlay(config_dir)  # as evaluate's load_policies merges it
    policies = load_policy_set(list(policy_dirs), list(data_files), overlay)
    write_opa_bundle(policies, output, key, key_id)
    signed = ""
    if key is not None:
        from gatecheck.engine.opa_bundle_signing import algorithm

        signed = f", signed ({algorithm(key)}, key id {key_id})"
    configured = f", config {config_file} ({config_digest(policies.data)})" if config_file else ""
    click.echo(
        f"wrote {output}: {len(policies.modules)} modules, revision {policies.revision}"
        f"{configured}{signed}"
    )


@policy.command("lint")
@click.argument("dirs", nargs=-1, type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--diff", "show_diff", is_flag=True, help="Show what `opa fmt` would change.")
@click.option(
    "--no-fmt",
    "fmt_advisory",
    is_flag=True,
    help="List files `opa fmt` would change without failing on them.",
)
@click.option(
    "--min-coverage",
    type=click.FloatRange(0, 100),
    default=95.0,
    show_default=True,
    help="Lowest Rego line coverage (percent) accepted per policy module.",
)
@click.option("--opa-path", help="The OPA binary (default: `opa` on PATH).")
@handle_errors
def lint_cmd(
    dirs: tuple[Path, ...],
    show_diff: bool,
    fmt_advisory: bool,
    min_coverage: float,
    opa_path: str | None,
) -> None:
    """Hold the Rego library (and DIRS) to OPA's own checks: `opa fmt`, `opa check --strict`,
    `opa test --coverage` per file. Exit 1 on any finding."""
    from gatecheck.engine.binary import BinaryEngine
    from gatecheck.engine.policy import load_policy_set
    from gatecheck.engine.policy_lint import lint

    result = lint(load_policy_set(list(dirs), include_tests=True), BinaryEngine(opa_path))
    for path in result.unformatted:
        click.echo(f"FMT   {path}: not `opa fmt` formatted")
    if show_diff and result.fmt_diff:
        click.echo(result.fmt_diff.rstrip())
    for error in result.check_errors:
        click.echo(f"CHECK {error}")
    for test in result.test_failures:
        click.echo(f"TEST  data.{test} failed")
    low = result.below(min_coverage)
    for path, percent in sorted(result.coverage.items()):
        mark = "LOW  " if path in low else "     "
        click.echo(f"{mark} {percent:5.1f}% {path}")
    click.echo(
        f"{len(result.unformatted)} unformatted, {len(result.check_errors)} strict-check errors, "
        f"{len(result.test_failures)} failing tests, {len(low)} of {len(result.coverage)} "
        f"modules below {min_coverage:g}% line coverage"
    )
    unformatted = result.unformatted and not fmt_advisory
    clean = not (unformatted or result.check_errors or result.test_failures or low)
    sys.exit(0 if clean else 1)


@policy.command("impact")
@click.option(
    "--ledger", "ledger_url", envvar="GATECHECK_LEDGER", metavar="URL",
    help="Ledger whose archived bundles are re-evaluated (sqlite:///path or postgresql://...); "
    "default: GATECHECK_LEDGER.",
)  # fmt: skip
@policy_set_options
@click.option("--since", metavar="RFC3339", help="Only entries effective at or after.")
@click.option("--until", metavar="RFC3339", help="Only entries effective before.")
@click.option("--stage", type=click.Choice(["dev", "staging", "production", "post-deploy"]))
@click.option("--release", help="Only this release name, or name@version.")
@click.option(
    "--workers", type=click.IntRange(min=1), default=None,
    help="Parallel worker processes (default: min(2, CPUs)).",
)  # fmt: skip
@click.option("--format", "fmt", type=click.Choice(["text", "json", "html"]), default="text")
@click.option(
    "-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
    help="Write the output to FILE instead of stdout.",
)  # fmt: skip
@click.option(
    "--fail-on-flip", is_flag=True,
    help="Exit 1 when any decision changes or any entry cannot be re-evaluated (for a policy "
    "repository's CI).",
)  # fmt: skip
@engine_options
@handle_errors
def impact_cmd(
    ledger_url: str | None,
    policy_dirs: tuple[Path, ...],
    data_files: tuple[Path, ...],
    config_file: Path | None,
    since: str | None,
    until: str | None,
    stage: str | None,
    release: str | None,
    workers: int | None,
    fmt: str,
    output: Path | None,
    fail_on_flip: bool,
    **engine_opts: object,
) -> None:
    """Re-evaluate the ledger's archived bundles under a candidate policy set, each at its
    recorded stage and effective time, and report the decisions and controls that would change,
    marking entries recorded under another trust policy or waivers (docs/ledger.md). Exit 0
    when it ran, 2 on a usage or ledger error or a candidate that does not compile."""
    from gatecheck.cli.common import write_output
    from gatecheck.engine.impact import Candidate, impact
    from gatecheck.engine.impact_render import render
    from gatecheck.engine.ledger import Query
    from gatecheck.errors import UsageError
    from gatecheck.timeutil import parse_rfc3339

    if not ledger_url:
        raise UsageError("no ledger given: pass --ledger URL or set GATECHECK_LEDGER")
    query = Query(
        release=release,
        stage=stage,
        since=parse_rfc3339(since, what="--since") if since else None,
        until=parse_rfc3339(until, what="--until") if until else None,
    )
    candidate = Candidate(
        ledger_url=ledger_url,
        policy_dirs=policy_dirs,
        data_files=data_files,
        config_file=config_file,
        engine_opts=dict(engine_opts),
    )
    result = impact(candidate, query, workers)
    text = render(result.as_dict(), fmt)
    if output is not None:
        write_output(output, text)
        click.echo(f"wrote {output}", err=True)
    else:
        sys.stdout.write(text)
    if fail_on_flip and (result.decision_flips or result.not_reevaluated):
        sys.exit(1)


# `policy docs` lives in its own module; registered here so it is listed under `policy`.
from gatecheck.cli.policy_docs import docs as _docs  # noqa: E402

policy.add_command(_docs)
