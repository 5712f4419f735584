"""DSSE (Dead Simple Signing Envelope) v1: parse, pre-authentication encoding, sign, verify.

Spec: https://github.com/secure-systems-lab/dsse (envelope.md, protocol.md). A signature is
made over ``PAE(payloadType, payload)``, never over the payload alone, so a signature for one
payload type can never be replayed as another.

Used for evidence (in-toto attestations signed by keys) and for gatecheck's own signed
reports. Keys: Ed25519; ECDSA P-256/P-384/P-521 with SHA-256/384/512, signatures DER-encoded
when signing and accepted both DER and raw ``r||s`` (IEEE P1363) when verifying, since some
signers (e.g. Google's VSA service) emit raw ones; RSA with SHA-256, PSS when signing and PSS
or PKCS#1 v1.5 when verifying.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import (
    Prehashed,
    encode_dss_signature,
)

from gatecheck.digest import canonical_json
from gatecheck.errors import EvidenceError
from gatecheck.evidence import safe
from gatecheck.evidence.signing.keys import PrivateKey, PublicKey, TrustedKey, key_id

PAYLOAD_TYPE_INTOTO = "application/vnd.in-toto+json"
"""payloadType of in-toto attestations (Statements)."""
ENVELOPE_MEDIA_TYPE = "application/vnd.dsse.envelope.v1+json"
"""Media type of a DSSE envelope serialized as JSON."""

_PAE_PREFIX = b"DSSEv1"


class EnvelopeError(EvidenceError):
    """A DSSE envelope is malformed (not a signature failure: that is a verification result)."""


@dataclass(frozen=True)
class Signature:
    """One signature of an envelope."""

    sig: bytes
    """Signature bytes over PAE(payloadType, payload)."""
    keyid: str | None = None
    """Unauthenticated hint naming the key; never trusted, only used to try that key first."""
    cert: str | None = None
    """PEM certificate some signers embed (non-standard, e.g. slsa-github-generator)."""


@dataclass(frozen=True)
class Envelope:
    """A DSSE envelope with its payload decoded."""

    payload_type: str
    payload: bytes
    signatures: tuple[Signature, ...]

    @classmethod
    def from_dict(cls, obj: Any, *, name: str = "DSSE envelope") -> Envelope:
        """Read an envelope object; raise EnvelopeError naming ``name`` when it is malformed."""
        if not isinstance(obj, Mapping):
            raise EnvelopeError(f"{name}: a DSSE envelope must be a JSON object")
        payload_type = obj.get("payloadType")
        if not isinstance(payload_type, str) or not payload_type:
            raise EnvelopeError(f"{name}: DSSE envelope has no payloadType string")
        payload = obj.get("payload")
        if not isinstance(payload, str):
            raise EnvelopeError(f"{name}: DSSE envelope has no base64 payload string")
        sigs = obj.get("signatures")
        if not isinstance(sigs, list) or not sigs:
            raise EnvelopeError(f"{name}: DSSE envelope has no signatures")
        signatures = []
        for i, entry in enumerate(sigs):
            if not isinstance(entry, Mapping) or not isinstance(entry.get("sig"), str):
                raise EnvelopeError(f"{name}: /signatures/{i} has no base64 sig string")
            keyid = entry.get("keyid")
            if keyid is not None and not isinstance(keyid, str):
                raise EnvelopeError(f"{name}: /signatures/{i}/keyid must be a string")
            cert = entry.get("cert")
            if cert is not None and not isinstance(cert, str):
                raise EnvelopeError(f"{name}: /signatures/{i}/cert must be a PEM string")
            signatures.append(
                Signature(
                    sig=b64decode(entry["sig"], what=f"{name}: /signatures/{i}/sig"),
                    keyid=keyid or None,
                    cert=cert or None,
                )
            )
        return cls(
            payload_type=payload_type,
            payload=b64decode(payload, what=f"{name}: /payload"),
            signatures=tuple(signatures),
        )

    @classmethod
    def from_json(cls, raw: bytes, *, name: str = "DSSE envelope") -> Envelope:
        """Parse envelope JSON strictly (see :mod:`gatecheck.evidence.safe`)."""
        return cls.from_dict(safe.load_json(raw, name=name), name=name)

    def to_dict(self) -> dict[str, Any]:
        """The JSON form, with base64 (standard alphabet, padded) payload and signatures."""
        sigs: list[dict[str, Any]] = []
        for s in self.signatures:
            entry: dict[str, Any] = {"keyid": s.keyid or "", "sig": b64encode(s.sig)}
            if s.cert:
                entry["cert"] = s.cert
            sigs.append(entry)
        return {
            "payload": b64encode(self.payload),
            "payloadType": self.payload_type,
            "signatures": sigs,
        }

    def to_json(self) -> bytes:
        """Canonical JSON bytes (sorted keys, no whitespace)."""
        return canonical_json(self.to_dict())

    def pae(self) -> bytes:
        return pae(self.payload_type, self.payload)


def pae(payload_type: str, payload: bytes) -> bytes:
    """DSSE v1 pre-authentication encoding:
    ``"DSSEv1" SP LEN(type) SP type SP LEN(body) SP body``, lengths in ASCII decimal bytes."""
    type_bytes = payload_type.encode("utf-8")
    return b" ".join(
        [
            _PAE_PREFIX,
            str(len(type_bytes)).encode("ascii"),
            type_bytes,
            str(len(payload)).encode("ascii"),
            payload,
        ]
    )


def b64encode(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def b64decode(text: str, *, what: str) -> bytes:
    """Standard or URL-safe base64, padding optional; anything else is an EnvelopeError."""
    candidate = text.replace("-", "+").replace("_", "/")
    candidate += "=" * (-len(candidate) % 4)
    try:
        return base64.b64decode(candidate, validate=True)
    except (binascii.Error, ValueError):
        raise EnvelopeError(f"{what} is not valid base64") from None


# -- signature primitives ------------------------------------------------------------------


def _ec_hash(curve: ec.EllipticCurve) -> hashes.HashAlgorithm:
    if curve.key_size >= 512:
        return hashes.SHA512()
    if curve.key_size >= 384:
        return hashes.SHA384()
    return hashes.SHA256()


def sign_message(key: PrivateKey, message: bytes) -> bytes:
    """Sign ``message`` with the algorithm the key type implies (see module docstring)."""
    if isinstance(key, ed25519.Ed25519PrivateKey):
        return key.sign(message)
    if isinstance(key, ec.EllipticCurvePrivateKey):
        return key.sign(message, ec.ECDSA(_ec_hash(key.curve)))
    if isinstance(key, rsa.RSAPrivateKey):
        return key.sign(
            message,
            padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=padding.PSS.DIGEST_LENGTH),
            hashes.SHA256(),
        )
    raise TypeError(f"unsupported private key type {type(key).__name__}")


def verify_message(
    key: PublicKey,
    message: bytes,
    signature: bytes,
    *,
    prehashed: hashes.HashAlgorithm | None = None,
) -> bool:
    """True when ``signature`` is valid for ``message`` under ``key``.

    With ``prehashed``, ``message`` is already a digest made with that algorithm (for
    detached signatures verified against an artifact digest); Ed25519 cannot verify a
    digest-only input and returns False.
    """
    try:
        if isinstance(key, ed25519.Ed25519PublicKey):
            if prehashed is not None:
                return False
            key.verify(signature, message)
            return True
        if isinstance(key, ec.EllipticCurvePublicKey):
            algorithm = ec.ECDSA(Prehashed(prehashed) if prehashed else _ec_hash(key.curve))
            return any(
                _ecdsa_ok(key, candidate, message, algorithm)
                for candidate in _ecdsa_encodings(key, signature)
            )
        if isinstance(key, rsa.RSAPublicKey):
            digest: hashes.HashAlgorithm = hashes.SHA256()
            algorithm_arg: Any = Prehashed(prehashed) if prehashed else digest
            mgf_hash = prehashed or digest
            for pad in (
                padding.PSS(mgf=padding.MGF1(mgf_hash), salt_length=padding.PSS.AUTO),
                padding.PKCS1v15(),
            ):
                try:
                    key.verify(signature, message, pad, algorithm_arg)
                    return True
                except InvalidSignature:
                    continue
            return False
    except (InvalidSignature, ValueError):
        return False
    return False


def _ecdsa_encodings(key: ec.EllipticCurvePublicKey, signature: bytes) -> list[bytes]:
    """DER as given, plus the DER form of a raw r||s signature of the curve's size."""
    candidates = [signature]
    size = (key.curve.key_size + 7) // 8
    if len(signature) == 2 * size:
        r = int.from_bytes(signature[:size], "big")
        s = int.from_bytes(signature[size:], "big")
        if r and s:
            candidates.append(encode_dss_signature(r, s))
    return candidates


