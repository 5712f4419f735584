"""Signature evidence: Sigstore bundles verified offline with sigstore-python, DSSE envelopes
and detached signatures verified with keys made here by `cryptography`.

Corpus bundles and their expected outcomes are listed in tests/data/SOURCES.md.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

from gatecheck.errors import ConfigError, EvidenceError
from gatecheck.evidence import registry
from gatecheck.evidence.interface import Document, ParseContext
from gatecheck.evidence.signing import dsse, keys

DATA = Path(__file__).parent / "data"
SIGSTORE = DATA / "sigstore"
INTOTO = DATA / "intoto"
PUBLIC_GOOD = str(SIGSTORE / "trusted_root.public-good.json")
GO_EXAMPLE = str(SIGSTORE / "trusted_root.public-good.sigstore-go-example.json")
STAGING = str(SIGSTORE / "trusted_root.staging.json")

BEACON = (
    "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/"
    ".github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main"
)
GITHUB_ACTIONS = "https://token.actions.githubusercontent.com"
A_TXT_SHA256 = "a0cfc71271d6e278e57cd332ff957c3f7043fdda354c4cbb190a30d56efa01bf"


def sha256_file(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def parse_signature(
    source: Path | bytes,
    *,
    name: str | None = None,
    config: dict[str, Any] | None = None,
    release: dict[str, Any] | None = None,
    labels: dict[str, str] | None = None,
) -> dict[str, Any]:
    """Detect and parse as the evidence pipeline does, forcing the signature family."""
    if isinstance(source, Path):
        doc = Document.from_path(source, name=name)
    else:
        doc = Document(source, name or "evidence.json")
    parser, fmt = registry.detect(doc, "signature")
    ctx = ParseContext(labels=labels or {}, config=config or {}, release=release or {})
    return parser.parse(doc, fmt, ctx)


def subject_digests(facts: dict[str, Any]) -> list[str | None]:
    return [s["digest"].get("sha256") for s in facts["subjects"]]


# -- Sigstore bundles (keyless) ----------------------------------------------------------


@pytest.mark.parametrize(
    ("bundle", "root", "artifact", "identity", "issuer", "time_source"),
    [
        (
            "conformance-a.txt.prod-hashedrekord-v0.3.sigstore.json",
            PUBLIC_GOOD,
            "conformance-a.txt",
            BEACON,
            GITHUB_ACTIONS,
            "transparency-log",
        ),
        (
            "conformance-a.txt.prod-hashedrekord-v0.3.sigstore.json",
            GO_EXAMPLE,
            "conformance-a.txt",
            BEACON,
            GITHUB_ACTIONS,
            "transparency-log",
        ),
        (
            "conformance-a.txt.prod-dsse-slsa-v1.sigstore.json",
            PUBLIC_GOOD,
            "conformance-a.txt",
            BEACON,
            GITHUB_ACTIONS,
            "transparency-log",
        ),
        (
            "conformance-a.txt.staging-rekor2-dsse.sigstore.json",
            STAGING,
            "conformance-a.txt",
            BEACON,
            GITHUB_ACTIONS,
            "timestamp-authority",
        ),
        (
            "staging-rekor-v2.txt.sigstore.json",
            STAGING,
            "staging-rekor-v2.txt",
            "jku@goto.fi",
            "https://github.com/login/oauth",
            "timestamp-authority",
        ),
        (
            "staging-tsa-bundle.txt.sigstore",
            STAGING,
            "staging-tsa-bundle.txt",
            "alexis.challande@trailofbits.com",
            "https://accounts.google.com",
            "transparency-log",
        ),
    ],
)
def test_sigstore_bundle_verifies_offline_and_covers_its_artifact(
    bundle: str, root: str, artifact: str, identity: str, issuer: str, time_source: str
) -> None:
    facts = parse_signature(SIGSTORE / bundle, config={"sigstore_trusted_root": root})
    assert facts["kind"] == "sigstore-bundle"
    assert facts["verified"] is True, facts["reason"]
    assert facts["reason"] is None
    assert facts["signer"] == {
        "identity": identity,
        "issuer": issuer,
        "root": root,
        "root_sha256": sha256_file(Path(root)),
    }
    assert sha256_file(SIGSTORE / artifact) in subject_digests(facts)
    assert facts["trusted_root"]["name"] == root
    assert facts["signed_at"] is not None and facts["signed_at"].endswith("Z")
    assert time_source in {t["source"] for t in facts["timestamps"]}
    assert facts["media_type"].startswith("application/vnd.dev.sigstore.bundle")


def test_expired_certificate_is_judged_at_the_log_time_not_today() -> None:
    path = SIGSTORE / "conformance-a.txt.prod-hashedrekord-v0.3.sigstore.json"
    raw = json.loads(path.read_bytes())
    cert = x509.load_der_x509_certificate(
        base64.b64decode(raw["verificationMaterial"]["certificate"]["rawBytes"])
    )
    assert cert.not_valid_after_utc < datetime.now(UTC)  # long expired today
    facts = parse_signature(path, config={"sigstore_trusted_root": PUBLIC_GOOD})
    assert facts["verified"] is True
    signed_at = datetime.fromisoformat(facts["signed_at"].replace("Z", "+00:00"))
    assert cert.not_valid_before_utc <= signed_at <= cert.not_valid_after_utc
    assert facts["log"] == {
        "kind": "hashedrekord",
        "version": "0.0.1",
        "index": 79571823,
        "integrated_time": facts["signed_at"],
    }


def test_the_default_trusted_root_is_the_shipped_public_good_root_only() -> None:
    prod = parse_signature(SIGSTORE / "conformance-a.txt.prod-hashedrekord-v0.3.sigstore.json")
    assert prod["verified"] and prod["trusted_root"] == {
        "name": "public-good",
        "sha256": sha256_file(SIGSTORE / "trusted_root.public-good.json"),
    }
    # Sigstore's staging instance signs for anyone: its bundles verify only where named.
    for bundle in ("staging-rekor-v2.txt.sigstore.json", "staging-tsa-bundle.txt.sigstore"):
        staging = parse_signature(SIGSTORE / bundle)
        assert staging["verified"] is False and "[public-good]" in staging["reason"]
        named = parse_signature(
            SIGSTORE / bundle, config={"sigstore_trusted_root": ["public-good", "staging"]}
        )
        assert named["verified"] and named["trusted_root"]["name"] == "staging"
        assert named["signer"]["root"] == "staging"


@pytest.mark.parametrize(
    ("bundle", "root", "reason"),
    [
        (
            "conformance-a.txt.prod-hashedrekord-v0.3.sigstore.json",
            STAGING,
            "failed to build timestamp certificate chain",
        ),
        ("staging-rekor-v2.txt.sigstore.json", PUBLIC_GOOD, "not enough sources of verified time"),
        (
            "conformance-a.txt.staging-rekor2-dsse.sigstore.json",
            PUBLIC_GOOD,
            "not enough sources of verified time",
        ),
        ("staging-tsa-bundle.txt.sigstore", PUBLIC_GOOD, "certificate chain"),
    ],
)
def test_bundle_from_another_sigstore_instance_does_not_verify(
    bundle: str, root: str, reason: str
) -> None:
    facts = parse_signature(SIGSTORE / bundle, config={"sigstore_trusted_root": root})
    assert facts["verified"] is False
    assert reason in facts["reason"]
    assert facts["trusted_root"] is None and facts["signed_at"] is None


def test_signature_mismatch_bundle_is_unverified() -> None:
    facts = parse_signature(
        SIGSTORE / "conformance-a.txt.signature-mismatch-EXPECT-FAIL.sigstore.json",
        config={"sigstore_trusted_root": [PUBLIC_GOOD, STAGING]},
    )
    assert facts["verified"] is False
    assert "Signature is invalid for input" in facts["reason"]
    # The claimed signer is still recorded for the control's message.
    assert facts["signer"]["identity"] == BEACON


def test_bundle_whose_message_digest_was_swapped_for_a_tampered_artifact_fails() -> None:
    bundle = json.loads(
        (SIGSTORE / "conformance-a.txt.prod-hashedrekord-v0.3.sigstore.json").read_bytes()
    )
    tampered_artifact = (SIGSTORE / "conformance-a.txt").read_bytes() + b"!"
    bundle["messageSignature"]["messageDigest"]["digest"] = base64.b64encode(
        hashlib.sha256(tampered_artifact).digest()
    ).decode()
    facts = parse_signature(
        json.dumps(bundle).encode(), config={"sigstore_trusted_root": PUBLIC_GOOD}
    )
    assert facts["verified"] is False
    assert "invalid" in facts["reason"].lower() or "mismatch" in facts["reason"].lower()


def test_bundle_without_message_digest_is_checked_against_release_artifact_digests() -> None:
    bundle = json.loads(
        (SIGSTORE / "conformance-a.txt.prod-hashedrekord-v0.3.sigstore.json").read_bytes()
    )
    del bundle["messageSignature"]["messageDigest"]
    raw = json.dumps(bundle).encode()
    config = {"sigstore_trusted_root": PUBLIC_GOOD}
    good = {
        "artifacts": [
            {"name": "other", "digest": "sha256:" + "0" * 64},
            {"name": "a.txt", "digest": f"sha256:{A_TXT_SHA256}"},
        ]
    }
    facts = parse_signature(raw, config=config, release=good)
    assert facts["verified"] is True
    assert subject_digests(facts) == [A_TXT_SHA256]

    tampered = hashlib.sha256((SIGSTORE / "conformance-a.txt").read_bytes() + b"x").hexdigest()
    bad = {"artifacts": [{"name": "a.txt", "digest": f"sha256:{tampered}"}]}
    facts = parse_signature(raw, config=config, release=bad)
    assert facts["verified"] is False and facts["subjects"] == []
    assert "Signature is invalid for input" in facts["reason"]


def test_v01_bundle_with_null_inclusion_proof_is_unverified_with_the_refusal_reason() -> None:
    facts = parse_signature(SIGSTORE / "npm-sigstore-1.3.0-provenance.v0.1.sigstore.json")
    assert facts["verified"] is False
    assert facts["reason"].startswith("sigstore-python cannot load this bundle")
    assert "inclusionProof" in facts["reason"]
    assert facts["signer"] == {
        "identity": "https://github.com/sigstore/sigstore-js/.github/workflows/release.yml@refs/heads/main",
        "issuer": GITHUB_ACTIONS,
    }
    assert facts["subjects"][0]["name"] == "pkg:npm/sigstore@1.3.0"
    assert "sha512" in facts["subjects"][0]["digest"]


def test_intoto_002_log_entry_is_unverified_with_the_refusal_reason() -> None:
    facts = parse_signature(INTOTO / "slsa-v1-delegator-generic-v2.1.0.build.slsa")
    assert facts["verified"] is False
    assert "Integrated time only supported for dsse/hashedrekord 0.0.1 types" in facts["reason"]
    assert facts["log"]["kind"] == "intoto" and facts["log"]["version"] == "0.0.2"
    # The statement's subject is still reported (as unverified facts).
    artifact = INTOTO / "gha_delegator-binary-linux-amd64-workflow_dispatch"
    assert subject_digests(facts) == [sha256_file(artifact)]


def test_dsse_bundle_subjects_come_from_the_verified_statement() -> None:
    facts = parse_signature(
        INTOTO / "slsa-v1-github-workflow-bcr-rules_lint-MODULE.bazel.intoto.jsonl",
        config={"sigstore_trusted_root": PUBLIC_GOOD},
    )
    assert facts["verified"] is True
    assert facts["payload_type"] == dsse.PAYLOAD_TYPE_INTOTO
    assert facts["predicate_type"] == "https://slsa.dev/provenance/v1"
    assert facts["subjects"] == [
        {
            "name": "MODULE.bazel",
            "digest": {
                "sha256": "06ce330900a7d6403bc8d88e5dfad6aeeb8ae40179f66bb89e69c8bf6f6b1a0b"
            },
            "pointer": "/dsseEnvelope/payload",
        }
    ]
    assert facts["signer"]["identity"].startswith(
        "https://github.com/bazel-contrib/publish-to-bcr/"
    )


def test_dsse_bundle_with_tampered_payload_is_unverified() -> None:
    bundle = json.loads(
        (SIGSTORE / "conformance-a.txt.prod-dsse-slsa-v1.sigstore.json").read_bytes()
    )
    statement = json.loads(base64.b64decode(bundle["dsseEnvelope"]["payload"]))
    statement["subject"][0]["digest"]["sha256"] = "1" * 64
    bundle["dsseEnvelope"]["payload"] = base64.b64encode(json.dumps(statement).encode()).decode()
    facts = parse_signature(
        json.dumps(bundle).encode(), config={"sigstore_trusted_root": PUBLIC_GOOD}
    )
    assert facts["verified"] is False
    assert subject_digests(facts) == ["1" * 64]


def test_bundle_signed_by_an_untrusted_public_key_is_unverified() -> None:
    doc = json.loads((INTOTO / "npm-sigstore-2.3.1-registry-attestations.json").read_bytes())
    publish_bundle = doc["attestations"][0]["bundle"]
    facts = parse_signature(json.dumps(publish_bundle).encode())
    assert facts["verified"] is False
    assert "no trusted_keys" in facts["reason"]
    assert facts["signer"]["key_hint"] == "SHA256:jl3bwswu80PjjokCgh0o2w5c2U4LhQAE57gj9cz1kzA"


# -- DSSE envelopes signed with keys -----------------------------------------------------


@pytest.fixture(scope="module")
def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(params=["ed25519", "p256", "rsa"])
def private_key(request: pytest.FixtureRequest, rsa_key: rsa.RSAPrivateKey) -> keys.PrivateKey:
    if request.param == "ed25519":
        return ed25519.Ed25519PrivateKey.generate()
    if request.param == "p256":
        return ec.generate_private_key(ec.SECP256R1())
    return rsa_key


def statement(digest: str = A_TXT_SHA256) -> bytes:
    return json.dumps(
        {
            "_type": "https://in-toto.io/Statement/v1",
            "subject": [{"name": "app.tar.gz", "digest": {"sha256": digest}}],
            "predicateType": "https://example.com/release-approval/v1",
            "predicate": {},
        }
    ).encode()


def trust(*private: keys.PrivateKey, alias: str | None = None) -> dict[str, Any]:
    entries = []
    for key in private:
        entry: dict[str, Any] = {"pem": keys.public_key_pem(key)}
        if alias:
            entry["key_id"] = alias
        entries.append(entry)
    return {"trusted_keys": entries}


def test_dsse_signed_with_a_trusted_key_verifies(private_key: keys.PrivateKey) -> None:
    envelope = dsse.sign(statement(), dsse.PAYLOAD_TYPE_INTOTO, private_key)
    facts = parse_signature(envelope.to_json(), config=trust(private_key))
    assert facts["kind"] == "dsse"
    assert facts["verified"] is True, facts["reason"]
    assert facts["signer"]["key_id"] == keys.key_id(private_key)
    assert subject_digests(facts) == [A_TXT_SHA256]
    assert facts["signatures"] == [
        {
            "pointer": "/signatures/0",
            "keyid": keys.key_id(private_key),
            "verified": True,
            "key_id": keys.key_id(private_key),
        }
    ]


def test_dsse_with_one_changed_payload_byte_fails(private_key: keys.PrivateKey) -> None:
    envelope = dsse.sign(statement(), dsse.PAYLOAD_TYPE_INTOTO, private_key)
    changed = statement().replace(b"app.tar.gz", b"app.tar.gy")
    forged = dsse.Envelope(envelope.payload_type, changed, envelope.signatures)
    facts = parse_signature(forged.to_json(), config=trust(private_key))
    assert facts["verified"] is False
    assert "no trusted key verifies" in facts["reason"]


def test_dsse_with_changed_payload_type_fails(private_key: keys.PrivateKey) -> None:
    envelope = dsse.sign(statement(), dsse.PAYLOAD_TYPE_INTOTO, private_key)
    forged = dsse.Envelope("application/json", envelope.payload, envelope.signatures)
    assert dsse.verify(forged, [private_key.public_key()]) == []


def test_dsse_with_the_wrong_key_fails(private_key: keys.PrivateKey) -> None:
    envelope = dsse.sign(statement(), dsse.PAYLOAD_TYPE_INTOTO, private_key)
    other = ec.generate_private_key(ec.SECP256R1())
    facts = parse_signature(envelope.to_json(), config=trust(other))
    assert facts["verified"] is False
    assert facts["signer"]["key_id"] is None
    assert facts["signer"]["key_hint"] == keys.key_id(private_key)


def test_dsse_without_trusted_keys_is_unverified() -> None:
    key = ed25519.Ed25519PrivateKey.generate()
    facts = parse_signature(dsse.sign(statement(), dsse.PAYLOAD_TYPE_INTOTO, key).to_json())
    assert facts["verified"] is False
    assert "no trusted_keys are configured" in facts["reason"]


def test_ecdsa_raw_r_s_signature_verifies_like_der() -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    envelope = dsse.sign(statement(), dsse.PAYLOAD_TYPE_INTOTO, key)
    r, s = decode_dss_signature(envelope.signatures[0].sig)
    raw = r.to_bytes(32, "big") + s.to_bytes(32, "big")
    raw_envelope = dsse.Envelope(
        envelope.payload_type, envelope.payload, (dsse.Signature(sig=raw, keyid="k"),)
    )
    assert dsse.verify(raw_envelope, [key.public_key()])[0].index == 0
    flipped = raw[:-1] + bytes([raw[-1] ^ 1])
    bad = dsse.Envelope(envelope.payload_type, envelope.payload, (dsse.Signature(sig=flipped),))
    assert dsse.verify(bad, [key.public_key()]) == []


def test_rsa_pkcs1v15_signature_verifies(rsa_key: rsa.RSAPrivateKey) -> None:
    payload = statement()
    sig = rsa_key.sign(
        dsse.pae(dsse.PAYLOAD_TYPE_INTOTO, payload), padding.PKCS1v15(), hashes.SHA256()
    )
    envelope = dsse.Envelope(dsse.PAYLOAD_TYPE_INTOTO, payload, (dsse.Signature(sig=sig),))
    assert dsse.verify(envelope, [rsa_key.public_key()])


def test_multi_signature_envelope_reports_each_signature() -> None:
    first, second = ed25519.Ed25519PrivateKey.generate(), ec.generate_private_key(ec.SECP256R1())
    envelope = dsse.add_signature(dsse.sign(statement(), dsse.PAYLOAD_TYPE_INTOTO, first), second)
    facts = parse_signature(envelope.to_json(), config=trust(second))
    assert facts["verified"] is True
    assert facts["signer"]["key_id"] == keys.key_id(second)
    assert [s["verified"] for s in facts["signatures"]] == [False, True]


def test_google_vsa_raw_signature_verifies_with_its_published_key() -> None:
    pem = (INTOTO / "vsa-v1-google-bcid-signing-key.pem").read_text()
    alias = "keystore://76574:prod:vsa_signing_public_key"
    facts = parse_signature(
        INTOTO / "vsa-v1-google-bcid-gke-gce.dsse.jsonl",
        config={"trusted_keys": [{"pem": pem, "key_id": alias}]},
    )
    assert facts["verified"] is True
    assert facts["signer"] == {
        "key_id": keys.key_id(keys.load_public_key(pem)),
        "key_alias": alias,
        "key_hint": alias,
    }
    assert facts["predicate_type"] == "https://slsa.dev/verification_summary/v1"
    assert facts["subjects"][0]["digest"] == {"gce_image_id": "8970095005306000053"}


def test_google_vsa_does_not_verify_with_another_p256_key() -> None:
    other = ec.generate_private_key(ec.SECP256R1())
    facts = parse_signature(INTOTO / "vsa-v1-google-bcid-gke-gce.dsse.jsonl", config=trust(other))
    assert facts["verified"] is False


def test_envelope_with_embedded_certificate_but_no_log_is_unverified() -> None:
    facts = parse_signature(INTOTO / "slsa-v0.2-generic-v1.2.2-dsse-envelope.intoto.jsonl")
    assert facts["verified"] is False
    assert facts["reason"].startswith("the signature matches the certificate embedded")
    assert facts["signer"]["identity"].endswith("generator_generic_slsa3.yml@refs/tags/v1.2.2")
    assert sha256_file(INTOTO / "artifact1") in subject_digests(facts)


@pytest.mark.parametrize(
    ("envelope", "message"),
    [
        ({"payloadType": "x", "payload": "!!!", "signatures": [{"sig": "AA=="}]}, "base64"),
        ({"payloadType": "x", "payload": "e30=", "signatures": []}, "no signatures"),
        ({"payloadType": "x", "payload": "e30=", "signatures": [{"keyid": "k"}]}, "sig"),
        ({"payloadType": "", "payload": "e30=", "signatures": [{"sig": "AA=="}]}, "payloadType"),
        ({"payloadType": "x", "payload": 5, "signatures": [{"sig": "AA=="}]}, "payload"),
        (
            {
                "payloadType": dsse.PAYLOAD_TYPE_INTOTO,
                "payload": base64.b64encode(b"not json").decode(),
                "signatures": [{"sig": "AA=="}],
            },
            "not valid JSON",
        ),
        (
            {
                "payloadType": dsse.PAYLOAD_TYPE_INTOTO,
                "payload": base64.b64encode(b'{"a": 1}').decode(),
                "signatures": [{"sig": "AA=="}],
            },
            "not an in-toto Statement",
        ),
    ],
)
def test_malformed_envelope_is_an_evidence_error(envelope: dict[str, Any], message: str) -> None:
    with pytest.raises(EvidenceError, match=message):
        parse_signature(json.dumps(envelope).encode(), name="bad.dsse.json")


def test_malformed_sigstore_bundle_is_an_evidence_error() -> None:
    bundle = json.loads(
        (SIGSTORE / "conformance-a.txt.prod-hashedrekord-v0.3.sigstore.json").read_bytes()
    )
    no_content = copy.deepcopy(bundle)
    del no_content["messageSignature"]
    with pytest.raises(EvidenceError, match="neither a dsseEnvelope nor a messageSignature"):
        parse_signature(json.dumps(no_content).encode(), name="b.sigstore.json")
    bad_cert = copy.deepcopy(bundle)
    bad_cert["verificationMaterial"]["certificate"]["rawBytes"] = base64.b64encode(b"x").decode()
    with pytest.raises(EvidenceError, match="not DER X.509"):
        parse_signature(json.dumps(bad_cert).encode(), name="b.sigstore.json")


def test_truncated_bundle_is_an_evidence_error_naming_the_file() -> None:
    raw = (SIGSTORE / "staging-rekor-v2.txt.sigstore.json").read_bytes()[:500]
    doc = Document(raw, "cut.sigstore.json")
    with pytest.raises(EvidenceError, match="^cut.sigstore.json: not valid JSON"):
        registry.detect(doc)


# -- detached signatures -----------------------------------------------------------------


def test_detached_ecdsa_signature_verifies_against_the_release_artifact_digest(
    tmp_path: Path,
) -> None:
    artifact = b"release tarball bytes"
    key = ec.generate_private_key(ec.SECP256R1())
    signature = base64.b64encode(key.sign(artifact, ec.ECDSA(hashes.SHA256())))
    release = {
        "artifacts": [
            {"name": "app.tar.gz", "digest": "sha256:" + hashlib.sha256(artifact).hexdigest()}
        ]
    }
    sig_file = tmp_path / "app.tar.gz.sig"
    sig_file.write_bytes(signature + b"\n")
    facts = parse_signature(sig_file, config=trust(key), release=release)
    assert facts["kind"] == "detached"
    assert facts["verified"] is True, facts["reason"]
    assert facts["subjects"][0]["name"] == "app.tar.gz"
    assert subject_digests(facts) == [hashlib.sha256(artifact).hexdigest()]
    assert facts["signer"]["key_id"] == keys.key_id(key)

    tampered = {
        "artifacts": [
            {
                "name": "app.tar.gz",
                "digest": "sha256:" + hashlib.sha256(artifact + b"!").hexdigest(),
            }
        ]
    }
    facts = parse_signature(sig_file, config=trust(key), release=tampered)
    assert facts["verified"] is False and facts["subjects"] == []


def test_detached_raw_rsa_signature_with_digest_label_verifies(
    tmp_path: Path, rsa_key: rsa.RSAPrivateKey
) -> None:
    artifact = b"binary"
    sig_file = tmp_path / "binary.signature"
    sig_file.write_bytes(rsa_key.sign(artifact, padding.PKCS1v15(), hashes.SHA256()))
    digest = "sha256:" + hashlib.sha256(artifact).hexdigest()
    facts = parse_signature(sig_file, config=trust(rsa_key), labels={"digest": digest})
    assert facts["verified"] is True


def test_detached_signature_without_a_digest_to_check_is_unverified(tmp_path: Path) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    sig_file = tmp_path / "app.sig"
    sig_file.write_bytes(base64.b64encode(key.sign(b"x", ec.ECDSA(hashes.SHA256()))))
    facts = parse_signature(sig_file, config=trust(key))
    assert facts["verified"] is False
    assert "no artifact digest" in facts["reason"]


# -- keys and configuration --------------------------------------------------------------


def test_key_id_is_sha256_of_the_der_subject_public_key_info() -> None:
    pem = (INTOTO / "vsa-v1-google-bcid-signing-key.pem").read_text()
    body = "".join(line for line in pem.splitlines() if not line.startswith("-----"))
    expected = hashlib.sha256(base64.b64decode(body)).hexdigest()
    assert keys.key_id(keys.load_public_key(pem)) == expected


def test_trusted_key_id_that_does_not_match_the_key_is_a_config_error() -> None:
    pem = (INTOTO / "vsa-v1-google-bcid-signing-key.pem").read_text()
    with pytest.raises(ConfigError, match="does not match the key"):
        keys.trusted_keys([{"pem": pem, "key_id": "0" * 64}], what="trusted_keys")


def test_unreadable_trusted_key_is_a_config_error_not_an_empty_trust_list() -> None:
    envelope = dsse.sign(
        statement(), dsse.PAYLOAD_TYPE_INTOTO, ed25519.Ed25519PrivateKey.generate()
    )
    with pytest.raises(ConfigError, match=r"trusted_keys\[0\]"):
        parse_signature(envelope.to_json(), config={"trusted_keys": [{"pem": "garbage"}]})


def test_small_rsa_keys_are_refused() -> None:
    small = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    with pytest.raises(keys.KeyError_, match="at least 2048"):
        keys.load_public_key(keys.public_key_pem(small))


def test_missing_trusted_root_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot be read"):
        parse_signature(
            SIGSTORE / "staging-rekor-v2.txt.sigstore.json",
            config={"sigstore_trusted_root": str(tmp_path / "missing.json")},
        )


# -- detection ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "family", "fmt"),
    [
        (
            SIGSTORE / "conformance-a.txt.prod-hashedrekord-v0.3.sigstore.json",
            "signature",
            "sigstore-bundle",
        ),
        (SIGSTORE / "staging-tsa-bundle.txt.sigstore", "signature", "sigstore-bundle"),
        (INTOTO / "vsa-v1-google-bcid-gke-gce.dsse.jsonl", "signature", "dsse-envelope"),
        # Signed SLSA provenance is provenance unless the signature family is asked for.
        (
            SIGSTORE / "conformance-a.txt.prod-dsse-slsa-v1.sigstore.json",
            "provenance",
            "sigstore-bundle",
        ),
    ],
)
def test_registry_detects_signature_files(path: Path, family: str, fmt: str) -> None:
    parser, detected = registry.detect(Document.from_path(path))
    assert (parser.family, detected) == (family, fmt)


def test_pae_matches_the_dsse_specification_example() -> None:
    assert (
        dsse.pae("http://example.com/HelloWorld", b"hello world")
        == b"DSSEv1 29 http://example.com/HelloWorld 11 hello world"
    )


def test_envelopes_interoperate_with_securesystemslib(private_key: keys.PrivateKey) -> None:
    from securesystemslib.dsse import Envelope as SslibEnvelope
    from securesystemslib.signer import CryptoSigner, SSlibKey

    ours = dsse.sign(statement(), dsse.PAYLOAD_TYPE_INTOTO, private_key)
    public = SSlibKey.from_crypto(private_key.public_key(), keyid=keys.key_id(private_key))
    assert keys.key_id(private_key) in SslibEnvelope.from_dict(ours.to_dict()).verify([public], 1)

    theirs = SslibEnvelope(
        payload=statement(), payload_type=dsse.PAYLOAD_TYPE_INTOTO, signatures={}
    )
    theirs.sign(CryptoSigner(private_key, public))
    parsed = dsse.Envelope.from_dict(theirs.to_dict())
    assert dsse.verify(parsed, [private_key.public_key()])


# -- end to end: real bundles through GC-ART-002 in OPA ------------------------------------

POLICIES = Path(__file__).parent.parent / "policies"


@pytest.fixture(scope="module")
def art_policy_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The control library's helpers plus the signing controls (no other topic's rules)."""
    import shutil

    root = tmp_path_factory.mktemp("policies")
    (root / "lib").mkdir()
    (root / "artifacts").mkdir()
    for name in ("controls.rego", "signing.rego"):  # package gatecheck.lib
        shutil.copy(POLICIES / "lib" / name, root / "lib")
    shutil.copy(POLICIES / "data.json", root)
    for name in ("art_002.rego", "art_007.rego", "signing_params.json"):
        shutil.copy(POLICIES / "artifacts" / name, root / "artifacts")
    return root


