"""Why a control says what it says: its documentation, and with a bundle the evaluation's
result for it, the findings, and the exact evidence values they cite."""

from __future__ import annotations

import difflib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gatecheck.engine.evaluate import EvaluationRequest, evaluate, load_policies
from gatecheck.engine.interface import Engine
from gatecheck.engine.policy_docs import STAGES, control_catalog, enforcement, param_value
from gatecheck.errors import GatecheckError, UsageError
from gatecheck.evidence import safe

MAX_VALUE_CHARS = 400


@dataclass
class CitedValue:
    path: str
    pointer: str
    value: Any = None
    """The JSON value at ``pointer`` in the original file (when ``found``)."""
    found: bool = False
    note: str = ""

    def short(self) -> str:
        return _short(self.value)


@dataclass
class Explanation:
    info: dict[str, Any]
    enforcement: dict[str, str]
    """Stage -> fail / warn / off, with the configuration applied."""
    params: dict[str, Any]
    """Parameter -> value at the asked stage (or the default without one)."""
    stage: str | None = None
    report: dict[str, Any] | None = None
    result: dict[str, Any] | None = None
    inputs: list[dict[str, Any]] = field(default_factory=list)
    """The bundle's evidence entries of the types the control reads."""
    cited: list[CitedValue] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "control": self.info,
            "enforcement": self.enforcement,
            "params": self.params,
            "stage": self.stage,
            "decision": (self.report or {}).get("decision"),
            "result": self.result,
            "inputs": self.inputs,
            "cited": [c.__dict__ for c in self.cited],
        }


def _lookup(catalog: dict[str, dict[str, Any]], control_id: str) -> dict[str, Any]:
    wanted = control_id.strip().upper()
    for key, info in catalog.items():
        if key.upper() == wanted:
            return info
    close = difflib.get_close_matches(wanted, list(catalog), n=3, cutoff=0.6)
    hint = f"; did you mean {', '.join(close)}?" if close else f"; known: {', '.join(catalog)}"
    raise UsageError(f"unknown control {control_id!r}{hint}")


def resolve_pointer(document: Any, pointer: str) -> Any:
    """RFC 6901: the value at ``pointer`` (KeyError when it does not resolve)."""
    if pointer == "":
        return document
    if not pointer.startswith("/"):
        raise KeyError(pointer)
    value = document
    for token in pointer[1:].split("/"):
        token = token.replace("~1", "/").replace("~0", "~")
        if isinstance(value, list):
            if not token.isdigit() or int(token) >= len(value):
                raise KeyError(pointer)
            value = value[int(token)]
        elif isinstance(value, dict) and token in value:
            value = value[token]
        else:
            raise KeyError(pointer)
    return value


def _short(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)
    return text if len(text) <= MAX_VALUE_CHARS else text[: MAX_VALUE_CHARS - 3] + "..."


def _citable(file: Path, name: str) -> Any:
    """The document a finding's pointer is relative to: the file itself, or, for a signed
    attestation, the tool output it wraps (parsers cite positions in what they read)."""
    from gatecheck.evidence import registry
    from gatecheck.evidence.interface import Document

    doc = Document(file.read_bytes(), name)
    att = registry.wrapped(doc)
    return att.inner.structured if att is not None else safe.load_structured(doc.raw, name=name)


def _cited_values(bundle: Any, refs: list[dict[str, Any]]) -> list[CitedValue]:
    """The values findings cite, read from the bundle's original (verified) evidence files."""
    from gatecheck.bundles.archive import OpenedBundle

    cited, documents = [], {}
    with OpenedBundle(bundle) as opened:
        for ref in refs:
            path, pointer = str(ref.get("path")), ref.get("pointer") or ""
            if not pointer:
                cited.append(CitedValue(path, "", note="the whole file"))
                continue
            if path not in documents:
                try:
                    documents[path] = _citable(opened.root / path, path)
                except (OSError, GatecheckError):
                    documents[path] = None
            document = documents[path]
            if document is None:
                cited.append(CitedValue(path, pointer, note="not a JSON or YAML document"))
                continue
            try:
                value = resolve_pointer(document, pointer)
            except KeyError:
                cited.append(CitedValue(path, pointer, note="pointer not found in the file"))
            else:
                cited.append(CitedValue(path, pointer, value, found=True))
    return cited


def explain(
    control_id: str,
    engine: Engine,
    request: EvaluationRequest,
    *,
    with_bundle: bool,
) -> Explanation:
    """The control's documentation; with ``with_bundle``, also the evaluation of
    ``request.bundle`` at ``request.stage`` and what its findings cite."""
    policies = load_policies(request)
    info = _lookup(control_catalog(engine, policies), control_id)
    stage = request.stage or None
    explanation = Explanation(
        info=info,
        enforcement={s: enforcement(info, policies.data, s) for s in STAGES},
        params={name: param_value(policies.data, name, stage) for name in info.get("params") or []},
        stage=stage,
    )
    if not with_bundle:
        return explanation
    report = evaluate(request, engine)
    explanation.report = report
    if report["decision"] == "error":
        return explanation
    explanation.result = next((r for r in report["results"] if r["control"] == info["id"]), None)
    wanted = set(info.get("evidence_types") or [])
    explanation.inputs = [
        e for e in (report.get("bundle") or {}).get("evidence") or [] if e.get("type") in wanted
    ]
    if explanation.result:
        refs = []
        for item in (
            explanation.result.get("violations", [])
            + explanation.result.get("waived", [])
            + explanation.result.get("warnings", [])
        ):
            refs += [r for r in item.get("evidence") or [] if isinstance(r, dict)]
        unique = list({(r.get("path"), r.get("pointer") or ""): r for r in refs}.values())
        explanation.cited = _cited_values(request.bundle, unique[:50])
    return explanation
