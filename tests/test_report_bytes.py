"""A signed report verifies only as the bytes gatecheck wrote: every single-byte change, and
every re-encoding DSSE itself would not notice (keyid, signature encoding, duplicates), is
rejected, each with its reason in one line."""

from __future__ import annotations

import base64
import json
import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature,
    encode_dss_signature,
)

from gatecheck.cli.main import cli
from gatecheck.digest import canonical_json
from gatecheck.engine.attestation import report_payload
from gatecheck.engine.report_signatures import CURVE_ORDERS
from gatecheck.engine.signing import KeySigner
from gatecheck.engine.verification import VerificationFailure, check_statement, verify_envelope
from gatecheck.evidence.signing import dsse
from gatecheck.evidence.signing.keys import PrivateKey, key_id, public_key_pem

# A small report: its signed file is about 1.3 kB, so every byte of it can be changed.
REPORT = {
    "report_type": "https://gatecheck.dev/report/v1",
    "decision": "pass",
    "stage": "production",
    "effective_time": "2026-01-31T12:00:00Z",
    "created_at": "2026-01-31T12:00:01Z",
    "release": {
        "name": "shop",
        "version": "1.2.0",
        "artifacts": [{"name": "shop.whl", "digest": "sha256:" + "5a" * 32}],
    },
    "bundle_digest": "sha256:" + "b1" * 32,
    "results": [{"control": "GC-ART-001", "status": "pass"}],
}
ED25519_ORDER = 2**252 + 27742317777372353535851937790883648493
EXHAUSTIVE = os.environ.get("GATECHECK_TEST_EXHAUSTIVE") == "1"


def _key(kind: str) -> PrivateKey:
    if kind == "ed25519":
        return ed25519.Ed25519PrivateKey.generate()
    return ec.generate_private_key(ec.SECP256R1())


def _sign(key: PrivateKey) -> bytes:
    (raw,) = KeySigner(key).sign([report_payload(REPORT)])
    return raw


def _verify(raw: bytes, key: PrivateKey) -> None:
    """The whole offline check of a key-signed report file (what `report verify` runs)."""
    payload_type, payload, _ = verify_envelope(raw, [key.public_key()])
    check_statement(payload_type, payload)


def _reason(raw: bytes, key: PrivateKey) -> str:
    with pytest.raises(VerificationFailure) as info:
        _verify(raw, key)
    reason = str(info.value)
    assert "\n" not in reason and reason
    return reason


def _replacements(original: int) -> Iterator[int]:
    """Every other byte value with GATECHECK_TEST_EXHAUSTIVE=1 (255 per position, about 1 min
    per key type), else the 8 one-bit flips (each byte changed in each of its bits, ~1 s)."""
    if EXHAUSTIVE:
        yield from (v for v in range(256) if v != original)
    else:
        yield from (original ^ (1 << bit) for bit in range(8))


@pytest.mark.parametrize("kind", ["ed25519", "ecdsa-p256"])
def test_every_single_byte_change_of_a_signed_report_is_rejected(kind: str) -> None:
    key = _key(kind)
    raw = _sign(key)
    _verify(raw, key)
    accepted, tried = [], 0
    for position in range(len(raw)):
        for value in _replacements(raw[position]):
            changed = bytearray(raw)
            changed[position] = value
            tried += 1
            try:
                _verify(bytes(changed), key)
            except VerificationFailure:
                continue
            accepted.append((position, value))
    assert accepted == [], f"changed report files that still verified: {accepted[:20]}"
    assert tried >= len(raw) * 8


def _with_signatures(raw: bytes, edit: Callable[[list[dict]], list[dict]]) -> bytes:
    document = json.loads(raw)
    document["signatures"] = edit([dict(s) for s in document["signatures"]])
    return canonical_json(document) + b"\n"


def _with_sig(raw: bytes, sig: bytes) -> bytes:
    return _with_signatures(raw, lambda s: [{**s[0], "sig": base64.b64encode(sig).decode()}])


def _sig(raw: bytes) -> bytes:
    return base64.b64decode(json.loads(raw)["signatures"][0]["sig"])


def _envelope_variants(raw: bytes, key: PrivateKey) -> dict[str, tuple[bytes, str]]:
    """Variants of a gatecheck report file and the reason each must be rejected with."""
    keyid = key_id(key)
    return {
        "emptied keyid": (
            _with_signatures(raw, lambda s: [{**s[0], "keyid": ""}]),
            "keyid is missing or empty",
        ),
        "no keyid": (
            _with_signatures(raw, lambda s: [{"sig": s[0]["sig"]}]),
            "keyid is missing or empty",
        ),
        "keyid in capitals": (
            _with_signatures(raw, lambda s: [{**s[0], "keyid": keyid.upper()}]),
            "does not name the key that verified",
        ),
        "signature listed twice": (
            _with_signatures(raw, lambda s: [s[0], s[0]]),
            "a second signature by key .*: a signature is listed once",
        ),
        "signature listed twice, second keyid emptied": (
            _with_signatures(raw, lambda s: [s[0], {**s[0], "keyid": ""}]),
            "/signatures/1: the keyid is missing or empty",
        ),
        "no trailing newline": (raw[:-1], "not in the canonical form"),
        "two trailing newlines": (raw + b"\n", "not in the canonical form"),
        "CRLF": (raw[:-1] + b"\r\n", "not in the canonical form"),
    }