def evaluate_control(
    policy_dir: Path,
    control: str,
    release: dict[str, Any],
    evidence: dict[str, Any],
    params: dict[str, Any],
) -> dict[str, Any]:
    from gatecheck.engine.embedded import EmbeddedEngine
    from gatecheck.engine.policy import load_policy_set

    policies = load_policy_set(
        [policy_dir], include_builtin=False, overlay={"gatecheck": {"config": {"params": params}}}
    )
    doc = {
        "stage": "production",
        "effective_time": "2026-01-31T12:00:00Z",
        "effective_time_ns": 1769860800000000000,
        "release": {**release, "source": {"path": "evidence/release.json"}},
        "evidence": evidence,
    }
    return EmbeddedEngine().evaluate(policies, doc, f"gatecheck.controls.{control}")


def as_evidence(facts: dict[str, Any], name: str) -> dict[str, Any]:
    """Wrap parser facts as the input document does (source, tool, labels)."""
    return {
        **facts,
        "source": {
            "path": f"evidence/{name}",
            "name": name,
            "format": "x",
            "sha256": "0" * 64,
            "added_at": "2026-01-31T00:00:00Z",
        },
        "tool": None,
        "labels": {},
    }


def a_txt_release(artifact: bytes) -> dict[str, Any]:
    return {
        "name": "conformance",
        "version": "1.0.0",
        "artifacts": [
            {
                "name": "a.txt",
                "version": "1.0.0",
                "digest": "sha256:" + hashlib.sha256(artifact).hexdigest(),
            }
        ],
    }


