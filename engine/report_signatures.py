"""Report signatures in one encoding: gatecheck accepts exactly the signature bytes it writes.

DSSE signs ``PAE(payloadType, payload)``, not the encoding of the signature itself, and an
ECDSA signature ``(r, s)`` has other valid spellings: raw ``r||s``, non-minimal DER, and
``(r, n - s)`` ("high S"), which verifies just as well. Report signatures are therefore made
and accepted in one form only:

- ECDSA: minimal DER with ``s <= n/2`` (low S); the curve's hash (SHA-256 for P-256);
- Ed25519: exactly 64 bytes (OpenSSL also refuses a non-reduced S);
- RSA: PSS with MGF1-SHA-256 and a digest-length salt, exactly the modulus size.

Evidence signatures (``evidence/signing/``) stay lenient on purpose: third-party signers such
as Google's VSA service emit raw ``r||s``.
"""

from __future__ import annotations

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature,
    encode_dss_signature,
)

from gatecheck.evidence.signing.keys import PrivateKey, PublicKey

ED25519_SIGNATURE_BYTES = 64

# Group orders n of the supported curves (SEC 2 / FIPS 186-4); low S means s <= n // 2.
CURVE_ORDERS: dict[str, int] = {
    "secp256r1": 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551,
    "secp384r1": int(
        "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFC7634D81F4372DDF"
        "581A0DB248B0A77AECEC196ACCC52973",
        16,
    ),
    "secp521r1": int(
        "01FF" + "F" * 56 + "FFFFFFFA"
        "51868783BF2F966B7FCC0148F709A5D03BB5C9B8899C47AEBB6FB71E91386409",
        16,
    ),
}
_CURVE_HASHES: dict[str, type[hashes.HashAlgorithm]] = {
    "secp256r1": hashes.SHA256,
    "secp384r1": hashes.SHA384,
    "secp521r1": hashes.SHA512,
}


def _pss() -> padding.PSS:
    return padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=padding.PSS.DIGEST_LENGTH)


def _ecdsa(curve: ec.EllipticCurve) -> ec.ECDSA:
    return ec.ECDSA(_CURVE_HASHES[curve.name]())


def sign(key: PrivateKey, message: bytes) -> bytes:
    """The signature of ``message`` in the one form :func:`verify` accepts."""
    if isinstance(key, ed25519.Ed25519PrivateKey):
        return key.sign(message)
    if isinstance(key, ec.EllipticCurvePrivateKey):
        r, s = decode_dss_signature(key.sign(message, _ecdsa(key.curve)))
        order = CURVE_ORDERS[key.curve.name]
        return encode_dss_signature(r, order - s if s > order // 2 else s)
    if isinstance(key, rsa.RSAPrivateKey):
        return key.sign(message, _pss(), hashes.SHA256())
    raise TypeError(f"unsupported private key type {type(key).__name__}")


def form_problem(key: PublicKey, signature: bytes) -> str | None:
    """Why ``signature`` is not in the form gatecheck writes for ``key``; None when it is."""
    if isinstance(key, ed25519.Ed25519PublicKey):
        if len(signature) != ED25519_SIGNATURE_BYTES:
            return f"the Ed25519 signature is {len(signature)} bytes, not {ED25519_SIGNATURE_BYTES}"
        return None
    if isinstance(key, ec.EllipticCurvePublicKey):
        values = _canonical_der(signature)
        if values is None:
            return (
                "the ECDSA signature is not canonical DER (raw r||s, BER or extra bytes); "
                "gatecheck writes canonical DER"
            )
        if values[1] > CURVE_ORDERS[key.curve.name] // 2:
            return (
                "the ECDSA signature has a high S value (s > n/2), the re-encoding (r, n-s) of "
                "a low-S signature; gatecheck writes low-S signatures"
            )
        return None
    if isinstance(key, rsa.RSAPublicKey):
        size = (key.key_size + 7) // 8
        if len(signature) != size:
            return f"the RSA signature is {len(signature)} bytes, not the modulus size {size}"
        return None
    return f"unsupported public key type {type(key).__name__}"


def _canonical_der(signature: bytes) -> tuple[int, int] | None:
    """(r, s) when ``signature`` is exactly the DER encoding of them (re-encoded, compared)."""
    try:
        r, s = decode_dss_signature(signature)
    except ValueError:
        return None
    return (r, s) if encode_dss_signature(r, s) == signature else None


def verify(key: PublicKey, message: bytes, signature: bytes) -> bool:
    """True when ``signature`` is in gatecheck's form and valid for ``message`` under ``key``."""
    if form_problem(key, signature) is not None:
        return False
    try:
        if isinstance(key, ed25519.Ed25519PublicKey):
            key.verify(signature, message)
        elif isinstance(key, ec.EllipticCurvePublicKey):
            key.verify(signature, message, _ecdsa(key.curve))
        elif isinstance(key, rsa.RSAPublicKey):
            key.verify(signature, message, _pss(), hashes.SHA256())
        else:  # pragma: no cover - form_problem refuses other key types
            return False
    except (InvalidSignature, ValueError):
        return False
    return True
