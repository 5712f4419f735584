"""Evidence attestations: a tool's output, unchanged, as the predicate of a signed in-toto
Statement v1 whose subjects are the release's artifacts.

An attestation is a DSSE envelope signed with a key, or a Sigstore bundle carrying one. Its
predicate type says which evidence type it vouches for:

- cosign's predicate types where they exist, so ``cosign attest`` output is accepted:
  ``https://cyclonedx.org/bom`` and ``https://spdx.dev/Document`` (the SBOM JSON itself) and
  ``https://cosign.sigstore.dev/attestation/vuln/v1`` (the scanner's JSON in
  ``scanner.result``);
- ``https://gatecheck.dev/attestation/<type>/v1`` for every other type: for gatecheck's
  records the record itself (as before), for tool output ``{"Data": <the file's text>,
  "Timestamp": ..., "mediaType": ..., "kind": ...}``; ``Data``/``Timestamp`` are the keys of
  cosign's custom predicate, so ``cosign attest --type <that URI> --predicate FILE`` works.

Unwrapping here is structural only: the inner document goes to the evidence type's own
parser, and whether the signature verifies and the signer may vouch for the type is decided
by :func:`verify` against the trust policy (``engine/trust.py``). SLSA provenance keeps its
own parser and control (GC-ART-007); artifact signatures theirs (GC-ART-002).
"""

from __future__ import annotations

import binascii
import json
import weakref
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from gatecheck.errors import EvidenceError
from gatecheck.evidence import safe
from gatecheck.evidence.interface import Document, ParseContext
from gatecheck.evidence.signing import dsse
from gatecheck.evidence.signing.keys import PrivateKey

STATEMENT_V1 = "https://in-toto.io/Statement/v1"
CYCLONEDX = "https://cyclonedx.org/bom"
SPDX = "https://spdx.dev/Document"
VULN = "https://cosign.sigstore.dev/attestation/vuln/v1"
GATECHECK_PREFIX = "https://gatecheck.dev/attestation/"
SIGSTORE_MEDIA_TYPE_PREFIX = "application/vnd.dev.sigstore.bundle"
DSSE, SIGSTORE = "dsse", "sigstore"
ENVELOPES = (DSSE, SIGSTORE)

# Record types whose records are read by another family's parser.
_RECORD_FAMILY = {
    "approval-list": "approval",
    "data-clone-list": "data-clone",
    "deployment-lock-list": "deployment-lock",
}
# Families that verify their own signatures against their own trust lists.
_SELF_VERIFYING = {"provenance", "signature"}


def gatecheck_predicate_type(evidence_type: str) -> str:
    return f"{GATECHECK_PREFIX}{evidence_type}/v1"


def evidence_type_of(predicate_type: Any) -> str | None:
    """The evidence type a predicate type vouches for, or None (someone else's predicate)."""
    if not isinstance(predicate_type, str):
        return None
    if predicate_type == CYCLONEDX or predicate_type.startswith(CYCLONEDX + "/"):
        return "sbom"
    if predicate_type == SPDX or predicate_type.startswith(SPDX + "/"):
        return "sbom"
    if predicate_type == VULN:
        return "vulnerability-scan"
    if predicate_type.startswith(GATECHECK_PREFIX) and predicate_type.endswith("/v1"):
        name = predicate_type[len(GATECHECK_PREFIX) : -len("/v1")]
        if name and "/" not in name:
            family = _RECORD_FAMILY.get(name, name)
            return None if family in _SELF_VERIFYING else family
    return None


@dataclass
class Attestation:
    """An evidence file's signed wrapper, opened but not verified."""

    envelope: str
    """``dsse`` (key-signed envelope) or ``sigstore`` (Sigstore bundle)."""
    outer: Mapping[str, Any]
    """The envelope or bundle as JSON."""
    statement: dict[str, Any]
    evidence_type: str
    inner: Document
    """The document the evidence type's parser reads."""
    kind: str | None = None
    """A kind the producer vouches for (e.g. the test suite kind ``unit``)."""
    produced_at: str | None = None
    """The time the producer put inside the signed statement, if any."""
    record: bool = False
    """The predicate is a gatecheck record (its parser reads the Statement form)."""

    def subject_digests(self) -> set[str]:
        """``alg:hex`` of every subject digest (lower-case hex)."""
        found = set()
        for subject in self.statement.get("subject") or []:
            digest = subject.get("digest") if isinstance(subject, Mapping) else None
            for alg, value in (digest or {}).items():
                if isinstance(alg, str) and isinstance(value, str):
                    found.add(f"{alg.lower()}:{value.lower()}")
        return found


_SNIFFED: weakref.WeakKeyDictionary[Document, Attestation | None] = weakref.WeakKeyDictionary()


def sniff(doc: Document) -> Attestation | None:
    """The attestation ``doc`` is, or None; never raises (for detection). Cached per document."""
    if doc not in _SNIFFED:
        try:
            _SNIFFED[doc] = read(doc)
        except EvidenceError:
            _SNIFFED[doc] = None
    return _SNIFFED[doc]