def _ecdsa_ok(
    key: ec.EllipticCurvePublicKey, signature: bytes, message: bytes, algorithm: ec.ECDSA
) -> bool:
    try:
        key.verify(signature, message, algorithm)
        return True
    except (InvalidSignature, ValueError):
        return False


# -- envelopes ----------------------------------------------------------------------------


def sign(
    payload: bytes,
    payload_type: str,
    key: PrivateKey,
    *,
    keyid: str | None = None,
) -> Envelope:
    """A new envelope over ``payload`` signed by ``key``; ``keyid`` defaults to the key id."""
    signature = Signature(
        sig=sign_message(key, pae(payload_type, payload)), keyid=keyid or key_id(key)
    )
    return Envelope(payload_type=payload_type, payload=payload, signatures=(signature,))


def add_signature(envelope: Envelope, key: PrivateKey, *, keyid: str | None = None) -> Envelope:
    """The envelope with one more signature (for multi-party signing)."""
    signature = Signature(sig=sign_message(key, envelope.pae()), keyid=keyid or key_id(key))
    return Envelope(
        payload_type=envelope.payload_type,
        payload=envelope.payload,
        signatures=(*envelope.signatures, signature),
    )


@dataclass(frozen=True)
class VerifiedSignature:
    """A signature of an envelope that a trusted key verifies."""

    index: int
    """Position in the envelope's signatures (for JSON pointers: ``/signatures/<index>``)."""
    key_id: str
    """sha256 id of the verifying key."""
    alias: str | None
    """The trusted key's configured alias, if any."""
    keyid_hint: str | None
    """The keyid the envelope claimed (unauthenticated)."""


def _as_trusted(keys: Sequence[TrustedKey | PublicKey]) -> list[TrustedKey]:
    return [k if isinstance(k, TrustedKey) else TrustedKey(key=k, key_id=key_id(k)) for k in keys]


def verify(envelope: Envelope, keys: Sequence[TrustedKey | PublicKey]) -> list[VerifiedSignature]:
    """Every signature of ``envelope`` that one of ``keys`` verifies.

    Keys whose id or alias equals a signature's keyid are tried first, then all others:
    the keyid is an unauthenticated hint, so it only orders the attempts.
    """
    trusted = _as_trusted(keys)
    message = envelope.pae()
    verified: list[VerifiedSignature] = []
    for index, signature in enumerate(envelope.signatures):
        hint = signature.keyid
        ordered = sorted(trusted, key=lambda k: 0 if hint and hint in (k.key_id, k.alias) else 1)
        for candidate in ordered:
            if verify_message(candidate.key, message, signature.sig):
                verified.append(
                    VerifiedSignature(
                        index=index, key_id=candidate.key_id, alias=candidate.alias, keyid_hint=hint
                    )
                )
                break
    return verified