def _ecdsa_variants(raw: bytes) -> dict[str, tuple[bytes, str]]:
    der = _sig(raw)
    r, s = decode_dss_signature(der)
    n = CURVE_ORDERS["secp256r1"]

    def integer(value: int, pad: bytes = b"") -> bytes:
        body = pad + value.to_bytes(value.bit_length() // 8 + 1, "big")
        return b"\x02" + bytes([len(body)]) + body

    long_form = b"\x30\x81" + bytes([len(integer(r) + integer(s))]) + integer(r) + integer(s)
    padded = integer(r, b"\x00") + integer(s)
    return {
        "raw r||s": (
            _with_sig(raw, r.to_bytes(32, "big") + s.to_bytes(32, "big")),
            "not canonical DER",
        ),
        "high S (r, n-s)": (_with_sig(raw, encode_dss_signature(r, n - s)), "high S value"),
        "DER with a trailing byte": (_with_sig(raw, der + b"\x00"), "not canonical DER"),
        "DER long-form length": (_with_sig(raw, long_form), "not canonical DER"),
        "DER non-minimal integer": (
            _with_sig(raw, b"\x30" + bytes([len(padded)]) + padded),
            "not canonical DER",
        ),
    }


def _ed25519_variants(raw: bytes) -> dict[str, tuple[bytes, str]]:
    sig = _sig(raw)
    s = int.from_bytes(sig[32:], "little")
    return {
        "65 bytes": (_with_sig(raw, sig + b"\x00"), "Ed25519 signature is 65 bytes, not 64"),
        "63 bytes": (_with_sig(raw, sig[:-1]), "Ed25519 signature is 63 bytes, not 64"),
        # Same signature with S + L (not reduced modulo the group order): OpenSSL refuses it.
        "S + L": (
            _with_sig(raw, sig[:32] + (s + ED25519_ORDER).to_bytes(32, "little")),
            "does not verify",
        ),
    }


@pytest.mark.parametrize("kind", ["ed25519", "ecdsa-p256"])
def test_every_re_encoding_of_a_signed_report_is_rejected_with_its_reason(kind: str) -> None:
    key = _key(kind)
    raw = _sign(key)
    _verify(raw, key)
    variants = _envelope_variants(raw, key)
    variants |= _ecdsa_variants(raw) if kind == "ecdsa-p256" else _ed25519_variants(raw)
    for name, (variant, reason) in variants.items():
        assert variant != raw, name
        message = _reason(variant, key)
        assert re.search(reason, message), (name, message)


def test_high_s_re_encoding_is_a_valid_ecdsa_signature_that_only_the_form_rule_rejects() -> None:
    """The rule matters: without it (r, n-s) verifies, since ECDSA accepts both halves."""
    key = ec.generate_private_key(ec.SECP256R1())
    raw = _sign(key)
    r, s = decode_dss_signature(_sig(raw))
    assert s <= CURVE_ORDERS["secp256r1"] // 2  # gatecheck writes low S
    message = dsse.Envelope.from_json(raw).pae()
    high = encode_dss_signature(r, CURVE_ORDERS["secp256r1"] - s)
    raw_rs = r.to_bytes(32, "big") + s.to_bytes(32, "big")
    # Evidence verification stays lenient (third-party attestations); reports do not.
    assert dsse.verify_message(key.public_key(), message, high)
    assert dsse.verify_message(key.public_key(), message, raw_rs)
    assert "high S value" in _reason(_with_sig(raw, high), key)


def test_keyid_of_another_trusted_key_is_rejected() -> None:
    key, other = _key("ecdsa-p256"), _key("ed25519")
    raw = _with_signatures(_sign(key), lambda s: [{**s[0], "keyid": key_id(other)}])
    with pytest.raises(VerificationFailure, match="does not name the key that verified"):
        verify_envelope(raw, [key.public_key(), other.public_key()])


def test_report_verify_prints_the_reason_in_one_line_and_exits_1(tmp_path: Path) -> None:
    key = _key("ecdsa-p256")
    public = tmp_path / "release.pub"
    public.write_text(public_key_pem(key))
    raw = _sign(key)
    r, s = decode_dss_signature(_sig(raw))
    cases = {
        "high S value": _with_sig(raw, encode_dss_signature(r, CURVE_ORDERS["secp256r1"] - s)),
        "keyid is missing or empty": _with_signatures(raw, lambda x: [{**x[0], "keyid": ""}]),
        "listed once": _with_signatures(raw, lambda x: [x[0], x[0]]),
    }
    for reason, variant in cases.items():
        path = tmp_path / "report.dsse.json"
        path.write_bytes(variant)
        result = CliRunner().invoke(cli, ["report", "verify", str(path), "--key", str(public)])
        assert result.exit_code == 1, result.output
        lines = result.stderr.splitlines()
        assert len(lines) == 1 and lines[0].startswith("gatecheck: report rejected: ")
        assert reason in lines[0]
