"""Public and private keys for signing and verifying: PEM loading and key ids.

A key id is the lowercase hex sha256 of the key's DER SubjectPublicKeyInfo, so the same key
has the same id whichever tool wrote its PEM, and a config can name a key without embedding
it. Supported: Ed25519, ECDSA (P-256, P-384, P-521) and RSA (2048 bits or more).

Errors raise :class:`KeyError_` subclasses of GatecheckError with a message naming where the
key came from (``what``), so callers can re-raise them as the error class of their layer.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from gatecheck.errors import ConfigError, GatecheckError

PublicKey = ed25519.Ed25519PublicKey | ec.EllipticCurvePublicKey | rsa.RSAPublicKey
PrivateKey = ed25519.Ed25519PrivateKey | ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey

SUPPORTED_CURVES = (ec.SECP256R1, ec.SECP384R1, ec.SECP521R1)
MIN_RSA_BITS = 2048


class KeyError_(GatecheckError):  # noqa: N801 - KeyError is a builtin
    """A key cannot be read or is of an unsupported type."""


def key_id(key: PublicKey | PrivateKey) -> str:
    """sha256 hex of the DER SubjectPublicKeyInfo of ``key`` (a private key's public half)."""
    public = key.public_key() if isinstance(key, PrivateKey) else key
    der = public.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return hashlib.sha256(der).hexdigest()


def key_type(key: PublicKey | PrivateKey) -> str:
    """A short name for reports: ``ed25519``, ``ecdsa-p256``, ``rsa-3072``..."""
    public = key.public_key() if isinstance(key, PrivateKey) else key
    if isinstance(public, ed25519.Ed25519PublicKey):
        return "ed25519"
    if isinstance(public, ec.EllipticCurvePublicKey):
        return f"ecdsa-p{public.curve.key_size}"
    return f"rsa-{public.key_size}"


def _check_supported(key: Any, what: str) -> None:
    if isinstance(key, (ed25519.Ed25519PublicKey, ed25519.Ed25519PrivateKey)):
        return
    if isinstance(key, (ec.EllipticCurvePublicKey, ec.EllipticCurvePrivateKey)):
        if not isinstance(key.curve, SUPPORTED_CURVES):
            raise KeyError_(f"{what}: unsupported elliptic curve {key.curve.name}")
        return
    if isinstance(key, (rsa.RSAPublicKey, rsa.RSAPrivateKey)):
        if key.key_size < MIN_RSA_BITS:
            raise KeyError_(f"{what}: RSA key of {key.key_size} bits; at least 2048 are needed")
        return
    raise KeyError_(f"{what}: unsupported key type {type(key).__name__}; use Ed25519, ECDSA or RSA")


def _as_bytes(pem: str | bytes) -> bytes:
    return pem.encode("utf-8") if isinstance(pem, str) else pem


def load_public_key(pem: str | bytes, *, what: str = "public key") -> PublicKey:
    """A public key from PEM: ``PUBLIC KEY`` (SubjectPublicKeyInfo) or a ``CERTIFICATE``
    (its subject key; the certificate itself is not validated here)."""
    data = _as_bytes(pem)
    try:
        if b"-----BEGIN CERTIFICATE-----" in data:
            from cryptography import x509  # only for certificates: a large import

            key: Any = x509.load_pem_x509_certificate(data).public_key()
        else:
            key = serialization.load_pem_public_key(data)
    except (ValueError, TypeError, UnsupportedAlgorithm) as exc:
        raise KeyError_(
            f"{what}: not a PEM public key or certificate ({_first_line(exc)})"
        ) from None
    _check_supported(key, what)
    return key


def load_private_key(
    pem: str | bytes, *, password: bytes | None = None, what: str = "private key"
) -> PrivateKey:
    """A private key from PEM (PKCS#8, or the traditional EC/RSA formats)."""
    try:
        key: Any = serialization.load_pem_private_key(_as_bytes(pem), password=password)
    except TypeError as exc:
        raise KeyError_(f"{what}: {_first_line(exc)}") from None
    except (ValueError, UnsupportedAlgorithm) as exc:
        raise KeyError_(
            f"{what}: not a PEM private key, or wrong password ({_first_line(exc)})"
        ) from None
    _check_supported(key, what)
    return key


def public_key_pem(key: PublicKey | PrivateKey) -> str:
    public = key.public_key() if isinstance(key, PrivateKey) else key
    return public.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode("ascii")


def private_key_pem(key: PrivateKey, *, password: bytes | None = None) -> str:
    encryption: serialization.KeySerializationEncryption = (
        serialization.BestAvailableEncryption(password)
        if password
        else serialization.NoEncryption()
    )
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption
    ).decode("ascii")


@dataclass(frozen=True)
class TrustedKey:
    """A public key the configuration trusts for verification."""

    key: PublicKey
    key_id: str
    """sha256 hex of the DER SubjectPublicKeyInfo."""
    alias: str | None = None
    """A name the configuration gives the key besides its sha256 id (for instance the
    ``keyid`` a signer writes into DSSE envelopes, such as ``keystore://...``)."""


def _is_sha256_hex(value: str) -> bool:
    return len(value) == 64 and all(c in "0123456789abcdef" for c in value.lower())


def trusted_keys(entries: Iterable[Mapping[str, Any]] | None, *, what: str) -> list[TrustedKey]:
    """Trusted keys from configuration entries ``{pem, key_id?}``.

    ``key_id``, when it is 64 hex digits, must equal the key's sha256 id (a mismatch means
    the configuration names the wrong key); any other value is kept as the key's alias.
    Raises ConfigError on an unreadable entry: a broken trust configuration must stop the
    evaluation, not silently trust nothing.
    """
    if entries is None:
        return []
    if not isinstance(entries, (list, tuple)):
        raise ConfigError(f"{what}: must be a list of {{pem, key_id}} entries")
    keys: list[TrustedKey] = []
    for i, entry in enumerate(entries):
        where = f"{what}[{i}]"
        if not isinstance(entry, Mapping) or not isinstance(entry.get("pem"), str):
            raise ConfigError(f"{where}: needs a `pem` string with the public key")
        try:
            key = load_public_key(entry["pem"], what=where)
        except KeyError_ as exc:
            raise ConfigError(str(exc)) from None
        computed = key_id(key)
        declared = entry.get("key_id")
        alias = None
        if declared is not None:
            if not isinstance(declared, str) or not declared:
                raise ConfigError(f"{where}: key_id must be a non-empty string")
            if _is_sha256_hex(declared):
                if declared.lower() != computed:
                    raise ConfigError(
                        f"{where}: key_id {declared} does not match the key (its id is {computed})"
                    )
            else:
                alias = declared
        keys.append(TrustedKey(key=key, key_id=computed, alias=alias))
    return keys


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
