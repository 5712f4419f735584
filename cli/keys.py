"""``gatecheck keys``: make a key pair for signing reports offline."""

from __future__ import annotations

import os
from pathlib import Path

import click

from gatecheck.cli.common import handle_errors

KEY_TYPES = ("ed25519", "ecdsa-p256")


@click.group()
def keys() -> None:
    """Signing keys for reports (Ed25519 or ECDSA P-256)."""


@keys.command()
@click.option(
    "--type",
    "key_type_name",
    type=click.Choice(KEY_TYPES),
    default="ed25519",
    show_default=True,
    help="Key algorithm.",
)
@click.option(
    "--passphrase-env",
    metavar="VAR",
    help="Encrypt the private key with the passphrase held by environment variable VAR.",
)
@click.option(
    "-o",
    "--output",
    "prefix",
    required=True,
    metavar="PREFIX",
    help="Write PREFIX.key (private, mode 0600) and PREFIX.pub (public).",
)
@click.option("--force", is_flag=True, help="Replace existing PREFIX.key / PREFIX.pub.")
@handle_errors
def generate(key_type_name: str, passphrase_env: str | None, prefix: str, force: bool) -> None:
    """Generate a key pair and print its key id (sha256 of the public key's DER)."""
    from cryptography.hazmat.primitives.asymmetric import ec, ed25519

    from gatecheck.bundles.fsutil import atomic_write
    from gatecheck.engine.signing import passphrase_from_env
    from gatecheck.errors import UsageError
    from gatecheck.evidence.signing.keys import key_id, private_key_pem, public_key_pem

    private_path, public_path = Path(prefix + ".key"), Path(prefix + ".pub")
    if not force:
        for path in (private_path, public_path):
            if path.exists():
                raise UsageError(f"{path} exists; choose another prefix or pass --force")
    if not private_path.parent.is_dir():
        raise UsageError(f"cannot write {private_path}: {private_path.parent} is not a directory")
    password = passphrase_from_env(passphrase_env, what="--passphrase-env")
    key = (
        ed25519.Ed25519PrivateKey.generate()
        if key_type_name == "ed25519"
        else ec.generate_private_key(ec.SECP256R1())
    )
    try:
        # Private first: a public key without its private half is useless, the reverse is not.
        atomic_write(private_path, private_key_pem(key, password=password).encode(), mode=0o600)
        atomic_write(public_path, public_key_pem(key).encode(), mode=0o644)
    except OSError as exc:
        raise UsageError(f"cannot write the key pair: {exc.strerror or exc}") from None
    os.chmod(private_path, 0o600)
    # The key id alone on stdout, so `KEYID=$(gatecheck keys generate -o k)` works.
    click.echo(key_id(key))
    click.echo(
        f"wrote {private_path} ({key_type_name} private key, mode 0600"
        f"{', encrypted' if password else ''}) and {public_path}",
        err=True,
    )
