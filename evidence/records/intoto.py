"""gatecheck records wrapped as the predicate of an in-toto Statement v1, plain or signed in a
DSSE envelope.

A record can come three ways, and policies see the same facts for each:

- plain: the record itself, JSON or YAML (``kind: Approval``...);
- an in-toto Statement v1 (JSON) whose ``predicateType`` is
  ``https://gatecheck.dev/attestation/<type>/v1`` and whose ``predicate`` is the record;
- that Statement as the payload of a DSSE envelope (``payloadType``
  ``application/vnd.in-toto+json``), verified against the configuration's ``trusted_keys``
  (``[{pem, key_id?}]``); which of those keys a control trusts for what is policy data.

Every fact carries ``signed``, ``verified``, ``signer`` (``{key_id, alias}`` of the first
signature a configured key verifies, else null) and ``verification_error``. A bad signature
is a fact for the control to judge, not a parse error; a malformed envelope or statement is.
"""

from __future__ import annotations

import json
import re
import weakref
from dataclasses import dataclass, field
from typing import Any

from gatecheck.errors import EvidenceError
from gatecheck.evidence import safe
from gatecheck.evidence.interface import Document, ParseContext
from gatecheck.evidence.records.models import KINDS, RECORD_TYPES, Record
from gatecheck.evidence.signing import dsse
from gatecheck.evidence.signing.keys import PrivateKey, trusted_keys

STATEMENT_V1 = "https://in-toto.io/Statement/v1"
PREDICATE_TYPE_PREFIX = "https://gatecheck.dev/attestation/"
KEYS_CONFIG = "trusted_keys"

PLAIN, STATEMENT, ENVELOPE = "plain", "intoto", "dsse"


def predicate_type(record_type: str) -> str:
    """The predicateType of a record type (``approval`` ->
    ``https://gatecheck.dev/attestation/approval/v1``)."""
    if record_type not in RECORD_TYPES:
        raise KeyError(record_type)
    return f"{PREDICATE_TYPE_PREFIX}{record_type}/v1"


_KIND_BY_PREDICATE = {
    predicate_type(name): model.model_fields["kind"].default for name, model in RECORD_TYPES.items()
}


def unsigned_facts() -> dict[str, Any]:
    return {"signed": False, "verified": False, "signer": None, "verification_error": None}


@dataclass
class Sniffed:
    """What a cheap look at a document found: the form, the record kind and the record."""

    form: str
    kind: str | None
    """The record ``kind`` (for a bare list, the kind its items share), or None."""
    value: Any
    """The record as JSON: an object, or a list for a bare list of records."""
    pointer: str
    """JSON pointer of the record in the original file (``""``, ``/predicate``, ``/payload``)."""
    envelope: dsse.Envelope | None = None
    statement: dict[str, Any] = field(default_factory=dict)


_SNIFFED: weakref.WeakKeyDictionary[Document, Sniffed | None] = weakref.WeakKeyDictionary()


def sniff(doc: Document) -> Sniffed | None:
    """The record in ``doc`` in any of the three forms, or None when it holds none.

    Never raises (detection must not); cached per document because every governance parser
    asks during detection.
    """
    if doc not in _SNIFFED:
        try:
            _SNIFFED[doc] = read(doc)
        except EvidenceError:
            _SNIFFED[doc] = None
    return _SNIFFED[doc]


def read(doc: Document) -> Sniffed | None:
    """As :func:`sniff`, but raises EvidenceError when ``doc`` cannot be decoded at all."""
    if doc.looks_like_json():
        value = doc.json
    elif _looks_like_yaml_record(doc):
        value = doc.yaml
    else:
        return None
    if isinstance(value, list):
        return Sniffed(PLAIN, _list_kind(value), value, "")
    if not isinstance(value, dict):
        return None
    if value.get("_type") == STATEMENT_V1:
        return _statement(value, "/predicate")
    if {"payloadType", "payload", "signatures"} <= value.keys():
        if value.get("payloadType") != dsse.PAYLOAD_TYPE_INTOTO:
            return None
        envelope = dsse.Envelope.from_dict(value, name=doc.name)
        inner = safe.load_json(envelope.payload, name=f"{doc.name}: DSSE payload")
        if not isinstance(inner, dict) or inner.get("_type") != STATEMENT_V1:
            return None
        sniffed = _statement(inner, "/payload")
        if sniffed is not None:
            sniffed.form = ENVELOPE
            sniffed.envelope = envelope
        return sniffed
    kind = value.get("kind")
    return Sniffed(PLAIN, kind if isinstance(kind, str) else None, value, "")


# A YAML record has a top-level `apiVersion:` or `kind:` line (`- kind:` in a bare list).
# Decided on content, not the file name: bundles store files under their digest.
_YAML_RECORD_RE = re.compile(rb"^(?:-[ \t]+)?(?:apiVersion|kind)[ \t]*:", re.MULTILINE)