def test_gc_art_002_passes_real_bundle_and_fails_tampered_artifact_or_wrong_signer(
    art_policy_dir: Path,
) -> None:
    bundle = "conformance-a.txt.prod-hashedrekord-v0.3.sigstore.json"
    facts = parse_signature(SIGSTORE / bundle, config={"sigstore_trusted_root": PUBLIC_GOOD})
    evidence = {"signature": [as_evidence(facts, bundle)]}
    artifact = (SIGSTORE / "conformance-a.txt").read_bytes()
    # A root configured by path is trusted by its content digest.
    root = f"sha256:{sha256_file(Path(PUBLIC_GOOD))}"
    trusted = {"trusted_signers": [{"identity": BEACON, "issuer": GITHUB_ACTIONS, "root": root}]}

    ok = evaluate_control(art_policy_dir, "art_002", a_txt_release(artifact), evidence, trusted)
    assert ok["deny"] == []

    tampered = evaluate_control(
        art_policy_dir, "art_002", a_txt_release(artifact + b"\n"), evidence, trusted
    )
    assert [r["msg"].split(" (")[0] for r in tampered["deny"]] == [
        "no signature in the bundle covers artifact a.txt"
    ]

    wrong_issuer = {
        "trusted_signers": [{"identity": BEACON, "issuer": "https://accounts.google.com"}]
    }
    untrusted = evaluate_control(
        art_policy_dir, "art_002", a_txt_release(artifact), evidence, wrong_issuer
    )
    assert "not listed in trusted_signers" in untrusted["deny"][0]["msg"]

    wrong_identity = {
        "trusted_signers": [
            {
                "identity_regexp": "https://github.com/sigstore-conformance/other/.*",
                "issuer": GITHUB_ACTIONS,
            }
        ]
    }
    untrusted = evaluate_control(
        art_policy_dir, "art_002", a_txt_release(artifact), evidence, wrong_identity
    )
    assert "not listed in trusted_signers" in untrusted["deny"][0]["msg"]


