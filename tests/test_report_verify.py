"""Verifying signed reports offline: what verifies, and every way a report is rejected."""

from __future__ import annotations

import base64
import json
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner
from cryptography.hazmat.primitives.asymmetric import ed25519
from helpers import DATA
from securesystemslib.dsse import Envelope as SslibEnvelope
from securesystemslib.signer import SSlibKey
from trust_support import make_signed_bundle

from gatecheck.cli.main import cli
from gatecheck.digest import canonical_json
from gatecheck.engine.attestation import PAYLOAD_TYPE, PREDICATE_TYPE
from gatecheck.engine.signing import KeySigner, load_signing_key
from gatecheck.engine.verification import (
    VerificationFailure,
    check_statement,
    verify_envelope,
    verify_report,
    verify_sigstore_bundle,
)
from gatecheck.engine.vsa import VSA_PREDICATE_TYPE
from gatecheck.evidence.signing import dsse
from gatecheck.evidence.signing.keys import key_id, load_public_key, private_key_pem, public_key_pem

ARTIFACT = "sha256:" + "c3" * 32
SIGSTORE = DATA / "sigstore"
BEACON = (
    "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/"
    ".github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main"
)
GITHUB_ISSUER = "https://token.actions.githubusercontent.com"


@dataclass
class Signed:
    root: Path
    bundle: Path
    other_bundle: Path
    private: Path
    public: Path
    report: Path
    vsa: Path
    stdout: str
    config: Path


def _invoke(*args: str, env: dict[str, str] | None = None):  # noqa: ANN202 - click Result
    return CliRunner().invoke(cli, list(args), env=env)


@pytest.fixture(scope="module")
def signed(tmp_path_factory: pytest.TempPathFactory) -> Signed:
    root = tmp_path_factory.mktemp("verify")
    artifacts = [{"name": "shop.whl", "version": "1.2.0", "digest": ARTIFACT}]
    junit = DATA / "junit" / "jest-junit-2-passed.xml"
    # Signed by their producers, so that at production the release's artifacts are facts
    # the report and VSA can name.
    bundle, _, config = make_signed_bundle(
        root / "bundle",
        [(junit, "test-results")],
        kind="unit",
        name="shop",
        version="1.2.0",
        artifacts=artifacts,
    )
    # Same release, other evidence: a different bundle whatever the clock says.
    other, _, _ = make_signed_bundle(
        root / "other",
        [(DATA / "junit" / "pytest-5-tests-1-failure-1-skipped.xml", "test-results")],
        kind="unit",
        name="shop",
        version="1.2.0",
        artifacts=artifacts,
    )
    key = ed25519.Ed25519PrivateKey.generate()
    private, public = root / "release.key", root / "release.pub"
    private.write_text(private_key_pem(key))
    public.write_text(public_key_pem(key))
    report, vsa = root / "report.dsse.json", root / "vsa.dsse.json"
    result = _invoke(
        "evaluate",
        str(bundle),
        "--stage",
        "production",
        "--config",
        str(config),
        "--format",
        "json",
        "--report",
        str(report),
        "--sign-key",
        str(private),
        "--vsa",
        str(vsa),
    )
    assert report.exists(), result.output
    return Signed(root, bundle, other, private, public, report, vsa, result.stdout, config)


def _verify(
    signed: Signed, raw: bytes | None = None, *, bundle: Path | None = None, key: Path | None = None
) -> None:
    path = signed.report
    if raw is not None:
        path = signed.root / "candidate.json"
        path.write_bytes(raw)
    public = load_public_key((key or signed.public).read_bytes())
    verify_report(path, keys=[public], bundle=bundle)


def _resign(signed: Signed, statement: dict, key: object | None = None) -> bytes:
    signer = KeySigner(key or load_signing_key(signed.private))  # type: ignore[arg-type]
    return signer.sign([canonical_json(statement)])[0]


def _statement(signed: Signed) -> dict:
    envelope = json.loads(signed.report.read_bytes())
    return json.loads(base64.b64decode(envelope["payload"]))


# -- what verifies -------------------------------------------------------------------------