def _looks_like_yaml_record(doc: Document) -> bool:
    return not doc.looks_like_xml() and _YAML_RECORD_RE.search(doc.head) is not None


def _list_kind(items: list[Any]) -> str | None:
    kinds = {item.get("kind") if isinstance(item, dict) else None for item in items}
    if len(kinds) == 1:
        kind = kinds.pop()
        return kind if isinstance(kind, str) else None
    return None


def _statement(statement: dict[str, Any], pointer: str) -> Sniffed | None:
    kind = _KIND_BY_PREDICATE.get(statement.get("predicateType"))  # type: ignore[arg-type]
    if kind is None:
        return None  # someone else's attestation (SLSA provenance, VSA...)
    predicate = statement.get("predicate")
    return Sniffed(STATEMENT, kind, predicate, pointer, statement=statement)


def open_record(doc: Document, sniffed: Sniffed, ctx: ParseContext) -> dict[str, Any]:
    """Check the statement and the signatures of a sniffed record; return the signature facts
    (plus ``statement`` for wrapped records). The record itself is ``sniffed.value``."""
    if sniffed.form == PLAIN:
        return unsigned_facts()
    _check_statement(doc.name, sniffed)
    facts = unsigned_facts()
    if sniffed.envelope is not None:
        facts.update(_verify(sniffed.envelope, ctx))
    facts["statement"] = {
        "predicate_type": sniffed.statement["predicateType"],
        "subject": sniffed.statement["subject"],
    }
    return facts


def _check_statement(name: str, sniffed: Sniffed) -> None:
    statement = sniffed.statement
    where = f"{name}: in-toto statement" + (" in the DSSE payload" if sniffed.envelope else "")
    subjects = statement.get("subject")
    if not isinstance(subjects, list) or not subjects:
        raise EvidenceError(f"{where} has no subject list")
    for i, subject in enumerate(subjects):
        digest = subject.get("digest") if isinstance(subject, dict) else None
        if (
            not isinstance(digest, dict)
            or not digest
            or not all(isinstance(k, str) and isinstance(v, str) for k, v in digest.items())
        ):
            raise EvidenceError(f"{where}: /subject/{i} has no digest map")
    if not isinstance(sniffed.value, dict):
        raise EvidenceError(f"{where}: predicate must be an object (the gatecheck record)")
    declared = sniffed.value.get("kind")
    if declared is not None and declared != sniffed.kind:
        raise EvidenceError(
            f"{where}: predicate kind {declared!r} does not match predicateType "
            f"{statement['predicateType']}"
        )


def _verify(envelope: dsse.Envelope, ctx: ParseContext) -> dict[str, Any]:
    keys = trusted_keys(ctx.config.get(KEYS_CONFIG), what=f"config {KEYS_CONFIG}")
    facts: dict[str, Any] = {"signed": True}
    if not keys:
        facts["verification_error"] = (
            f"signed, but no keys are configured to verify it (config {KEYS_CONFIG})"
        )
        return facts
    verified = dsse.verify(envelope, keys)
    if not verified:
        facts["verification_error"] = (
            f"none of the {len(envelope.signatures)} signature(s) verifies with the "
            f"{len(keys)} configured key(s)"
        )
        return facts
    first = verified[0]
    facts["verified"] = True
    facts["signer"] = {"key_id": first.key_id, "alias": first.alias}
    return facts


# -- producing wrapped records (tests, and tools that emit gatecheck records) -----------------


def statement_for(
    record: Record | dict[str, Any], subjects: list[dict[str, Any]], record_type: str | None = None
) -> dict[str, Any]:
    """An in-toto Statement v1 with ``record`` as its predicate.

    ``subjects`` are in-toto ResourceDescriptors (``{name, digest: {sha256: ...}}``), e.g. the
    release's artifacts.
    """
    if isinstance(record, Record):
        predicate = record.model_dump(mode="json", by_alias=True, exclude_none=True)
        kind = predicate["kind"]
    else:
        predicate = dict(record)
        kind = predicate.get("kind")
    if record_type is None:
        record_type = next(
            (name for name, model in RECORD_TYPES.items() if KINDS.get(kind) is model), None
        )
        if record_type is None:
            raise ValueError(f"record kind {kind!r} is not a gatecheck record type")
    return {
        "_type": STATEMENT_V1,
        "subject": subjects,
        "predicateType": predicate_type(record_type),
        "predicate": predicate,
    }


def sign_statement(statement: dict[str, Any], key: PrivateKey) -> dsse.Envelope:
    """The statement in a DSSE envelope signed by ``key``."""
    payload = json.dumps(statement, sort_keys=True, separators=(",", ":")).encode("utf-8")
    return dsse.sign(payload, dsse.PAYLOAD_TYPE_INTOTO, key)
