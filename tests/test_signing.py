"""Signing reports: key generation, DSSE interoperability with securesystemslib, keyless."""

from __future__ import annotations

import base64
import json
import os
import socket
import stat
import time
from pathlib import Path

import jwt
import pytest
from click.testing import CliRunner
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from securesystemslib.dsse import Envelope as SslibEnvelope
from securesystemslib.exceptions import VerificationError as SslibVerificationError
from securesystemslib.signer import CryptoSigner, SSlibKey
from trust_support import make_signed_bundle

from gatecheck.cli.main import cli
from gatecheck.engine.attestation import PAYLOAD_TYPE, report_payload
from gatecheck.engine.report_signatures import CURVE_ORDERS
from gatecheck.engine.signing import KeySigner, SigningError, load_signing_key
from gatecheck.engine.verification import VerificationFailure, check_statement, verify_envelope
from gatecheck.evidence.signing.keys import PrivateKey, key_id, load_public_key

DIGEST = "sha256:" + "5a" * 32
REPORT = {
    "report_type": "https://gatecheck.dev/report/v1",
    "decision": "pass",
    "stage": "production",
    "effective_time": "2026-01-31T12:00:00Z",
    "created_at": "2026-01-31T12:00:01Z",
    "release": {
        "name": "shop",
        "version": "1.2.0",
        "artifacts": [{"name": "shop.whl", "digest": DIGEST}],
    },
    "bundle_digest": "sha256:" + "b1" * 32,
    "results": [{"control": "GC-ART-001", "status": "pass"}],
}


def _runner() -> CliRunner:
    return CliRunner()


def _generate(tmp_path: Path, *args: str, env: dict[str, str] | None = None) -> tuple[str, Path]:
    prefix = tmp_path / "signing"
    result = _runner().invoke(cli, ["keys", "generate", *args, "-o", str(prefix)], env=env)
    assert result.exit_code == 0, result.output
    return result.stdout.strip(), prefix


def _sslib_key(public_pem: bytes) -> SSlibKey:
    public = load_public_key(public_pem)
    # securesystemslib matches signatures to keys by keyid; gatecheck's key id is the DSSE keyid.
    return SSlibKey.from_crypto(public, keyid=key_id(public))


@pytest.mark.parametrize("key_type", ["ed25519", "ecdsa-p256"])
def test_keys_generate_writes_private_key_0600_and_prints_its_key_id(
    tmp_path: Path, key_type: str
) -> None:
    printed, prefix = _generate(tmp_path, "--type", key_type)
    private, public = Path(f"{prefix}.key"), Path(f"{prefix}.pub")
    assert stat.S_IMODE(private.stat().st_mode) == 0o600
    key = load_signing_key(private)
    expected = ed25519.Ed25519PrivateKey if key_type == "ed25519" else ec.EllipticCurvePrivateKey
    assert isinstance(key, expected)
    assert printed == key_id(key) == key_id(load_public_key(public.read_bytes()))


def test_keys_generate_refuses_to_overwrite_an_existing_key(tmp_path: Path) -> None:
    _, prefix = _generate(tmp_path)
    before = Path(f"{prefix}.key").read_bytes()
    result = _runner().invoke(cli, ["keys", "generate", "-o", str(prefix)])
    assert result.exit_code == 2
    assert "exists" in result.stderr
    assert Path(f"{prefix}.key").read_bytes() == before


def test_encrypted_key_needs_its_passphrase_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, prefix = _generate(tmp_path, "--passphrase-env", "KEY_PASS", env={"KEY_PASS": "s3cret"})
    private = Path(f"{prefix}.key")
    assert b"ENCRYPTED" in private.read_bytes()
    with pytest.raises(SigningError, match="encrypted; name the environment variable"):
        load_signing_key(private)
    monkeypatch.setenv("GC_TEST_PASS", "wrong")
    with pytest.raises(SigningError, match="wrong password"):
        load_signing_key(private, passphrase_env="GC_TEST_PASS")
    monkeypatch.delenv("GC_TEST_PASS")
    with pytest.raises(SigningError, match="GC_TEST_PASS is unset"):
        load_signing_key(private, passphrase_env="GC_TEST_PASS")
    monkeypatch.setenv("GC_TEST_PASS", "s3cret")
    key = load_signing_key(private, passphrase_env="GC_TEST_PASS")
    assert isinstance(key, ed25519.Ed25519PrivateKey)


@pytest.mark.parametrize("key_type", ["ed25519", "ecdsa-p256"])
def test_securesystemslib_verifies_a_gatecheck_envelope_and_rejects_a_changed_one(
    tmp_path: Path, key_type: str
) -> None:
    _, prefix = _generate(tmp_path, "--type", key_type)
    signer = KeySigner(load_signing_key(Path(f"{prefix}.key")))
    (signed,) = signer.sign([report_payload(REPORT)])
    sslib_key = _sslib_key(Path(f"{prefix}.pub").read_bytes())

    envelope = SslibEnvelope.from_dict(json.loads(signed))
    accepted = envelope.verify([sslib_key], 1)
    assert list(accepted) == [signer.key_id]
    assert envelope.payload_type == PAYLOAD_TYPE
    statement = json.loads(envelope.pae().split(b" ", 4)[4])
    assert statement["predicateType"] == "https://gatecheck.dev/report/v1"

    tampered = json.loads(signed)
    payload = bytearray(base64.b64decode(tampered["payload"]))
    payload[payload.index(b'"pass"') + 1] ^= 0x01  # "pass" -> "qass"
    tampered["payload"] = base64.b64encode(bytes(payload)).decode()
    with pytest.raises(SslibVerificationError):
        SslibEnvelope.from_dict(tampered).verify([sslib_key], 1)


