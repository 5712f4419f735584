"""SLSA provenance evidence: claims (builder, source, subjects) and whether they are signed and
verified, from plain statements, DSSE envelopes, Sigstore bundles and npm attestations."""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ed25519

from gatecheck.errors import EvidenceError
from gatecheck.evidence import registry
from gatecheck.evidence.interface import Document, ParseContext
from gatecheck.evidence.signing import dsse, keys
from gatecheck.evidence.signing.provenance import split_git_uri

DATA = Path(__file__).parent / "data"
SIGSTORE = DATA / "sigstore"
INTOTO = DATA / "intoto"
PUBLIC_GOOD = str(SIGSTORE / "trusted_root.public-good.json")
STAGING = str(SIGSTORE / "trusted_root.staging.json")
ROOTS = {"sigstore_trusted_root": [PUBLIC_GOOD, STAGING]}
# A root configured by path is trusted (trusted_signers `root`) by its content digest.
PUBLIC_GOOD_ROOT = "sha256:" + hashlib.sha256(Path(PUBLIC_GOOD).read_bytes()).hexdigest()


def parse(
    source: Path | bytes, *, name: str = "provenance.json", config: dict[str, Any] | None = None
) -> dict[str, Any]:
    doc = Document.from_path(source) if isinstance(source, Path) else Document(source, name)
    parser, fmt = registry.detect(doc)
    assert parser.family == "provenance"
    return parser.parse(doc, fmt, ParseContext(config=config if config is not None else ROOTS))


