"""Evidence attestations interoperate: gatecheck's verify with securesystemslib, DSSE envelopes
made by securesystemslib are accepted and attributed, and so are cosign-format Sigstore
bundles (a DSSE in-toto Statement with a CycloneDX or vuln predicate, key-signed).

No file of the shared Sigstore/in-toto corpus carries a CycloneDX or vuln predicate (the DSSE
bundles there are SLSA provenance), so the cosign-format bundles are built here, with the
layout of ``cosign attest --key ... --new-bundle-format``: bundle v0.3, a public-key hint and
the DSSE envelope.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ed25519
from helpers import make_bundle, run_gatecheck
from securesystemslib.dsse import Envelope as SslibEnvelope
from securesystemslib.signer import CryptoSigner, SSlibKey
from trust_support import TrustKit, bundle_release, sign_bundle_release

from gatecheck.bundles.store import add_evidence, seal_bundle
from gatecheck.evidence.signing import attestation, dsse
from gatecheck.evidence.signing.keys import key_id

DATA = Path(__file__).parent / "data"
SBOM = DATA / "authenticity" / "sbom.cdx.json"
SCAN = DATA / "authenticity" / "pip-audit.json"
AT = "2026-11-27T10:00:00Z"


def sslib_key(key: ed25519.Ed25519PrivateKey) -> SSlibKey:
    # securesystemslib matches signatures by keyid; gatecheck's key id is the DSSE keyid.
    return SSlibKey.from_crypto(key.public_key(), keyid=key_id(key))


def evaluate_with(tmp_path: Path, files: list[Path], kit: TrustKit | None = None) -> dict[str, Any]:
    """A bundle of ``files`` (release manifest signed by its producer), evaluated at
    production through the CLI with ``kit``'s trust policy."""
    root = make_bundle(tmp_path / "bundle", seal=False, name="payments-api", version="1.4.0")
    kit = kit or TrustKit.for_release(bundle_release(root)[1])
    add_evidence(root, [sign_bundle_release(kit, root, tmp_path / "release.dsse.json"), *files])
    seal_bundle(root)
    config = kit.write_config(tmp_path / "gatecheck.yaml")
    proc = run_gatecheck(
        "evaluate",
        str(root),
        "--stage",
        "production",
        "--config",
        str(config),
        "--at",
        AT,
        "--format",
        "json",
    )
    assert proc.returncode in (0, 1), proc.stderr
    return json.loads(proc.stdout)


def entry(report: dict[str, Any], name: str) -> dict[str, Any]:
    return next(e for e in report["authenticity"]["evidence"] if e["name"] == name)


def kit_for_default_release(tmp_path: Path) -> TrustKit:
    root = make_bundle(tmp_path / "probe", seal=False, name="payments-api", version="1.4.0")
    return TrustKit.for_release(bundle_release(root)[1])


def test_a_gatecheck_attestation_verifies_with_securesystemslib(tmp_path: Path) -> None:
    kit = kit_for_default_release(tmp_path)
    out = kit.attest(SBOM, "sbom", "ci-build", tmp_path / "sbom.dsse.json")
    envelope = SslibEnvelope.from_dict(json.loads(out.read_bytes()))
    accepted = envelope.verify([sslib_key(kit.key("ci-build"))], 1)
    assert list(accepted) == [key_id(kit.key("ci-build"))]
    assert envelope.payload_type == "application/vnd.in-toto+json"
    statement = json.loads(envelope.payload)
    assert statement["_type"] == "https://in-toto.io/Statement/v1"
    assert statement["predicateType"] == attestation.CYCLONEDX
    assert statement["predicate"] == json.loads(SBOM.read_bytes())
    assert statement["subject"] == kit.subjects
    # A key the producer does not hold does not verify it.
    from securesystemslib.exceptions import VerificationError

    with pytest.raises(VerificationError):
        envelope.verify([sslib_key(ed25519.Ed25519PrivateKey.generate())], 1)


def test_a_securesystemslib_envelope_around_a_gatecheck_statement_is_accepted(
    tmp_path: Path,
) -> None:
    kit = kit_for_default_release(tmp_path)
    statement = kit.statement(SBOM.read_bytes(), "sbom", name="sbom.cdx.json")
    key = kit.key("ci-build")
    envelope = SslibEnvelope(
        payload=json.dumps(statement).encode(),
        payload_type="application/vnd.in-toto+json",
        signatures={},
    )
    envelope.sign(CryptoSigner(key, sslib_key(key)))
    made = tmp_path / "sbom.sslib.dsse.json"
    made.write_text(json.dumps(envelope.to_dict()))
    report = evaluate_with(tmp_path, [made], kit)
    sbom = entry(report, made.name)
    assert sbom["type"] == "sbom"
    assert (sbom["authenticated"], sbom["producer"]) == (True, "ci-build")
    assert sbom["identity"] == f"key:{key_id(key)}"
    assert next(r for r in report["results"] if r["control"] == "GC-ART-003")["status"] == "pass"


def cosign_bundle(statement: dict[str, Any], key: ed25519.Ed25519PrivateKey) -> dict[str, Any]:
    """A key-signed Sigstore bundle v0.3 around the statement, as ``cosign attest --key``
    writes with the new bundle format."""
    payload = json.dumps(statement).encode()
    signature = key.sign(dsse.pae(dsse.PAYLOAD_TYPE_INTOTO, payload))
    return {
        "mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json",
        "verificationMaterial": {"publicKey": {"hint": key_id(key)}, "tlogEntries": []},
        "dsseEnvelope": {
            "payload": base64.b64encode(payload).decode(),
            "payloadType": dsse.PAYLOAD_TYPE_INTOTO,
            "signatures": [{"sig": base64.b64encode(signature).decode(), "keyid": ""}],
        },
    }


@pytest.mark.parametrize(
    ("source", "evidence_type", "predicate_type", "control"),
    [
        (SBOM, "sbom", attestation.CYCLONEDX, "GC-ART-003"),
        (SCAN, "vulnerability-scan", attestation.VULN, "GC-ART-005"),
    ],
)
def test_a_cosign_format_sigstore_bundle_is_accepted_and_attributed(
    tmp_path: Path, source: Path, evidence_type: str, predicate_type: str, control: str
) -> None:
    kit = kit_for_default_release(tmp_path)
    statement = kit.statement(
        source.read_bytes(), evidence_type, name=source.name, timestamp="2026-11-27T07:30:00Z"
    )
    assert statement["predicateType"] == predicate_type
    made = tmp_path / f"{evidence_type}.sigstore.json"
    made.write_text(json.dumps(cosign_bundle(statement, kit.key("ci-build"))))
    report = evaluate_with(tmp_path, [made], kit)
    found = entry(report, made.name)
    assert found["type"] == evidence_type
    assert (found["authenticated"], found["producer"]) == (True, "ci-build"), found
    assert next(r for r in report["results"] if r["control"] == control)["status"] != "error"

    # The same bundle signed by a key the trust policy does not know is excluded.
    stranger = tmp_path / "stranger"
    stranger.mkdir()
    forged = stranger / made.name
    forged.write_text(json.dumps(cosign_bundle(statement, ed25519.Ed25519PrivateKey.generate())))
    report = evaluate_with(stranger, [forged], kit)
    found = entry(report, forged.name)
    assert (found["authenticated"], found["excluded"]) == (False, True)
    assert report["decision"] != "pass"
