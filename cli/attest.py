"""``gatecheck attest`` and ``gatecheck approve``: producers and approvers sign what they vouch
for, so that a bundle's assembler cannot write it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from gatecheck.cli.common import handle_errors

APPROVAL_TYPES = ("change", "cab", "uat", "compliance", "emergency", "freeze-exception")


def _signing_options(fn: Any) -> Any:
    options = [
        click.option(
            "--sign-key",
            type=click.Path(path_type=Path, dir_okay=False),
            metavar="KEY",
            help="Sign with this PEM private key (DSSE envelope).",
        ),
        click.option(
            "--sign-key-passphrase-env",
            metavar="VAR",
            help="Environment variable holding the passphrase of an encrypted --sign-key.",
        ),
        click.option(
            "--sign",
            "sign_method",
            type=click.Choice(["sigstore"]),
            help="Sign keyless with Sigstore (needs an OIDC identity and network).",
        ),
        click.option(
            "--release-manifest",
            type=click.Path(path_type=Path, dir_okay=False, exists=True),
            help="Take the subjects from this release manifest's artifacts.",
        ),
        click.option(
            "--subject",
            "subjects",
            multiple=True,
            metavar="NAME@sha256:HEX",
            help="A subject, NAME@sha256:HEX or NAME@sha512:HEX (repeatable); instead of, "
            "or besides, --release-manifest.",
        ),
        click.option(
            "--at",
            "at",
            metavar="TIME",
            help="The time to record (RFC 3339; default now).",
        ),
        click.option(
            "-o",
            "--output",
            type=click.Path(path_type=Path, dir_okay=False),
            required=True,
            help="Write the signed attestation here.",
        ),
    ]
    for option in reversed(options):
        fn = option(fn)
    return fn


def _signer(sign_key: Path | None, passphrase_env: str | None, sign_method: str | None) -> Any:
    from gatecheck.errors import UsageError

    if bool(sign_key) == bool(sign_method):
        raise UsageError("give --sign-key KEY or --sign sigstore (exactly one)")
    if passphrase_env and not sign_key:
        raise UsageError("--sign-key-passphrase-env needs --sign-key")
    from gatecheck.engine.signing import KeySigner, SigstoreSigner, load_signing_key

    if sign_key:
        return KeySigner(load_signing_key(sign_key, passphrase_env=passphrase_env))
    return SigstoreSigner()


def _subjects(release_manifest: Path | None, subjects: tuple[str, ...]) -> list[dict[str, Any]]:
    from gatecheck.engine.attest import parse_subject, release_subjects
    from gatecheck.errors import UsageError

    found = release_subjects(release_manifest)[0] if release_manifest else []
    found += [parse_subject(s) for s in subjects]
    if not found:
        raise UsageError("name the release's artifacts: --release-manifest FILE or --subject")
    return found


def _timestamp(at: str | None) -> str:
    from gatecheck.timeutil import format_rfc3339, now_utc, parse_rfc3339

    return format_rfc3339(parse_rfc3339(at, what="--at") if at else now_utc())


def _write(output: Path, data: bytes, what: str) -> None:
    from gatecheck.bundles.fsutil import atomic_write
    from gatecheck.errors import UsageError

    if not output.parent.is_dir():
        raise UsageError(f"cannot write {output}: directory {output.parent} does not exist")
    try:
        atomic_write(output, data, mode=0o644)
    except OSError as exc:
        raise UsageError(f"cannot write {output}: {exc.strerror or exc}") from None
    click.echo(f"wrote {output} ({what})", err=True)


@click.command()
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False, exists=True))
@click.option("--type", "evidence_type", required=True, help="Evidence type it vouches for.")
@click.option("--kind", help="Test suite kind it vouches for (unit, integration, smoke...).")
@click.option(
    "--scanned-sbom",
    type=click.Path(path_type=Path, dir_okay=False, exists=True),
    help="For a scan: the SBOM it scanned, added as a subject.",
)
@_signing_options
@handle_errors
def attest(
    file: Path,
    evidence_type: str,
    kind: str | None,
    scanned_sbom: Path | None,
    sign_key: Path | None,
    sign_key_passphrase_env: str | None,
    sign_method: str | None,
    release_manifest: Path | None,
    subjects: tuple[str, ...],
    at: str | None,
    output: Path,
) -> None:
    """Wrap FILE, unchanged, in a signed in-toto attestation about the release's artifacts.

    The signer is the producer: the CI job that ran the tool, the system of record that keeps
    the record. The trust policy says which producer may vouch for which --type.
    """
    from gatecheck.engine.attest import attest_file, file_subject

    signer = _signer(sign_key, sign_key_passphrase_env, sign_method)
    found = _subjects(release_manifest, subjects)
    if scanned_sbom is not None:
        found.append(file_subject(scanned_sbom))
    data = attest_file(
        file,
        evidence_type,
        subjects=found,
        signer=signer,
        timestamp=_timestamp(at),
        kind=kind,
    )
    _write(output, data, f"{evidence_type} attestation signed by {signer.describe()}")


@click.command()
@click.option(
    "--release", "release", required=True, metavar="NAME@VERSION", help="What is approved."
)
@click.option("--change", "change_id", required=True, metavar="ID", help="The change record id.")
@click.option(
    "--decision", type=click.Choice(["approved", "rejected"]), required=True, help="The decision."
)
@click.option(
    "--type",
    "approval_type",
    type=click.Choice(APPROVAL_TYPES),
    default="change",
    show_default=True,
    help="What kind of approval.",
)
@click.option("--comment", help="A note kept with the decision.")
@_signing_options
@handle_errors
def approve(
    release: str,
    change_id: str,
    decision: str,
    approval_type: str,
    comment: str | None,
    sign_key: Path | None,
    sign_key_passphrase_env: str | None,
    sign_method: str | None,
    release_manifest: Path | None,
    subjects: tuple[str, ...],
    at: str | None,
    output: Path,
) -> None:
    """Sign your own approval (or rejection) of a release and its change.

    Who approved is established by the signature alone: the trust policy's directory maps the
    signing key or Sigstore identity to a person and that person's roles.
    """
    from gatecheck.engine.attest import approve as sign_approval
    from gatecheck.engine.attest import release_subjects
    from gatecheck.errors import UsageError

    name, sep, version = release.rpartition("@")
    if not sep or not name or not version:
        raise UsageError(f"--release {release!r}: give NAME@VERSION")
    if release_manifest is not None:
        facts = release_subjects(release_manifest)[1]
        if (facts.get("name"), facts.get("version")) != (name, version):
            raise UsageError(
                f"--release {release} does not match the release manifest "
                f"({facts.get('name')}@{facts.get('version')})"
            )
    signer = _signer(sign_key, sign_key_passphrase_env, sign_method)
    data = sign_approval(
        signer=signer,
        decision=decision,
        approval_type=approval_type,
        change_id=change_id,
        release_version=version,
        timestamp=_timestamp(at),
        subjects=_subjects(release_manifest, subjects),
        comment=comment,
    )
    _write(output, data, f"{decision} ({approval_type}) signed by {signer.describe()}")