def test_gc_art_002_fails_the_signature_mismatch_bundle(art_policy_dir: Path) -> None:
    bundle = "conformance-a.txt.signature-mismatch-EXPECT-FAIL.sigstore.json"
    facts = parse_signature(SIGSTORE / bundle)
    result = evaluate_control(
        art_policy_dir,
        "art_002",
        a_txt_release((SIGSTORE / "conformance-a.txt").read_bytes()),
        {"signature": [as_evidence(facts, bundle)]},
        {"trusted_signers": [{"identity": BEACON, "issuer": GITHUB_ACTIONS}]},
    )
    (denial,) = result["deny"]
    assert "no signature covering artifact a.txt verified" in denial["msg"]
    assert "Signature is invalid for input" in denial["msg"]
    assert {"path": f"evidence/{bundle}", "pointer": ""} in denial["evidence"]


@pytest.mark.parametrize(
    ("bundle", "artifact", "identity", "issuer"),
    [
        (
            "staging-rekor-v2.txt.sigstore.json",
            "staging-rekor-v2.txt",
            "jku@goto.fi",
            "https://github.com/login/oauth",
        ),
        (
            "staging-tsa-bundle.txt.sigstore",
            "staging-tsa-bundle.txt",
            "alexis.challande@trailofbits.com",
            "https://accounts.google.com",
        ),
    ],
)
def test_gc_art_002_accepts_a_staging_signature_only_where_staging_is_named(
    art_policy_dir: Path, bundle: str, artifact: str, identity: str, issuer: str
) -> None:
    """Sigstore's staging instance issues certificates to anyone: a real staging bundle
    satisfies GC-ART-002 only when the configuration names the staging root for verification
    and the trusted signer entry names it too."""
    release = a_txt_release((SIGSTORE / artifact).read_bytes())
    signer = {"identity": identity, "issuer": issuer}

    def deny(config: dict[str, Any], entry: dict[str, Any]) -> list[str]:
        facts = parse_signature(SIGSTORE / bundle, config=config)
        evidence = {"signature": [as_evidence(facts, bundle)]}
        params = {"trusted_signers": [entry]}
        return [r["msg"] for r in evaluate_control(
            art_policy_dir, "art_002", release, evidence, params
        )["deny"]]  # fmt: skip

    # Default configuration: public-good only, so the staging bundle does not verify at all,
    # even for a signer entry that names staging.
    for entry in (signer, {**signer, "root": "staging"}):
        (msg,) = deny({}, entry)
        assert "verified" in msg and "[public-good]" in msg
    both = {"sigstore_trusted_root": ["public-good", "staging"]}
    # Staging named for verification, but the signer is trusted under public-good (default).
    (msg,) = deny(both, signer)
    assert f"signed only by {identity} (issuer {issuer}, root staging)" in msg
    (msg,) = deny(both, {**signer, "root": "public-good"})
    assert "not listed in trusted_signers" in msg
    # Both named: accepted.
    assert deny(both, {**signer, "root": "staging"}) == []