def sha256_file(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_sigstore_bundle_with_slsa_v1_is_verified_provenance() -> None:
    facts = parse(SIGSTORE / "conformance-a.txt.prod-dsse-slsa-v1.sigstore.json")
    assert facts["predicate_type"] == "https://slsa.dev/provenance/v1"
    assert facts["slsa_version"] == "1"
    assert facts["build_type"] == "https://actions.github.io/buildtypes/workflow/v1"
    assert facts["builder_id"] == (
        "https://github.com/loosebazooka/aa-test/.github/workflows/provenance.yaml@refs/heads/main"
    )
    assert facts["build_source"] == {
        "repository": "https://github.com/loosebazooka/aa-test",
        "uri": "https://github.com/loosebazooka/aa-test",
        "ref": "refs/heads/main",
        "commit": "ebff8dfbd609b7b22237c7719ce07f2dc7934f5f",
        "pointer": "/dsseEnvelope/payload",
    }
    assert facts["signed"] is True and facts["verified"] is True and facts["reason"] is None
    assert facts["signer"]["issuer"] == "https://token.actions.githubusercontent.com"
    assert facts["signature"]["trusted_root"]["name"] == PUBLIC_GOOD
    assert facts["signature"]["signed_at"] == "2024-12-16T18:42:56Z"
    assert [s["digest"]["sha256"] for s in facts["subjects"]] == [
        sha256_file(SIGSTORE / "conformance-a.txt")
    ]


def test_staging_rekor_v2_provenance_verifies_with_a_timestamp_authority_time() -> None:
    facts = parse(SIGSTORE / "conformance-a.txt.staging-rekor2-dsse.sigstore.json")
    assert facts["verified"] is True
    assert facts["signature"]["trusted_root"]["name"] == STAGING
    assert facts["signature"]["timestamps"][0]["source"] == "timestamp-authority"
    assert (
        facts["builder_id"]
        == "https://github.com/sigstore-conformance/rekor2-dsse-hashedrekord-regen"
    )
    assert facts["build_source"] is None  # the statement names no source


def test_bcr_attestation_bundle_verifies() -> None:
    facts = parse(INTOTO / "slsa-v1-github-workflow-bcr-rules_lint-MODULE.bazel.intoto.jsonl")
    assert facts["verified"] is True
    assert facts["builder_id"] == (
        "https://github.com/bazel-contrib/publish-to-bcr/.github/workflows/publish.yaml"
        "@refs/tags/v0.0.1"
    )
    assert facts["build_source"]["repository"] == "https://github.com/aspect-build/rules_lint"
    assert facts["build_source"]["ref"] == "refs/heads/publish-to-bcr"
    assert facts["build_source"]["commit"] == "8f70009fde0c94ade6ce2a054b94718c819126ec"


def test_delegator_provenance_reads_source_from_resolved_dependencies_but_is_unverified() -> None:
    facts = parse(INTOTO / "slsa-v1-delegator-generic-v2.1.0.build.slsa")
    assert (
        facts["build_source"]["repository"] == "https://github.com/slsa-framework/example-package"
    )
    assert facts["build_source"]["commit"] == "4d329c75e7ec1725f7c9ce917a8799d408d06be3"
    assert facts["build_source"]["ref"] == "refs/heads/main"
    assert facts["builder_id"].startswith("https://github.com/slsa-framework/example-trw/")
    assert facts["signed"] is True and facts["verified"] is False
    assert "Integrated time only supported" in facts["reason"]
    artifact = INTOTO / "gha_delegator-binary-linux-amd64-workflow_dispatch"
    assert facts["subjects"][0]["digest"]["sha256"] == sha256_file(artifact)


def test_npm_v01_bundle_with_slsa_v02_is_unverified_with_the_refusal_reason() -> None:
    facts = parse(SIGSTORE / "npm-sigstore-1.3.0-provenance.v0.1.sigstore.json")
    assert facts["slsa_version"] == "0.2"
    assert facts["builder_id"] == "https://github.com/actions/runner"
    assert facts["build_source"]["repository"] == "https://github.com/sigstore/sigstore-js"
    assert facts["build_source"]["commit"] == "dae8bd8eb433a4147b4655c00fe73e0f22bc0fb1"
    assert facts["verified"] is False
    assert "inclusionProof" in facts["reason"]


def test_npm_registry_attestations_document_yields_its_slsa_entry() -> None:
    facts = parse(INTOTO / "npm-sigstore-2.3.1-registry-attestations.json")
    assert facts["pointer"] == "/attestations/1/bundle/dsseEnvelope/payload"
    assert facts["builder_id"] == "https://github.com/actions/runner/github-hosted"
    assert facts["build_source"]["repository"] == "https://github.com/sigstore/sigstore-js"
    assert facts["subjects"][0]["name"] == "pkg:npm/sigstore@2.3.1"
    assert facts["verified"] is False  # intoto 0.0.2 entry


def test_slsa_v02_dsse_envelope_with_embedded_certificate_is_signed_but_unverified() -> None:
    facts = parse(INTOTO / "slsa-v0.2-generic-v1.2.2-dsse-envelope.intoto.jsonl")
    assert facts["slsa_version"] == "0.2"
    assert facts["build_source"] == {
        "repository": "https://github.com/asraa/slsa-on-github-test",
        "uri": "git+https://github.com/asraa/slsa-on-github-test@refs/tags/v1.5.0",
        "ref": "refs/tags/v1.5.0",
        "commit": "f24af35a7c714f1b4eeb53afefb57fa11bd5c95c",
        "pointer": "/payload",
    }
    assert facts["signed"] is True and facts["verified"] is False
    assert facts["signature"]["kind"] == "dsse"
    names = {s["name"]: s["digest"]["sha256"] for s in facts["subjects"]}
    assert names["artifact1"] == sha256_file(INTOTO / "artifact1")


def test_unsigned_statements_are_reported_unsigned() -> None:
    facts = parse(INTOTO / "statement-v1-slsa-v1-github-workflow.json")
    assert facts["signed"] is False and facts["verified"] is False and facts["signer"] is None
    assert (
        facts["build_source"]["pointer"] == "/predicate/buildDefinition/externalParameters/workflow"
    )
    assert facts["subjects"][0]["pointer"] == "/subject/0"

    k8s = parse(INTOTO / "statement-v0.1-slsa-v0.2-kubernetes-release.json")
    assert len(k8s["subjects"]) == 75
    assert k8s["builder_id"] == "Project Collection Build Service (AzureContainerUpstream)"
    # userinfo in the URI is not part of the repository identity
    assert k8s["build_source"]["repository"] == (
        "https://dev.azure.com/AzureContainerUpstream/Kubernetes/_git/ado-build-definitions"
    )
    assert k8s["materials"][0]["uri"] == "https://github.com/kubernetes/kubernetes"


def test_non_provenance_statement_is_not_provenance() -> None:
    doc = Document.from_path(INTOTO / "statement-v0.1-vulns-v0.1-osv.json")
    from gatecheck.evidence.signing.provenance import ProvenanceParser

    assert ProvenanceParser().detect(doc) is None
    with pytest.raises(EvidenceError):
        registry.detect(doc, "provenance")


# -- provenance signed with keys made here -----------------------------------------------


def provenance_statement(digest: str, repository: str = "https://github.com/acme/app") -> bytes:
    return json.dumps(
        {
            "_type": "https://in-toto.io/Statement/v1",
            "subject": [{"name": "app.tar.gz", "digest": {"sha256": digest}}],
            "predicateType": "https://slsa.dev/provenance/v1",
            "predicate": {
                "buildDefinition": {
                    "buildType": "https://example.com/build/v1",
                    "externalParameters": {"source": f"git+{repository}.git@refs/tags/v1.2.0"},
                    "resolvedDependencies": [
                        {
                            "uri": f"git+{repository}@refs/tags/v1.2.0",
                            "digest": {"gitCommit": "ab" * 20},
                        }
                    ],
                },
                "runDetails": {"builder": {"id": "https://ci.example.com/builder@v1"}},
            },
        }
    ).encode()


def test_key_signed_provenance_verifies_and_a_changed_byte_does_not() -> None:
    key = ed25519.Ed25519PrivateKey.generate()
    config = {"trusted_keys": [{"pem": keys.public_key_pem(key)}]}
    digest = "c" * 64
    envelope = dsse.sign(provenance_statement(digest), dsse.PAYLOAD_TYPE_INTOTO, key)
    facts = parse(envelope.to_json(), name="app.intoto.jsonl", config=config)
    assert facts["verified"] is True
    assert facts["signer"]["key_id"] == keys.key_id(key)
    assert facts["build_source"]["repository"] == "https://github.com/acme/app"
    assert facts["build_source"]["ref"] == "refs/tags/v1.2.0"
    assert facts["build_source"]["commit"] == "ab" * 20
    assert facts["builder_id"] == "https://ci.example.com/builder@v1"

    tampered = provenance_statement(digest).replace(b"acme/app", b"acme/evil")
    forged = dsse.Envelope(envelope.payload_type, tampered, envelope.signatures)
    facts = parse(forged.to_json(), name="app.intoto.jsonl", config=config)
    assert facts["verified"] is False
    assert facts["build_source"]["repository"] == "https://github.com/acme/evil"


def test_jsonl_picks_the_provenance_line_and_refuses_two() -> None:
    key = ed25519.Ed25519PrivateKey.generate()
    provenance = dsse.sign(provenance_statement("d" * 64), dsse.PAYLOAD_TYPE_INTOTO, key)
    other = dsse.sign(
        json.dumps(
            {
                "_type": "https://in-toto.io/Statement/v1",
                "subject": [{"name": "x", "digest": {"sha256": "e" * 64}}],
                "predicateType": "https://example.com/other/v1",
                "predicate": {},
            }
        ).encode(),
        dsse.PAYLOAD_TYPE_INTOTO,
        key,
    )
    two_lines = other.to_json() + b"\n" + provenance.to_json() + b"\n"
    facts = parse(two_lines, name="multi.intoto.jsonl", config={})
    assert facts["line"] == 2 and facts["subjects"][0]["digest"]["sha256"] == "d" * 64

    doubled = provenance.to_json() + b"\n" + provenance.to_json() + b"\n"
    with pytest.raises(EvidenceError, match="holds 2 SLSA provenance statements"):
        parse(doubled, name="doubled.intoto.jsonl", config={})


def test_malformed_provenance_envelope_is_an_evidence_error() -> None:
    key = ed25519.Ed25519PrivateKey.generate()
    envelope = dsse.sign(provenance_statement("f" * 64), dsse.PAYLOAD_TYPE_INTOTO, key).to_dict()
    envelope["signatures"] = [{"keyid": "k", "sig": "not base64!"}]
    with pytest.raises(EvidenceError, match="not valid base64"):
        parse(json.dumps(envelope).encode(), name="bad.intoto.jsonl", config={})


def test_npm_attestations_with_a_broken_bundle_is_an_evidence_error() -> None:
    document = json.loads((INTOTO / "npm-sigstore-2.3.1-registry-attestations.json").read_bytes())
    document["attestations"][1]["bundle"] = {"mediaType": "text/plain"}
    with pytest.raises(EvidenceError, match="is not a Sigstore bundle"):
        parse(json.dumps(document).encode(), name="attestations.json")


def test_tampered_payload_in_sigstore_provenance_is_unverified() -> None:
    bundle = json.loads(
        (SIGSTORE / "conformance-a.txt.prod-dsse-slsa-v1.sigstore.json").read_bytes()
    )
    statement = json.loads(base64.b64decode(bundle["dsseEnvelope"]["payload"]))
    statement["predicate"]["runDetails"]["builder"]["id"] = "https://trusted.example/builder"
    bundle["dsseEnvelope"]["payload"] = base64.b64encode(json.dumps(statement).encode()).decode()
    facts = parse(json.dumps(bundle).encode(), name="forged.sigstore.json")
    assert facts["builder_id"] == "https://trusted.example/builder"
    assert facts["verified"] is False


@pytest.mark.parametrize(
    ("uri", "expected"),
    [
        (
            "git+https://github.com/org/repo@refs/heads/main",
            ("https://github.com/org/repo", "refs/heads/main"),
        ),
        ("git+https://github.com/org/repo.git", ("https://github.com/org/repo", None)),
        (
            "https://user@Dev.Azure.com/org/_git/repo/",
            ("https://dev.azure.com/org/_git/repo", None),
        ),
        ("git+ssh://git@github.com:22/org/repo.git@v1", ("ssh://github.com:22/org/repo", "v1")),
        ("github.com/org/repo@abc", ("github.com/org/repo", "abc")),
    ],
)
def test_split_git_uri(uri: str, expected: tuple[str, str | None]) -> None:
    assert split_git_uri(uri) == expected


# -- end to end: real provenance through GC-ART-007 in OPA ---------------------------------

POLICIES = Path(__file__).parent.parent / "policies"
BCR_BUILDER = "https://github.com/bazel-contrib/publish-to-bcr/.github/workflows/publish.yaml@refs/tags/v0.0.1"
BCR_DIGEST = "06ce330900a7d6403bc8d88e5dfad6aeeb8ae40179f66bb89e69c8bf6f6b1a0b"
ACTIONS = "https://token.actions.githubusercontent.com"


def evaluate_art_007(
    tmp_path: Path, release: dict[str, Any], provenance: list[dict[str, Any]], params: dict
) -> list[dict[str, Any]]:
    import shutil

    from gatecheck.engine.embedded import EmbeddedEngine
    from gatecheck.engine.policy import load_policy_set

    (tmp_path / "lib").mkdir(exist_ok=True)
    (tmp_path / "artifacts").mkdir(exist_ok=True)
    for name in ("controls.rego", "signing.rego"):  # package gatecheck.lib
        shutil.copy(POLICIES / "lib" / name, tmp_path / "lib")
    shutil.copy(POLICIES / "data.json", tmp_path)
    for name in ("art_002.rego", "art_007.rego", "signing_params.json"):
        shutil.copy(POLICIES / "artifacts" / name, tmp_path / "artifacts")
    policies = load_policy_set(
        [tmp_path], include_builtin=False, overlay={"gatecheck": {"config": {"params": params}}}
    )
    wrapped = [
        {
            **p,
            "source": {"path": f"evidence/p{i}.json", "name": f"p{i}.json"},
            "tool": None,
            "labels": {},
        }
        for i, p in enumerate(provenance)
    ]
    doc = {
        "stage": "production",
        "effective_time_ns": 1769860800000000000,
        "release": {**release, "source": {"path": "evidence/release.json"}},
        "evidence": {"provenance": wrapped},
    }
    return EmbeddedEngine().evaluate(policies, doc, "gatecheck.controls.art_007.deny")


def test_gc_art_007_passes_verified_bcr_provenance_and_fails_another_source(
    tmp_path: Path,
) -> None:
    facts = parse(INTOTO / "slsa-v1-github-workflow-bcr-rules_lint-MODULE.bazel.intoto.jsonl")
    params = {
        "trusted_builders": [BCR_BUILDER],
        "trusted_signers": [{"identity": BCR_BUILDER, "issuer": ACTIONS, "root": PUBLIC_GOOD_ROOT}],
    }
    release = {
        "name": "rules_lint",
        "version": "1.3.0",
        "source_repository": "https://github.com/aspect-build/rules_lint.git",
        "artifacts": [{"name": "MODULE.bazel", "digest": f"sha256:{BCR_DIGEST}"}],
    }
    assert evaluate_art_007(tmp_path, release, [facts], params) == []

    fork = {**release, "source_repository": "https://github.com/mallory/rules_lint"}
    (denial,) = evaluate_art_007(tmp_path, fork, [facts], params)
    assert "was built from https://github.com/aspect-build/rules_lint" in denial["msg"]

    tampered = {**release, "artifacts": [{"name": "MODULE.bazel", "digest": "sha256:" + "0" * 64}]}
    (denial,) = evaluate_art_007(tmp_path, tampered, [facts], params)
    assert "no build provenance names artifact MODULE.bazel" in denial["msg"]


def test_gc_art_007_fails_provenance_sigstore_python_cannot_verify(tmp_path: Path) -> None:
    facts = parse(INTOTO / "slsa-v1-delegator-generic-v2.1.0.build.slsa")
    artifact = INTOTO / "gha_delegator-binary-linux-amd64-workflow_dispatch"
    release = {
        "name": "example-package",
        "version": "2.1.0",
        "source_repository": "https://github.com/slsa-framework/example-package",
        "artifacts": [{"name": artifact.name, "digest": f"sha256:{sha256_file(artifact)}"}],
    }
    identity = facts["signer"]["identity"]
    params = {
        "trusted_builders": [facts["builder_id"]],
        "trusted_signers": [{"identity": identity, "issuer": ACTIONS}],
    }
    (denial,) = evaluate_art_007(tmp_path, release, [facts], params)
    assert "cannot be trusted" in denial["msg"]
    assert "Integrated time only supported" in denial["msg"]