def _payload(outer: Mapping[str, Any], name: str) -> tuple[str, dsse.Envelope] | None:
    """(envelope kind, DSSE envelope) when ``outer`` is a signed in-toto wrapper."""
    media_type = outer.get("mediaType")
    if isinstance(media_type, str) and media_type.startswith(SIGSTORE_MEDIA_TYPE_PREFIX):
        inner = outer.get("dsseEnvelope")
        if not isinstance(inner, Mapping):
            return None  # a message signature: an artifact signature, not an attestation
        return SIGSTORE, dsse.Envelope.from_dict(inner, name=f"{name} dsseEnvelope")
    if {"payloadType", "payload", "signatures"} <= outer.keys():
        return DSSE, dsse.Envelope.from_dict(outer, name=name)
    return None


def read(doc: Document) -> Attestation | None:
    """As :func:`sniff`, but a wrapper that names an evidence predicate and is malformed
    (bad payload, no subjects, unreadable predicate) raises EvidenceError saying why."""
    outer = doc.json_object()
    if outer is None:
        return None
    try:
        found = _payload(outer, doc.name)
        if found is None or found[1].payload_type != dsse.PAYLOAD_TYPE_INTOTO:
            return None
        envelope_kind, envelope = found
        statement = safe.load_json(envelope.payload, name=f"{doc.name}: DSSE payload")
    except EvidenceError:
        return None  # not a well-formed envelope: other parsers judge it
    if not isinstance(statement, dict):
        return None
    evidence_type = evidence_type_of(statement.get("predicateType"))
    if evidence_type is None:
        return None
    where = f"{doc.name}: attestation"
    if statement.get("_type") != STATEMENT_V1:
        raise EvidenceError(f"{where}: statement type {statement.get('_type')!r} is not v1")
    subjects = statement.get("subject")
    if (
        not isinstance(subjects, list)
        or not subjects
        or not all(
            isinstance(s, Mapping) and isinstance(s.get("digest"), Mapping) and s["digest"]
            for s in subjects
        )
    ):
        raise EvidenceError(f"{where} has no subject with a digest")
    attestation = Attestation(
        envelope=envelope_kind,
        outer=outer,
        statement=statement,
        evidence_type=evidence_type,
        inner=doc,  # replaced below
    )
    _open_predicate(attestation, doc.name)
    return attestation


def _json_document(value: Any, name: str) -> Document:
    raw = json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    inner = Document(raw, name)
    inner._json = value  # already parsed strictly: parsers reuse it
    return inner


def _open_predicate(att: Attestation, name: str) -> None:
    statement = att.statement
    predicate = statement.get("predicate")
    predicate_type = statement["predicateType"]
    where = f"{name}: attestation predicate"
    if not isinstance(predicate, dict):
        raise EvidenceError(f"{where} is not an object")
    if predicate_type == VULN:
        scanner = predicate.get("scanner")
        result = scanner.get("result") if isinstance(scanner, Mapping) else None
        if not isinstance(result, (dict, list)):
            raise EvidenceError(f"{where} (vuln) carries no scanner.result")
        metadata = predicate.get("metadata")
        if isinstance(metadata, Mapping) and isinstance(metadata.get("scanFinishedOn"), str):
            att.produced_at = metadata["scanFinishedOn"]
        att.inner = _json_document(result, f"{name}#scanner.result")
        return
    if not predicate_type.startswith(GATECHECK_PREFIX):
        att.inner = _json_document(predicate, f"{name}#predicate")  # CycloneDX / SPDX JSON
        return
    if isinstance(predicate.get("Data"), str):
        att.inner = Document(predicate["Data"].encode("utf-8"), _inner_name(name, predicate))
        if isinstance(predicate.get("Timestamp"), str):
            att.produced_at = predicate["Timestamp"]
        if isinstance(predicate.get("kind"), str):
            att.kind = predicate["kind"]
        return
    # A gatecheck record as the predicate: the record itself (it names its own kind).
    att.record = True
    att.inner = _json_document(predicate, f"{name}#predicate")


def _inner_name(name: str, predicate: Mapping[str, Any]) -> str:
    # YAML records are told apart by their file name; keep the producer's suffix.
    original = predicate.get("name")
    if isinstance(original, str) and original.lower().endswith((".yaml", ".yml")):
        return f"{name}#{original.rsplit('/', 1)[-1]}"
    return f"{name}#Data"


# -- verifying -------------------------------------------------------------------------------


@dataclass
class Verified:
    """The outcome of checking an attestation's signature (not yet whether it is trusted)."""

    ok: bool
    reason: str | None = None
    key_id: str | None = None
    identity: str | None = None
    issuer: str | None = None
    root: str | None = None
    signed_at: str | None = None
    """A time a transparency log or timestamp authority proved (Sigstore), if any."""


