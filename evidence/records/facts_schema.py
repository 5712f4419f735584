"""The schema of the facts a gatecheck record becomes in the policy input (``Record.facts``):
the contract between the parsers and the policies.

It is the record's own schema read as the facts are written: wire names, without
``apiVersion``/``kind``, and every declared field required, null when the file does not give
it (an absent value has that one representation). Keys gatecheck and the parsers add around
a record (``source``, ``tool``, ``labels``, ``pointer``, signature facts) are allowed at the top
level only. ``gatecheck schema --facts TYPE`` prints it; tests validate the parsers' output and
the Rego test fixtures (policies/lib/facts_test.rego) against it.
"""

from __future__ import annotations

import copy
from typing import Any

from gatecheck.evidence.records.lifecycle_models import EnvironmentSnapshot, PipelineAuditLog
from gatecheck.evidence.records.models import (
    RECORD_TYPES,
    Approval,
    ChangeRecord,
    CmdbExport,
    Record,
)

# The record's own ``type`` is ``kind`` in the facts (``kind`` names the record type in files).
_TYPE_AS_KIND = (Approval, EnvironmentSnapshot)

CUSTOM_FACTS: frozenset[type[Record]] = frozenset({PipelineAuditLog})
"""Records whose parser writes facts of its own shape (the audit log's verified hash chain):
their facts are documented with the parser, not derived from the record schema."""


def _require_all(node: Any) -> None:
    """Every object schema under ``node`` requires all of its properties."""
    if isinstance(node, dict):
        properties = node.get("properties")
        if isinstance(properties, dict):
            node["required"] = sorted(properties)
        for value in node.values():
            _require_all(value)
    elif isinstance(node, list):
        for value in node:
            _require_all(value)


def facts_schema(model: type[Record]) -> dict[str, Any]:
    """JSON Schema of ``model``'s facts (ValueError for a record with custom facts)."""
    if model in CUSTOM_FACTS:
        raise ValueError(f"{model.__name__} facts are written by its parser, not from its schema")
    schema = copy.deepcopy(model.model_json_schema(mode="serialization", by_alias=True))
    properties: dict[str, Any] = schema.setdefault("properties", {})
    properties.pop("apiVersion", None)
    properties.pop("kind", None)
    if model in _TYPE_AS_KIND:
        properties["kind"] = properties.pop("type")
    if model is ChangeRecord:
        # The template claim is normalized: its name or null, plus whether one was claimed.
        properties["pre_approved_template"] = {"anyOf": [{"type": "string"}, {"type": "null"}]}
        properties["pre_approved"] = {"type": "boolean"}
    if model is CmdbExport:
        # Each item carries the pointer to its place in the file (for evidence references).
        item = schema["$defs"]["ConfigurationItem"]["properties"]
        item["pointer"] = {"type": "string"}
    _require_all(schema)
    schema["additionalProperties"] = True
    schema.pop("title", None)
    return schema


def facts_schemas() -> dict[str, dict[str, Any]]:
    """Facts schema of every record type with schema-derived facts, by type name."""
    return {name: facts_schema(m) for name, m in RECORD_TYPES.items() if m not in CUSTOM_FACTS}
