"""``gatecheck evaluate``: the gate. Exit 0 pass, 1 fail/rollback, 2 error."""

from __future__ import annotations

import gc
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from gatecheck.cli.common import (
    engine_options,
    handle_errors,
    make_engine_from,
    policy_set_options,
    use_color,
    write_output,
)
from gatecheck.cli.config_cmd import apply_settings
from gatecheck.cli.outputs import publish_step_summary, render_options, require_formats

if TYPE_CHECKING:
    from gatecheck.engine.signing import ReportSigner
    from gatecheck.engine.weakening import Sources

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
@policy_set_options
@click.option(
    "--at", "at", metavar="RFC3339", help="Effective time of the decision (default: now)."
)
@click.option(
    "--format",
    "fmt",
    default="text",
    show_default=True,
    help="Output format on stdout: text, json, junit, sarif, github, markdown, html or oscal "
    "(OSCAL assessment-results; needs gatecheck[oscal]).",
)
@click.option(
    "--output",
    "outputs",
    multiple=True,
    metavar="[FORMAT=]PATH",
    help="Also write the output to PATH (atomically), in FORMAT or --format (repeatable).",
)
@click.option("--verbose", "-v", is_flag=True, help="List passing and not-applicable controls too.")
@click.option(
    "--report",
    "report_path",
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="FILE",
    help="Write the JSON report to FILE: unsigned, or with --sign-key a DSSE envelope, with "
    "--sign sigstore a Sigstore bundle (an in-toto statement of the report either way).",
)
@click.option(
    "--sign-key",
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="KEY",
    help="Sign --report/--vsa with this private key (PEM; Ed25519 or ECDSA P-256).",
)
@click.option(
    "--sign-key-passphrase-env",
    metavar="VAR",
    help="Environment variable holding the passphrase of an encrypted --sign-key.",
)
@click.option(
    "--sign",
    "sign_method",
    type=click.Choice(["sigstore"]),
    help="Sign --report/--vsa keylessly with Sigstore (identity token from SIGSTORE_ID_TOKEN or "
    "ambient CI credentials; needs network access to Fulcio and Rekor).",
)
@click.option(
    "--vsa",
    "vsa_path",
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="FILE",
    help="Also write a SLSA Verification Summary Attestation v1 for the release artifacts.",
)
@click.option(
    "--ledger",
    "ledger_url",
    metavar="URL",
    help="Append the decision, report and bundle to this ledger: sqlite:///path or "
    "postgresql://... (docs/ledger.md). A ledger that cannot be written makes the decision error.",
)
@click.option(
    "--ledger-failure",
    type=click.Choice(["error", "warn-at-dev"]),
    default="error",
    show_default=True,
    help="warn-at-dev: at stage dev an unwritable ledger only warns.",
)
@engine_options
@handle_errors
@apply_settings
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
    report_path: Path | None,
    sign_key: Path | None,
    sign_key_passphrase_env: str | None,
    sign_method: str | None,
    vsa_path: Path | None,
    ledger_url: str | None,
    ledger_failure: str,
    **engine_opts: object,
) -> None:
    """Evaluate a sealed evidence bundle (directory or .tar.gz) against the policies."""
    # One evaluation per process, which then exits: the cyclic collector would only rescan
    # the millions of objects a large SBOM becomes (about 0.45 s at 50,000 components), for
    # garbage reference counting frees anyway. Library callers (policy impact's workers, many
    # evaluations per process) keep it, and so does whoever invoked this command in-process.
    if gc.isenabled():
        gc.disable()
        click.get_current_context().call_on_close(gc.enable)
    # The embedded engine's worker process starts first, so its start-up overlaps the imports
    # and the config and policy loading below (making that engine cannot fail; the others are
    # made after the config, as their errors come after a config error).
    early = make_engine_from(engine_opts) if engine_opts["engine_name"] == "embedded" else None
    if early is not None:
        early.warm(policy_dirs)
        click.get_current_context().call_on_close(early.close)
    from gatecheck.engine.config import load_config
    from gatecheck.engine.evaluate import EvaluationRequest, load_policies
    from gatecheck.engine.evaluate import evaluate as run
    from gatecheck.engine.formats import FORMATS, render
    from gatecheck.timeutil import parse_rfc3339

    if fmt not in FORMATS:
        raise click.BadParameter(f"choose one of {', '.join(FORMATS)}", param_hint="--format")
    targets = _outputs(outputs, fmt)
    require_formats({fmt, *(f for f, _ in targets)})
    effective = parse_rfc3339(at, what="--at") if at else None
    config, config_dir = load_config(config_file)
    engine = early or make_engine_from(engine_opts)
    request = EvaluationRequest(
        bundle=bundle_path,
        stage=stage,
        effective=effective,
        policy_dirs=list(policy_dirs),
        data_files=list(data_files),
        config=config,
        config_dir=config_dir,
        sources=_sources(config_file),
    )
    # Signing prerequisites (key, passphrase, identity token) fail before the evaluation.
    signer = _signer(
        report_path, vsa_path, sign_key, sign_key_passphrase_env, sign_method, bool(ledger_url)
    )
    report = run(request, engine)
    from gatecheck.engine.decision import DECISION_EXIT
    from gatecheck.engine.policy_docs import try_control_catalog

    signed_files, report, recorded = _signed_outputs(
        report, report_path, vsa_path, signer, bool(ledger_url)
    )
    if ledger_url and recorded is not None:
        signed_files, report = _record(
            ledger_url, ledger_failure, report, recorded, bundle_path, signed_files
        )
    for path, data in signed_files:
        write_output(path, data.decode("utf-8"))
    formats = {fmt, *(f for f, _ in targets)}
    options = render_options(
        formats, report, bundle_path, lambda: try_control_catalog(engine, load_policies(request))
    )
    for target_fmt, path in targets:
        write_output(path, render(report, target_fmt, verbose=verbose, **options))
    sys.stdout.write(
        render(report, fmt, verbose=verbose, color=use_color() and fmt == "text", **options)
    )
    publish_step_summary(formats, report)
    if report["decision"] == "error":
        click.echo(f"gatecheck: error: {report['error']}", err=True)
    sys.exit(DECISION_EXIT[report["decision"]])