def _sslib_signed(private: PrivateKey) -> tuple[bytes, bytes]:
    """(file bytes in gatecheck's form, signature) of an envelope securesystemslib signed."""
    public = private.public_key()
    sslib_signer = CryptoSigner(private, SSlibKey.from_crypto(public, keyid=key_id(public)))
    envelope = SslibEnvelope(
        payload=report_payload(REPORT), payload_type=PAYLOAD_TYPE, signatures={}
    )
    envelope.sign(sslib_signer)
    # gatecheck reads report envelopes in the form it writes: canonical JSON plus a newline.
    document = envelope.to_dict()
    raw = json.dumps(document, sort_keys=True, separators=(",", ":")).encode() + b"\n"
    return raw, base64.b64decode(document["signatures"][0]["sig"])


@pytest.mark.parametrize("key_type", ["ed25519", "ecdsa-p256"])
def test_gatecheck_verifies_an_envelope_securesystemslib_signed(
    tmp_path: Path, key_type: str
) -> None:
    private = (
        ed25519.Ed25519PrivateKey.generate()
        if key_type == "ed25519"
        else ec.generate_private_key(ec.SECP256R1())
    )
    public = private.public_key()
    # securesystemslib signs ECDSA with cryptography, whose s is high half the time: such a
    # signature is a form gatecheck never writes (see the next test), so take a low-S one.
    raw = (
        _sslib_signed(private)[0]
        if isinstance(private, ed25519.Ed25519PrivateKey)
        else _sslib_signed_ecdsa(private, high_s=False)
    )

    payload_type, payload, signers = verify_envelope(raw, [public])
    assert signers == [f"key {key_id(public)} ({key_type})"]
    _, report = check_statement(payload_type, payload)
    assert report["release"]["name"] == "shop"

    other = ed25519.Ed25519PrivateKey.generate().public_key()
    with pytest.raises(VerificationFailure, match="does not verify with the trusted key"):
        verify_envelope(raw, [other])
    pretty = json.dumps(json.loads(raw), indent=2).encode()
    for variant in (pretty, raw[:-1]):
        with pytest.raises(VerificationFailure, match="not in the canonical form"):
            verify_envelope(variant, [public])


def _is_high_s(der: bytes) -> bool:
    return decode_dss_signature(der)[1] > CURVE_ORDERS["secp256r1"] // 2


def _sslib_signed_ecdsa(private: ec.EllipticCurvePrivateKey, *, high_s: bool) -> bytes:
    """An envelope securesystemslib signed whose s is in the half asked for (each try: 1/2)."""
    for _ in range(64):
        raw, sig = _sslib_signed(private)
        if _is_high_s(sig) == high_s:
            return raw
    raise AssertionError(f"64 securesystemslib signatures, none with high_s={high_s}")


def test_securesystemslib_high_s_ecdsa_envelope_is_rejected_and_gatecheck_signs_low_s() -> None:
    private = ec.generate_private_key(ec.SECP256R1())
    raw = _sslib_signed_ecdsa(private, high_s=True)
    with pytest.raises(VerificationFailure, match=r"high S value \(s > n/2\)"):
        verify_envelope(raw, [private.public_key()])
    # gatecheck's own signatures are low-S every time (each 50% likely high before normalizing).
    signer = KeySigner(private)
    for _ in range(32):
        (signed,) = signer.sign([report_payload(REPORT)])
        sig = base64.b64decode(json.loads(signed)["signatures"][0]["sig"])
        assert not _is_high_s(sig)
        assert verify_envelope(signed, [private.public_key()])[2] == [
            f"key {key_id(private)} (ecdsa-p256)"
        ]


# -- keyless ---------------------------------------------------------------------------------

_CI_VARIABLES = (
    "GITHUB_ACTIONS",
    "GITLAB_CI",
    "BUILDKITE",
    "CIRCLECI",
    "ACTIONS_ID_TOKEN_REQUEST_URL",
    "ACTIONS_ID_TOKEN_REQUEST_TOKEN",
)


def _no_identity_env() -> dict[str, str | None]:
    return {"SIGSTORE_ID_TOKEN": None, **dict.fromkeys(_CI_VARIABLES)}