def verify(
    att: Attestation,
    *,
    name: str,
    raw: bytes,
    key_pems: Sequence[str],
    roots: Sequence[str],
) -> Verified:
    """Check the attestation's signature with the given keys (DSSE, or a key-signed Sigstore
    bundle) or against the given Sigstore roots (keyless). Never trusts anything else."""
    from gatecheck.evidence.signing import signatures

    ctx = ParseContext(
        config={
            "trusted_keys": [{"pem": pem} for pem in key_pems],
            "sigstore_trusted_root": list(roots) or ["public-good"],
        }
    )
    if att.envelope == SIGSTORE:
        check = signatures.check_sigstore_bundle(att.outer, name=name, pointer="", ctx=ctx, raw=raw)
    else:
        check = signatures.check_dsse_envelope(att.outer, name=name, pointer="", ctx=ctx)
    if not check.verified:
        return Verified(ok=False, reason=check.reason or "the signature does not verify")
    signer = check.signer or {}
    return Verified(
        ok=True,
        key_id=signer.get("key_id"),
        identity=signer.get("identity"),
        issuer=signer.get("issuer"),
        root=(check.trusted_root or {}).get("name"),
        signed_at=check.signed_at,
    )


# -- making ----------------------------------------------------------------------------------


def predicate_for(
    raw: bytes,
    evidence_type: str,
    *,
    name: str,
    kind: str | None = None,
    timestamp: str,
) -> tuple[str, dict[str, Any]]:
    """(predicateType, predicate) wrapping a tool's output unchanged.

    CycloneDX and SPDX JSON SBOMs and JSON vulnerability scans take cosign's predicate types;
    gatecheck records (JSON or YAML) go in as the record; everything else as the exact text.
    """
    from gatecheck.evidence.records.models import RECORD_TYPES

    doc = Document(raw, name)
    value = doc.json_object()
    if evidence_type == "sbom" and value is not None:
        if value.get("bomFormat") == "CycloneDX":
            return CYCLONEDX, value
        if isinstance(value.get("spdxVersion"), str):
            return SPDX, value
    if evidence_type == "vulnerability-scan" and value is not None:
        return VULN, {
            "invocation": {"parameters": None, "uri": "", "event_id": "", "builder.id": ""},
            "scanner": {
                "uri": "",
                "version": "",
                "db": {"uri": "", "version": ""},
                "result": value,
            },
            "metadata": {"scanStartedOn": timestamp, "scanFinishedOn": timestamp},
        }
    record_type = next((t for t, f in _RECORD_FAMILY.items() if f == evidence_type), None)
    if evidence_type in RECORD_TYPES or record_type:
        record = doc.structured
        if isinstance(record, dict) and isinstance(record.get("kind"), str):
            return gatecheck_predicate_type(_record_type(record["kind"])), record
    text = doc.text
    predicate: dict[str, Any] = {"Data": text, "Timestamp": timestamp, "name": name}
    predicate["mediaType"] = (
        "application/json"
        if doc.looks_like_json()
        else "application/xml"
        if doc.looks_like_xml()
        else "text/plain"
    )
    if kind:
        predicate["kind"] = kind
    return gatecheck_predicate_type(evidence_type), predicate


def _record_type(kind: str) -> str:
    from gatecheck.evidence.records.models import KINDS, RECORD_TYPES

    model = KINDS.get(kind)
    for record_type, candidate in RECORD_TYPES.items():
        if candidate is model:
            return record_type
    raise EvidenceError(f"record kind {kind!r} is not a gatecheck record type")


def statement(
    predicate_type: str, predicate: dict[str, Any], subjects: list[dict[str, Any]]
) -> dict[str, Any]:
    if not subjects:
        raise EvidenceError("an attestation needs at least one subject (the release's artifacts)")
    return {
        "_type": STATEMENT_V1,
        "subject": subjects,
        "predicateType": predicate_type,
        "predicate": predicate,
    }


def sign(statement_: dict[str, Any], key: PrivateKey) -> dsse.Envelope:
    """The statement as a DSSE envelope signed by ``key`` (keyid: the key's sha256 id)."""
    payload = json.dumps(statement_, sort_keys=True, separators=(",", ":")).encode("utf-8")
    return dsse.sign(payload, dsse.PAYLOAD_TYPE_INTOTO, key)


def subject_from_digest(name: str, digest: str) -> dict[str, Any]:
    """An in-toto ResourceDescriptor from ``sha256:<hex>`` / ``sha512:<hex>``."""
    alg, _, value = digest.partition(":")
    alg = alg.lower()
    if alg not in ("sha256", "sha512") or not value:
        raise EvidenceError(f"subject digest {digest!r} is not sha256:<hex> or sha512:<hex>")
    try:
        binascii.unhexlify(value)
    except binascii.Error:
        raise EvidenceError(f"subject digest {digest!r} is not hex") from None
    return {"name": name, "digest": {alg: value.lower()}}