def _sources(config_file: Path | None) -> Sources:
    """How the config file, --data and --policy reached this run, as the report names them."""
    from gatecheck.cli.config_cmd import RESOLVED_KEY
    from gatecheck.engine.weakening import Sources

    resolved = click.get_current_context().meta.get(RESOLVED_KEY)
    if resolved is None:
        return Sources(config_file=config_file)

    def via(name: str, flag: str) -> str:
        source = resolved.settings[name].source
        if source.startswith("file "):
            return f"{name} in config {source[5:]}"
        return source if source.startswith("env ") else flag

    config_via = {
        "flag --config": "--config",
        "env GATECHECK_CONFIG": "env GATECHECK_CONFIG",
    }.get(resolved.config_source, resolved.config_source)
    return Sources(
        config_file=config_file,
        config_via=config_via,
        data_via=via("data", "--data"),
        policy_via=via("policy", "--policy"),
    )


def _signer(
    report_path: Path | None,
    vsa_path: Path | None,
    sign_key: Path | None,
    passphrase_env: str | None,
    sign_method: str | None,
    ledger: bool = False,
) -> ReportSigner | None:
    from gatecheck.errors import UsageError

    if sign_key and sign_method:
        raise UsageError("give --sign-key KEY or --sign sigstore, not both")
    if passphrase_env and not sign_key:
        raise UsageError("--sign-key-passphrase-env needs --sign-key")
    if (sign_key or sign_method) and not (report_path or vsa_path or ledger):
        raise UsageError("nothing to sign: add --report FILE, --vsa FILE and/or --ledger URL")
    for path in (report_path, vsa_path):
        if path is not None and not path.parent.is_dir():
            raise UsageError(f"cannot write {path}: directory {path.parent} does not exist")
    if not (sign_key or sign_method):
        return None
    # Imported only when signing: the signing stack is a noticeable part of startup.
    from gatecheck.engine.signing import KeySigner, SigstoreSigner, load_signing_key

    if sign_key:
        return KeySigner(load_signing_key(sign_key, passphrase_env=passphrase_env))
    return SigstoreSigner()