def test_signed_report_from_a_bundle_verifies_with_gatecheck_and_securesystemslib(
    signed: Signed,
) -> None:
    result = _invoke(
        "report",
        "verify",
        str(signed.report),
        "--key",
        str(signed.public),
        "--bundle",
        str(signed.bundle),
    )
    assert result.exit_code == 0, result.output
    assert "verified: gatecheck report for shop@1.2.0, stage production" in result.stdout
    assert f"signed by key {key_id(load_public_key(signed.public.read_bytes()))}" in result.stdout
    assert f"subject shop.whl {ARTIFACT}" in result.stdout
    assert "is the report's bundle" in result.stdout

    public = load_public_key(signed.public.read_bytes())
    sslib = SslibEnvelope.from_dict(json.loads(signed.report.read_bytes()))
    assert list(sslib.verify([SSlibKey.from_crypto(public, keyid=key_id(public))], 1)) == [
        key_id(public)
    ]

    statement = _statement(signed)
    assert statement["_type"] == "https://in-toto.io/Statement/v1"
    assert statement["predicateType"] == PREDICATE_TYPE == "https://gatecheck.dev/report/v1"
    manifest = json.loads((signed.bundle / "manifest.json").read_bytes())
    assert statement["subject"] == [
        {"name": "shop.whl", "digest": {"sha256": "c3" * 32}},
        {"name": "bundle-manifest", "digest": {"sha256": manifest["digest"].split(":")[1]}},
    ]
    # The signed predicate is the very report evaluate printed.
    printed = json.loads(signed.stdout)
    assert statement["predicate"] == printed
    assert (
        signed.report.read_bytes() == canonical_json(json.loads(signed.report.read_bytes())) + b"\n"
    )


def test_signed_report_verifies_against_the_packed_bundle_archive(signed: Signed) -> None:
    archive = signed.root / "bundle.tar.gz"
    assert _invoke("bundle", "pack", str(signed.bundle), "-o", str(archive)).exit_code == 0
    _verify(signed, bundle=archive)
    other = signed.root / "other.tar.gz"
    assert _invoke("bundle", "pack", str(signed.other_bundle), "-o", str(other)).exit_code == 0
    with pytest.raises(VerificationFailure, match="is not the bundle this report was made from"):
        _verify(signed, bundle=other)


def test_vsa_is_a_signed_slsa_verification_summary_of_the_release_artifacts(
    signed: Signed,
) -> None:
    public = load_public_key(signed.public.read_bytes())
    payload_type, payload, _ = verify_envelope(signed.vsa.read_bytes(), [public])
    assert payload_type == PAYLOAD_TYPE
    vsa = json.loads(payload)
    report = json.loads(signed.stdout)
    assert vsa["predicateType"] == VSA_PREDICATE_TYPE
    assert vsa["subject"] == [{"name": "shop.whl", "digest": {"sha256": "c3" * 32}}]
    predicate = vsa["predicate"]
    assert predicate["verificationResult"] == (
        "PASSED" if report["decision"] == "pass" else "FAILED"
    )
    assert predicate["policy"]["digest"] == {"sha256": report["policy_digest"].split(":")[1]}
    assert predicate["resourceUri"] == "pkg:generic/shop@1.2.0"
    assert predicate["timeVerified"] == report["created_at"]
    assert {"uri": "manifest.json", "digest": {"sha256": report["bundle_digest"][7:]}} in (
        predicate["inputAttestations"]
    )


def test_ecdsa_p256_report_with_encrypted_key_verifies_with_gatecheck_and_securesystemslib(
    signed: Signed, tmp_path: Path
) -> None:
    env = {"RELEASE_KEY_PASS": "correct horse"}
    made = _invoke(
        "keys",
        "generate",
        "--type",
        "ecdsa-p256",
        "--passphrase-env",
        "RELEASE_KEY_PASS",
        "-o",
        str(tmp_path / "p256"),
        env=env,
    )
    assert made.exit_code == 0, made.output
    report = tmp_path / "report.json"
    args = [
        "evaluate",
        str(signed.bundle),
        "--stage",
        "production",
        "--config",
        str(signed.config),
        "--report",
        str(report),
        "--sign-key",
        str(tmp_path / "p256.key"),
    ]
    refused = _invoke(*args)
    assert refused.exit_code == 2 and "encrypted" in refused.stderr and not report.exists()
    _invoke(*args, "--sign-key-passphrase-env", "RELEASE_KEY_PASS", env=env)
    verified = _invoke(
        "report",
        "verify",
        str(report),
        "--key",
        str(tmp_path / "p256.pub"),
        "--bundle",
        str(signed.bundle),
    )
    assert verified.exit_code == 0, verified.output
    assert "(ecdsa-p256)" in verified.stdout
    public = load_public_key((tmp_path / "p256.pub").read_bytes())
    sslib = SslibEnvelope.from_dict(json.loads(report.read_bytes()))
    assert sslib.verify([SSlibKey.from_crypto(public, keyid=key_id(public))], 1)


