"""``gatecheck report``: verify, replay and show reports, offline.

Exit codes: ``verify`` 0 verified, 1 rejected; ``replay`` 0 identical, 1 any difference;
both 2 on a usage error or when the replay is refused (inputs that are not the report's).
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from gatecheck.cli.common import engine_options, handle_errors, make_engine_from, use_color


@click.group()
def report() -> None:
    """Verify signed reports, replay their evaluation, show them."""


def _reject(message: str) -> None:
    click.echo(f"gatecheck: report rejected: {' '.join(message.split())}", err=True)
    sys.exit(1)


@report.command()
@click.argument("report_path", metavar="REPORT", type=click.Path(path_type=Path))
@click.option(
    "--key",
    "key_paths",
    multiple=True,
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="PUB",
    help="Trusted public key (PEM; repeatable). Every signature must verify with one of them.",
)
@click.option("--cert-identity", help="Expected Sigstore certificate identity (SAN).")
@click.option("--cert-oidc-issuer", help="Expected OIDC issuer of the Sigstore certificate.")
@click.option(
    "--trusted-root",
    "trusted_roots",
    multiple=True,
    metavar="ROOT",
    help="Sigstore trusted root: public-good (default), staging, or a trusted_root.json path "
    "(repeatable).",
)
@click.option(
    "--bundle",
    "bundle_path",
    type=click.Path(path_type=Path),
    help="Evidence bundle (directory or .tar.gz) that must be the report's bundle.",
)
@handle_errors
def verify(
    report_path: Path,
    key_paths: tuple[Path, ...],
    cert_identity: str | None,
    cert_oidc_issuer: str | None,
    trusted_roots: tuple[str, ...],
    bundle_path: Path | None,
) -> None:
    """Verify a signed report (DSSE envelope or Sigstore bundle) offline."""
    from gatecheck.engine.verification import VerificationFailure, verify_report
    from gatecheck.errors import UsageError
    from gatecheck.evidence.signing.keys import KeyError_, load_public_key

    keyless = cert_identity is not None or cert_oidc_issuer is not None
    if bool(key_paths) == keyless:
        raise UsageError(
            "give either --key PUB (key-signed report) or --cert-identity and "
            "--cert-oidc-issuer (Sigstore-signed report)"
        )
    if keyless and not (cert_identity and cert_oidc_issuer):
        raise UsageError("keyless verification needs both --cert-identity and --cert-oidc-issuer")
    if trusted_roots and not keyless:
        raise UsageError("--trusted-root applies to Sigstore-signed reports only")
    public_keys = []
    for path in key_paths:
        try:
            pem = path.read_bytes()
        except OSError as exc:
            raise UsageError(f"public key {path} cannot be read ({exc.strerror or exc})") from None
        try:
            public_keys.append(load_public_key(pem, what=f"public key {path}"))
        except KeyError_ as exc:
            raise UsageError(str(exc)) from None
    try:
        verified = verify_report(
            report_path,
            keys=public_keys,
            identity=cert_identity,
            issuer=cert_oidc_issuer,
            trusted_roots=trusted_roots or ("public-good",),
            bundle=bundle_path,
        )
    except VerificationFailure as exc:
        _reject(exc.diagnostics())
        return
    rep = verified.report
    release = rep.get("release") or {}
    click.echo(
        f"verified: gatecheck report for {release.get('name')}@{release.get('version')}, "
        f"stage {rep.get('stage')}, effective {rep.get('effective_time')}, "
        f"decision {rep.get('decision')}"
    )
    for signer in verified.signers:
        click.echo(f"  signed by {signer}")
    for subject in verified.statement["subject"]:
        digest = ", ".join(f"{k}:{v}" for k, v in sorted(subject["digest"].items()))
        click.echo(f"  subject {subject['name']} {digest}")
    if verified.bundle:
        click.echo(
            f"  bundle {verified.bundle['path']} is the report's bundle "
            f"({verified.bundle['digest']}, {verified.bundle['evidence']} evidence files verified)"
        )
    else:
        click.echo("  bundle not checked (pass --bundle to check the evidence too)")


@report.command()
@click.argument("report_path", metavar="REPORT", type=click.Path(path_type=Path))
@click.option(
    "--bundle",
    "bundle_path",
    required=True,
    type=click.Path(path_type=Path),
    help="The report's evidence bundle (directory or .tar.gz).",
)
@click.option(
    "--policy",
    "policy_dirs",
    multiple=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Policy directory the original evaluation used (repeatable).",
)
@click.option(
    "--data",
    "data_files",
    multiple=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Data file the original evaluation used (repeatable).",
)
@click.option(
    "--config",
    "config_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Configuration the original evaluation used.",
)
@engine_options
@handle_errors
def replay(
    report_path: Path,
    bundle_path: Path,
    policy_dirs: tuple[Path, ...],
    data_files: tuple[Path, ...],
    config_file: Path | None,
    **engine_opts: object,
) -> None:
    """Re-evaluate a report's bundle at its effective time and stage; exit 0 only if every
    control's outcome is identical."""
    from gatecheck.engine.replay import replay as run_replay
    from gatecheck.engine.verification import read_report_file

    loaded = read_report_file(report_path)
    original = loaded.report
    result = run_replay(
        original,
        bundle=bundle_path,
        engine=make_engine_from(engine_opts),
        policy_dirs=list(policy_dirs),
        data_files=list(data_files),
        config_file=config_file,
    )
    release = original.get("release") or {}
    verdict = "IDENTICAL" if result.identical else "DIFFERENT"
    click.echo(
        f"replay of {release.get('name')}@{release.get('version')} at stage "
        f"{original.get('stage')}, effective {original.get('effective_time')}: {verdict} "
        f"(decision {original.get('decision')} -> {result.replayed.get('decision')})"
    )
    if loaded.kind == "report":
        click.echo("gatecheck: note: unsigned report; its origin is not established", err=True)
    elif loaded.kind:
        click.echo(
            "gatecheck: note: signature not checked here; use `gatecheck report verify`", err=True
        )
    for c in result.controls:
        mark = "identical" if c.identical else "DIFFERS  "
        change = c.original if c.original == c.replayed else f"{c.original} -> {c.replayed}"
        detail = f"  ({', '.join(c.differences)})" if c.differences else ""
        click.echo(f"  {mark} {c.control:<12} {change}{detail}")
    for name in result.field_differences:
        click.echo(
            f"  DIFFERS   report field {name}: {original.get(name)!r} -> "
            f"{result.replayed.get(name)!r}"
        )
    if result.replayed.get("decision") == "error":
        click.echo(f"gatecheck: replay error: {result.replayed.get('error')}", err=True)
    sys.exit(0 if result.identical else 1)