def _signed_outputs(
    report: dict[str, Any],
    report_path: Path | None,
    vsa_path: Path | None,
    signer: ReportSigner | None,
    for_ledger: bool = False,
) -> tuple[list[tuple[Path, bytes]], dict[str, Any], tuple[bytes, str] | None]:
    """The --report/--vsa files to write, and (with ``for_ledger``) the report file and its
    kind for the ledger. When they cannot all be made (signing failed), none is written, the
    decision becomes error and the ledger gets the unsigned error report."""
    from gatecheck.engine.attestation import report_payload, statement_bytes
    from gatecheck.engine.formats import render
    from gatecheck.engine.vsa import build_vsa
    from gatecheck.errors import ReportError

    try:
        files: list[tuple[Path, bytes]] = []
        if signer is None:
            # Rendered only when written: a 50,000-component report takes a third of a second.
            plain = (
                render(report, "json").encode("utf-8")
                if report_path is not None or for_ledger
                else b""
            )
            if report_path is not None:
                files.append((report_path, plain))
            if vsa_path is not None:
                files.append((vsa_path, statement_bytes(build_vsa(report)) + b"\n"))
            return files, report, (plain, "json") if for_ledger else None
        paths: list[Path | None] = []
        payloads: list[bytes] = []
        if report_path is not None or for_ledger:
            paths.append(report_path)
            payloads.append(report_payload(report))
        if vsa_path is not None:
            paths.append(vsa_path)
            payloads.append(statement_bytes(build_vsa(report)))
        signed = signer.sign(payloads)
        recorded = (signed[0], signer.kind) if for_ledger else None
        files = [(p, d) for p, d in zip(paths, signed, strict=True) if p is not None]
        return files, report, recorded
    except ReportError as exc:
        failed = {
            **report,
            "decision": "error",
            "error": f"{exc.diagnostics()} (the evaluation's decision was "
            f"{report['decision']}; no --report/--vsa file was written)",
        }
        plain = render(failed, "json").encode("utf-8")
        return [], failed, (plain, "json") if for_ledger else None


def _record(
    url: str,
    failure: str,
    report: dict[str, Any],
    recorded: tuple[bytes, str],
    bundle_path: Path,
    files: list[tuple[Path, bytes]],
) -> tuple[list[tuple[Path, bytes]], dict[str, Any]]:
    """Append to the ledger. An unwritable ledger turns the decision into error (no --report or
    --vsa file is written then), or with warn-at-dev at stage dev only warns."""
    from gatecheck.engine.ledger import LedgerError
    from gatecheck.engine.ledger.record import record_evaluation

    try:
        entry = record_evaluation(url, report, recorded[0], recorded[1], bundle_path)
    except LedgerError as exc:
        if failure == "warn-at-dev" and report.get("stage") == "dev":
            click.echo(f"gatecheck: warning: {exc.diagnostics()}; not recorded", err=True)
            return files, report
        failed = {
            **report,
            "decision": "error",
            "error": f"{exc.diagnostics()}: the decision ({report['decision']}) was not "
            "recorded, so it does not stand; no --report/--vsa file was written",
        }
        return [], failed
    click.echo(f"gatecheck: recorded as ledger entry {entry.seq} ({entry.hash[:16]})", err=True)
    return files, report
