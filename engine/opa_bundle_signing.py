"""OPA's own bundle signatures (``.signatures.json``), so an OPA fleet started with
``opa run --verification-key`` loads only a policy bundle gatecheck built and signed.

The format is OPA's: one compact JWS whose payload lists every file of the bundle with its
SHA-256 hash. OPA hashes ``.manifest`` and ``data.json`` over a canonical JSON encoding
(keys sorted, no whitespace, number literals as written) and every other file over its bytes;
both are reproduced here, so the hashes are the ones ``opa sign`` would write.
"""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path
from typing import Any

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

from gatecheck.errors import EngineError

SIGNATURES_FILE = ".signatures.json"
STRUCTURED = {".manifest", "data.json"}  # what OPA hashes as JSON values, not bytes

_EC_ALGORITHMS = {
    "secp256r1": ("ES256", hashes.SHA256(), 32),
    "secp384r1": ("ES384", hashes.SHA384(), 48),
}


class _Number(str):
    """A JSON number kept exactly as written (OPA re-encodes json.Number literals)."""


def _canonical(value: Any) -> str:
    if isinstance(value, dict):
        items = sorted(value.items(), key=lambda kv: kv[0].encode("utf-8"))
        return "{" + ",".join(f"{_string(k)}:{_canonical(v)}" for k, v in items) + "}"
    if isinstance(value, list):
        return "[" + ",".join(_canonical(v) for v in value) + "]"
    if isinstance(value, _Number):
        return str(value)
    if isinstance(value, str):
        return _string(value)
    return json.dumps(value)  # true, false, null


def _string(value: str) -> str:
    # Go's encoding/json with HTML escaping off: UTF-8 kept, U+2028/U+2029 escaped.
    return (
        json.dumps(value, ensure_ascii=False)
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
    )


def file_hash(name: str, data: bytes) -> str:
    """The SHA-256 hex OPA computes for one bundle file."""
    if name.rsplit("/", 1)[-1] in STRUCTURED:
        value = json.loads(data, parse_float=_Number, parse_int=_Number)
        data = _canonical(value).encode("utf-8")
    return hashlib.sha256(data).hexdigest()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def load_signing_key(path: Path) -> Any:
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (OSError, ValueError, TypeError, UnsupportedAlgorithm) as exc:
        raise EngineError(
            f"{path}: not a readable unencrypted PEM private key ({exc.__class__.__name__}); "
            "OPA bundles are signed with an RSA (RS256) or ECDSA P-256/P-384 (ES256/ES384) key"
        ) from None
    if isinstance(key, rsa.RSAPrivateKey) or (
        isinstance(key, ec.EllipticCurvePrivateKey) and key.curve.name in _EC_ALGORITHMS
    ):
        return key
    raise EngineError(
        f"{path}: OPA bundle signing takes an RSA or ECDSA P-256/P-384 key, not {type(key).__name__}"
    )


def algorithm(key: Any) -> str:
    """The JWS algorithm for the key (what `opa run --signing-alg` must name)."""
    return "RS256" if isinstance(key, rsa.RSAPrivateKey) else _EC_ALGORITHMS[key.curve.name][0]


def signatures_file(files: list[tuple[str, bytes]], key: Any, key_id: str) -> bytes:
    """``.signatures.json`` for the bundle's files, signed with key under key_id."""
    alg = algorithm(key)
    header = {"alg": alg, "kid": key_id, "typ": "JWT"}
    payload = {
        "files": [
            {"name": name, "hash": file_hash(name, data), "algorithm": "SHA-256"}
            for name, data in sorted(files)
        ]
    }
    signing_input = (
        _b64(json.dumps(header, sort_keys=True).encode())
        + "."
        + _b64(json.dumps(payload, sort_keys=True).encode())
    ).encode("ascii")
    if isinstance(key, rsa.RSAPrivateKey):
        signature = key.sign(signing_input, padding.PKCS1v15(), hashes.SHA256())
    else:
        _name, digest, size = _EC_ALGORITHMS[key.curve.name]
        r, s = decode_dss_signature(key.sign(signing_input, ec.ECDSA(digest)))
        signature = r.to_bytes(size, "big") + s.to_bytes(size, "big")
    token = signing_input.decode("ascii") + "." + _b64(signature)
    return json.dumps({"signatures": [token]}).encode()