# -- single-byte changes -------------------------------------------------------------------


def _positions(length: int, count: int) -> list[int]:
    step = max(1, length // count)
    return sorted({*range(0, length, step), length - 1, length - 2})


def test_any_single_byte_change_to_the_envelope_is_rejected(signed: Signed) -> None:
    raw = signed.report.read_bytes()
    _verify(signed, raw)  # the unchanged bytes verify through the same path
    positions = _positions(len(raw), 90)
    # Also the unsigned parts DSSE leaves malleable: the keyid and the base64 tails.
    sig_end = raw.index(b'"', raw.index(b'"sig":"') + 7)
    positions += [raw.index(b'"keyid":"') + 10, sig_end - 3, raw.index(b'","payloadType"') - 1]
    accepted = []
    for position in positions:
        for flip in (0x01, 0x20):
            changed = bytearray(raw)
            changed[position] ^= flip
            try:
                _verify(signed, bytes(changed))
            except VerificationFailure:
                continue
            accepted.append((position, flip))
    assert accepted == [], f"changed envelopes that still verified: {accepted}"
    assert len(positions) >= 90


def _flip_spare_bit(text: str) -> str:
    """The same bytes in base64 spelled differently: flip an unused low bit of the last digit."""
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    data = text.rstrip("=")
    assert len(text) - len(data) == 2  # 64-byte signatures: 4 spare bits in the last digit
    changed = data[:-1] + alphabet[alphabet.index(data[-1]) ^ 1] + "=="
    assert base64.b64decode(changed) == base64.b64decode(text)
    return changed


def test_envelope_spelling_variants_that_dsse_would_accept_are_rejected(signed: Signed) -> None:
    raw = signed.report.read_bytes()
    document = json.loads(raw)
    variants = {
        "trailing space": raw[:-1] + b" ",
        "pretty printed": json.dumps(document, indent=1).encode(),
        "url-safe base64": canonical_json(
            {**document, "payload": document["payload"].replace("+", "-").replace("/", "_")}
        )
        if ("+" in document["payload"] or "/" in document["payload"])
        else b"{",
        "unpadded base64": canonical_json(
            {
                **document,
                "signatures": [
                    {
                        **document["signatures"][0],
                        "sig": document["signatures"][0]["sig"].rstrip("="),
                    }
                ],
            }
        ),
        "extra field": canonical_json({**document, "note": "x"}),
        "spare base64 bits": canonical_json(
            {
                **document,
                "signatures": [
                    {
                        **document["signatures"][0],
                        "sig": _flip_spare_bit(document["signatures"][0]["sig"]),
                    }
                ],
            }
        ),
    }
    for name, variant in variants.items():
        with pytest.raises(VerificationFailure):
            _verify(signed, variant)
        assert variant != raw, name


def test_any_single_byte_change_to_the_bundle_is_rejected(signed: Signed, tmp_path: Path) -> None:
    bundle = tmp_path / "bundle"
    shutil.copytree(signed.bundle, bundle)
    _verify(signed, bundle=bundle)
    files = sorted(p for p in bundle.rglob("*") if p.is_file())
    assert len(files) == 3  # manifest, release manifest, JUnit report
    accepted = []
    checked = 0
    for path in files:
        original = path.read_bytes()
        for position in _positions(len(original), 25):
            changed = bytearray(original)
            changed[position] ^= 0x01
            path.write_bytes(bytes(changed))
            checked += 1
            try:
                _verify(signed, bundle=bundle)
            except VerificationFailure:
                continue
            finally:
                path.write_bytes(original)
            accepted.append((path.name, position))
    assert accepted == [], f"changed bundles that still verified: {accepted}"
    assert checked >= 60
    _verify(signed, bundle=bundle)


def test_any_single_byte_change_to_the_packed_bundle_archive_is_rejected(
    signed: Signed, tmp_path: Path
) -> None:
    archive = tmp_path / "bundle.tar.gz"
    assert _invoke("bundle", "pack", str(signed.bundle), "-o", str(archive)).exit_code == 0
    raw = archive.read_bytes()
    accepted = []
    # Header (mtime, flags, OS), compressed stream, and the CRC/length trailer.
    for position in sorted({*range(10), *_positions(len(raw), 40), *range(len(raw) - 8, len(raw))}):
        changed = bytearray(raw)
        changed[position] ^= 0x01
        archive.write_bytes(bytes(changed))
        try:
            _verify(signed, bundle=archive)
        except VerificationFailure:
            continue
        accepted.append(position)
    assert accepted == [], f"changed archives that still verified: {accepted}"


def test_manifest_whitespace_change_the_digest_cannot_see_is_rejected(
    signed: Signed, tmp_path: Path
) -> None:
    bundle = tmp_path / "bundle"
    shutil.copytree(signed.bundle, bundle)
    manifest = bundle / "manifest.json"
    raw = manifest.read_bytes()
    assert raw.endswith(b"}\n")
    manifest.write_bytes(raw[:-1] + b" ")  # same JSON value, so the same manifest digest
    with pytest.raises(VerificationFailure, match="not in the canonical form it was sealed in"):
        _verify(signed, bundle=bundle)


# -- rejected, each with its reason ----------------------------------------------------------


def test_wrong_key_is_rejected(signed: Signed, tmp_path: Path) -> None:
    other = tmp_path / "other.pub"
    other.write_text(public_key_pem(ed25519.Ed25519PrivateKey.generate()))
    result = _invoke("report", "verify", str(signed.report), "--key", str(other))
    assert result.exit_code == 1
    assert "report rejected" in result.stderr
    assert "does not verify with the trusted key(s)" in result.stderr


def test_one_changed_payload_byte_is_rejected(signed: Signed) -> None:
    document = json.loads(signed.report.read_bytes())
    payload = bytearray(base64.b64decode(document["payload"]))
    payload[payload.index(b'"decision":"') + 12] ^= 0x01
    document["payload"] = base64.b64encode(bytes(payload)).decode()
    with pytest.raises(VerificationFailure, match="signature does not verify"):
        _verify(signed, canonical_json(document) + b"\n")


def test_swapped_subject_is_rejected_even_when_signed_by_the_trusted_key(signed: Signed) -> None:
    statement = _statement(signed)
    statement["subject"][0]["digest"] = statement["subject"][1]["digest"]
    with pytest.raises(VerificationFailure, match="subjects do not match the report"):
        _verify(signed, _resign(signed, statement))


def test_report_verified_against_another_bundle_is_rejected(signed: Signed) -> None:
    result = _invoke(
        "report",
        "verify",
        str(signed.report),
        "--key",
        str(signed.public),
        "--bundle",
        str(signed.other_bundle),
    )
    assert result.exit_code == 1
    assert "is not the bundle this report was made from" in result.stderr


def test_truncated_envelope_is_rejected(signed: Signed) -> None:
    raw = signed.report.read_bytes()
    with pytest.raises(VerificationFailure, match="not valid JSON.*truncated"):
        _verify(signed, raw[: len(raw) // 2])


def test_unknown_predicate_type_is_rejected_even_when_signed_by_the_trusted_key(
    signed: Signed,
) -> None:
    statement = _statement(signed)
    statement["predicateType"] = "https://slsa.dev/provenance/v1"
    with pytest.raises(VerificationFailure, match="unknown predicate type"):
        _verify(signed, _resign(signed, statement))


def test_signature_from_an_untrusted_key_is_rejected(signed: Signed) -> None:
    statement = _statement(signed)
    statement["predicate"]["decision"] = "pass"
    attacker = ed25519.Ed25519PrivateKey.generate()
    forged = _resign(signed, statement, attacker)
    with pytest.raises(VerificationFailure, match="another \\(untrusted\\) key") as info:
        _verify(signed, forged)
    assert key_id(attacker) in str(info.value)


def test_keyid_naming_another_key_is_rejected(signed: Signed) -> None:
    document = json.loads(signed.report.read_bytes())
    document["signatures"][0]["keyid"] = "0" * 64
    with pytest.raises(VerificationFailure, match="does not name the key that verified"):
        _verify(signed, canonical_json(document) + b"\n")


def test_unsigned_report_is_rejected_by_verify_but_shown(signed: Signed, tmp_path: Path) -> None:
    plain = tmp_path / "report.json"
    plain.write_text(signed.stdout)
    result = _invoke("report", "verify", str(plain), "--key", str(signed.public))
    assert result.exit_code == 1 and "unsigned report" in result.stderr
    shown = _invoke("report", "show", str(signed.report))
    assert shown.exit_code == 0
    assert "shop@1.2.0" in shown.stdout
    assert "signature NOT verified" in shown.stderr


def test_verify_needs_exactly_one_kind_of_trust(signed: Signed) -> None:
    neither = _invoke("report", "verify", str(signed.report))
    both = _invoke(
        "report",
        "verify",
        str(signed.report),
        "--key",
        str(signed.public),
        "--cert-identity",
        BEACON,
        "--cert-oidc-issuer",
        GITHUB_ISSUER,
    )
    assert neither.exit_code == 2 and both.exit_code == 2
    assert "give either --key PUB" in neither.stderr


# -- Sigstore bundles, offline, against the roots sigstore-python ships ----------------------


def test_real_sigstore_dsse_bundle_verifies_offline_for_its_identity_and_issuer() -> None:
    raw = (SIGSTORE / "conformance-a.txt.prod-dsse-slsa-v1.sigstore.json").read_bytes()
    payload_type, payload, signers = verify_sigstore_bundle(
        raw, identity=BEACON, issuer=GITHUB_ISSUER
    )
    assert payload_type == PAYLOAD_TYPE
    assert json.loads(payload)["predicateType"] == "https://slsa.dev/provenance/v1"
    assert signers == [f"{BEACON} ({GITHUB_ISSUER}) under the public-good root"]
    # It is signed, but it is no gatecheck report.
    with pytest.raises(VerificationFailure, match="unknown predicate type"):
        check_statement(payload_type, payload)


def test_real_sigstore_bundle_is_rejected_for_a_wrong_identity_or_issuer() -> None:
    path = SIGSTORE / "conformance-a.txt.prod-dsse-slsa-v1.sigstore.json"
    raw = path.read_bytes()
    with pytest.raises(VerificationFailure, match="SANs do not match"):
        verify_sigstore_bundle(raw, identity=BEACON + "x", issuer=GITHUB_ISSUER)
    with pytest.raises(VerificationFailure, match="OIDCIssuer does not match"):
        verify_sigstore_bundle(raw, identity=BEACON, issuer="https://accounts.google.com")
    result = _invoke(
        "report",
        "verify",
        str(path),
        "--cert-identity",
        BEACON,
        "--cert-oidc-issuer",
        "https://accounts.google.com",
    )
    assert result.exit_code == 1 and "OIDCIssuer does not match" in result.stderr
    result = _invoke(
        "report",
        "verify",
        str(path),
        "--cert-identity",
        BEACON,
        "--cert-oidc-issuer",
        GITHUB_ISSUER,
    )
    assert result.exit_code == 1 and "unknown predicate type" in result.stderr


def test_staging_sigstore_bundle_verifies_only_against_the_staging_root() -> None:
    raw = (SIGSTORE / "conformance-a.txt.staging-rekor2-dsse.sigstore.json").read_bytes()
    verify_sigstore_bundle(raw, identity=BEACON, issuer=GITHUB_ISSUER, trusted_roots=["staging"])
    with pytest.raises(VerificationFailure, match="does not verify"):
        verify_sigstore_bundle(raw, identity=BEACON, issuer=GITHUB_ISSUER)


def test_changed_payload_in_a_real_sigstore_bundle_is_rejected() -> None:
    bundle = json.loads(
        (SIGSTORE / "conformance-a.txt.prod-dsse-slsa-v1.sigstore.json").read_bytes()
    )
    payload = bytearray(base64.b64decode(bundle["dsseEnvelope"]["payload"]))
    payload[payload.index(b"a.txt")] ^= 0x01
    bundle["dsseEnvelope"]["payload"] = base64.b64encode(bytes(payload)).decode()
    with pytest.raises(VerificationFailure, match="does not verify"):
        verify_sigstore_bundle(json.dumps(bundle).encode(), identity=BEACON, issuer=GITHUB_ISSUER)


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("conformance-a.txt.prod-hashedrekord-v0.3.sigstore.json", "signs an artifact"),
        ("conformance-a.txt.signature-mismatch-EXPECT-FAIL.sigstore.json", "signs an artifact"),
        ("npm-sigstore-1.3.0-provenance.v0.1.sigstore.json", "does not verify|cannot load"),
    ],
)
def test_sigstore_bundles_that_are_no_signed_report_are_rejected(name: str, reason: str) -> None:
    raw = (SIGSTORE / name).read_bytes()
    identity = (
        "https://github.com/sigstore/sigstore-js/.github/workflows/release.yml@refs/heads/main"
    )
    with pytest.raises(VerificationFailure, match=reason):
        verify_sigstore_bundle(
            raw, identity=BEACON if "conformance" in name else identity, issuer=GITHUB_ISSUER
        )


def test_envelope_signature_primitives_agree_with_the_shared_dsse_module(signed: Signed) -> None:
    envelope = dsse.Envelope.from_json(signed.report.read_bytes())
    public = load_public_key(signed.public.read_bytes())
    assert [v.key_id for v in dsse.verify(envelope, [public])] == [key_id(public)]