@report.command()
@click.argument("report_path", metavar="REPORT", type=click.Path(path_type=Path))
@click.option(
    "--format",
    "fmt",
    default="text",
    show_default=True,
    help="Output format: text or json.",
)
@click.option("--verbose", "-v", is_flag=True, help="List passing and not-applicable controls.")
@handle_errors
def show(report_path: Path, fmt: str, verbose: bool) -> None:
    """Print a report (plain, DSSE envelope or Sigstore bundle) without verifying it."""
    from gatecheck.engine.formats import FORMATS, render
    from gatecheck.engine.verification import read_report_file

    if fmt not in FORMATS:
        raise click.BadParameter(f"choose one of {', '.join(FORMATS)}", param_hint="--format")
    loaded = read_report_file(report_path)
    notes = {
        "report": "unsigned report",
        "dsse": "DSSE envelope, signature NOT verified (use `gatecheck report verify --key`)",
        "sigstore": "Sigstore bundle, signature NOT verified (use `gatecheck report verify "
        "--cert-identity ... --cert-oidc-issuer ...`)",
    }
    click.echo(f"{report_path}: {notes[loaded.kind]}", err=True)
    sys.stdout.write(
        render(loaded.report, fmt, verbose=verbose, color=use_color() and fmt == "text")
    )