@pytest.fixture(scope="module")
def signed_bundle(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A bundle whose release manifest its producer signed, and the config trusting it: at
    production the report and VSA name the release's artifacts."""
    root, _, config = make_signed_bundle(tmp_path_factory.mktemp("signing") / "bundle", [])
    return root, config


@pytest.fixture(scope="module")
def bundle(signed_bundle: tuple[Path, Path]) -> Path:
    return signed_bundle[0]


def test_sigstore_signing_without_an_identity_token_fails_with_exit_2_and_writes_nothing(
    tmp_path: Path, bundle: Path
) -> None:
    report = tmp_path / "report.sigstore.json"
    result = _runner().invoke(
        cli,
        [
            "evaluate",
            str(bundle),
            "--stage",
            "production",
            "--report",
            str(report),
            "--sign",
            "sigstore",
        ],
        env=_no_identity_env(),
    )
    assert result.exit_code == 2, result.output
    assert "needs an OIDC identity token: set SIGSTORE_ID_TOKEN" in result.stderr
    assert not report.exists()
    assert list(tmp_path.iterdir()) == []


def _unreachable_trust_config(tmp_path: Path) -> Path:
    """A client trust config whose Fulcio, Rekor and TSA are a closed port on this machine."""
    from importlib import resources

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed again when this block ends
    store = resources.files("sigstore._store") / "https%3A%2F%2Ftuf-repo-cdn.sigstore.dev"
    signing = json.loads((store / "signing_config.v0.2.json").read_text())
    for service in ("caUrls", "rekorTlogUrls", "tsaUrls", "oidcUrls"):
        for entry in signing[service]:
            entry["url"] = f"http://127.0.0.1:{port}"
    config = {
        "mediaType": "application/vnd.dev.sigstore.clienttrustconfig.v0.1+json",
        "trustedRoot": json.loads((store / "trusted_root.json").read_text()),
        "signingConfig": signing,
    }
    path = tmp_path / "trust-config.json"
    path.write_text(json.dumps(config))
    return path


def _unsigned_identity_token() -> str:
    now = int(time.time())
    claims = {
        "iss": "https://issuer.test",
        "sub": "release-bot@example.test",
        "aud": "sigstore",
        "iat": now,
        "exp": now + 600,
    }
    return jwt.encode(claims, "not-a-real-key-" * 4, algorithm="HS256")


def test_sigstore_signing_with_fulcio_unreachable_fails_with_exit_2_and_writes_nothing(
    tmp_path: Path, signed_bundle: tuple[Path, Path]
) -> None:
    bundle, config = signed_bundle
    out = tmp_path / "out"
    out.mkdir()
    report, vsa, text = out / "report.sigstore.json", out / "vsa.json", out / "gate.json"
    result = _runner().invoke(
        cli,
        [
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
            "--vsa",
            str(vsa),
            "--output",
            f"json={text}",
            "--sign",
            "sigstore",
        ],
        env={
            **_no_identity_env(),
            "SIGSTORE_ID_TOKEN": _unsigned_identity_token(),
            "GATECHECK_SIGSTORE_TRUST_CONFIG": str(_unreachable_trust_config(tmp_path)),
        },
    )
    assert result.exit_code == 2, result.output
    assert "Sigstore keyless signing failed" in result.stderr
    assert "needs network access to Fulcio and Rekor" in result.stderr
    assert not report.exists() and not vsa.exists()
    # The other outputs carry the error decision, never the evaluation's own decision.
    assert json.loads(result.stdout)["decision"] == "error"
    assert json.loads(text.read_text())["decision"] == "error"


def _online_identity() -> str | None:
    if os.environ.get("SIGSTORE_ID_TOKEN"):
        return os.environ["SIGSTORE_ID_TOKEN"]
    if os.environ.get("ACTIONS_ID_TOKEN_REQUEST_URL") and os.environ.get("GATECHECK_TEST_ONLINE"):
        from sigstore.oidc import detect_credential

        return detect_credential()
    return None


def _fulcio_reachable() -> bool:
    try:
        socket.create_connection(("fulcio.sigstore.dev", 443), timeout=3).close()
        return True
    except OSError:
        return False


@pytest.mark.online
def test_sigstore_keyless_report_signs_and_verifies_for_the_token_identity(
    tmp_path: Path, bundle: Path
) -> None:
    token = _online_identity()
    if not token:
        pytest.skip(
            "keyless signing needs an OIDC identity token (SIGSTORE_ID_TOKEN, or GitHub "
            "Actions ambient credentials with GATECHECK_TEST_ONLINE=1)"
        )
    if not _fulcio_reachable():
        pytest.skip("keyless signing needs network access to fulcio.sigstore.dev and Rekor")
    from sigstore.oidc import IdentityToken

    identity = IdentityToken(token)
    report = tmp_path / "report.sigstore.json"
    result = _runner().invoke(
        cli,
        ["evaluate", str(bundle), "--stage", "dev", "--report", str(report), "--sign", "sigstore"],
        env={"SIGSTORE_ID_TOKEN": token},
    )
    assert result.exit_code in (0, 1), result.output
    verify = [
        "report",
        "verify",
        str(report),
        "--bundle",
        str(bundle),
        "--cert-identity",
        identity.identity,
        "--cert-oidc-issuer",
        identity.federated_issuer,
    ]
    assert _runner().invoke(cli, verify).exit_code == 0
    wrong = verify[:-1] + ["https://issuer.invalid"]
    assert _runner().invoke(cli, wrong).exit_code == 1
