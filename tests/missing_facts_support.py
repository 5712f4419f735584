"""Evidence sets whose fields can be deleted one at a time, turned into input documents by the
real parsers and judged by the real engine, many deletions per OPA evaluation.

An :class:`EvidenceSet` holds evidence files as their structured source (JSON/YAML) or raw
bytes (XML, signed envelopes). :meth:`EvidenceSet.deletions` yields every variant that lacks
one field of one structured file, or one whole file. :func:`input_document` builds a variant's
input exactly as ``gatecheck evaluate`` does (``engine.inputdoc.build_input`` over a bundle
manifest of the variant's files), so a deletion the parsers refuse is an evaluation error, and
one they accept reaches the policies in the representation they give it.

:class:`Probe` evaluates many input documents in one OPA evaluation: a query module that
evaluates one control's ``deny``/``warn``/``not_applicable`` ``with input as`` each document.
Builtin errors are strict, so one erroring document fails the whole batch; the batch is then
split until the erroring documents are alone (their outcome is ``error``, never a pass).
"""

from __future__ import annotations

import contextlib
import copy
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from gatecheck.bundles.manifest import BundleManifest, EvidenceEntry, ReleaseRef
from gatecheck.digest import sha256_bytes
from gatecheck.engine.authenticity import Authenticator
from gatecheck.engine.config import Config, load_config
from gatecheck.engine.inputdoc import build_input
from gatecheck.engine.interface import Engine
from gatecheck.engine.policy import PolicyFile, PolicySet, load_policy_set
from gatecheck.errors import EngineError, GatecheckError
from gatecheck.evidence import registry, safe
from gatecheck.evidence.interface import Document, ParseContext

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
EFFECTIVE = "2026-11-27T10:00:00Z"


@dataclass
class EvidenceFile:
    name: str
    value: Any = None
    """Structured source (JSON or YAML), edited by deletions; None for raw files."""
    raw: bytes = b""
    labels: dict[str, str] = field(default_factory=dict)
    family: str | None = None
    """The evidence type, where the content alone does not say (a gitleaks report)."""

    @property
    def structured(self) -> bool:
        return self.value is not None

    def render(self) -> bytes:
        """The file's bytes (a structured file is never edited in place, so once is enough)."""
        if not self.structured:
            return self.raw
        if not self.raw:
            # YAML is written as JSON (its subset): the same facts, parsed far faster.
            self.raw = json.dumps(self.value, indent=1).encode("utf-8")
        return self.raw

    @property
    def bundle_name(self) -> str:
        """The name the file is added under (structured files are written as JSON)."""
        return f"{Path(self.name).stem}.json" if self.structured else self.name

    @classmethod
    def read(
        cls, path: Path, labels: dict[str, str] | None = None, family: str | None = None
    ) -> EvidenceFile:
        raw = path.read_bytes()
        value = None
        # Read as gatecheck reads it (times stay strings) and re-rendered, so that deletions
        # differ from the original by one field only.
        if path.suffix in (".yaml", ".yml", ".json", ".sarif") and not path.name.endswith(
            ".dsse.json"
        ):
            value = safe.load_structured(raw, name=path.name)
        return cls(path.name, value, b"" if value is not None else raw, dict(labels or {}), family)


@dataclass(frozen=True)
class Deletion:
    file: str
    path: tuple[str | int, ...]
    """Keys/indices of the deleted field; empty: the whole file was deleted."""

    def __str__(self) -> str:
        where = "/".join(str(p) for p in self.path)
        return f"{self.file}:/{where}" if self.path else f"{self.file} (whole file)"


def _field_paths(value: Any, prefix: tuple[str | int, ...] = ()) -> Iterator[tuple]:
    """Every object member at any depth (list items are descended into, not deleted: deleting
    one item of many is a different evidence set, not a missing fact)."""
    if isinstance(value, dict):
        for key, member in value.items():
            yield (*prefix, key)
            yield from _field_paths(member, (*prefix, key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _field_paths(item, (*prefix, i))


def _without(value: Any, path: tuple) -> Any:
    copied = copy.deepcopy(value)
    target = copied
    for step in path[:-1]:
        target = target[step]
    del target[path[-1]]
    return copied


@dataclass
class EvidenceSet:
    files: list[EvidenceFile]

    def file(self, name: str) -> EvidenceFile:
        return next(f for f in self.files if f.name == name)

    def copy(self) -> EvidenceSet:
        return EvidenceSet([copy.deepcopy(f) for f in self.files])

    def deletions(self, names: set[str] | None = None) -> Iterator[tuple[Deletion, EvidenceSet]]:
        """Every single-field and whole-file deletion (of the files in ``names``, or all)."""
        for i, f in enumerate(self.files):
            if names is not None and f.name not in names:
                continue
            rest = self.files[:i] + self.files[i + 1 :]
            yield Deletion(f.name, ()), EvidenceSet(rest)
            if not f.structured:
                continue
            for path in _field_paths(f.value):
                changed = EvidenceFile(f.name, _without(f.value, path), b"", f.labels, f.family)
                yield Deletion(f.name, path), EvidenceSet([*rest[:i], changed, *rest[i:]])


def example_set() -> EvidenceSet:
    """The shipped example's readable evidence, with the labels its bundle gives each file."""
    manifest = json.loads((EXAMPLES / "payments-api-1.4.0" / "manifest.json").read_text())
    files = []
    for entry in manifest["evidence"]:
        name = entry["source_name"].removesuffix(".dsse.json")
        path = EXAMPLES / "evidence" / name
        if not path.exists():
            path = EXAMPLES / "evidence" / entry["source_name"]
        if not path.exists():
            continue  # an approval only shipped signed: its original is the attestation
        files.append(EvidenceFile.read(path, entry.get("labels") or {}, entry["type"]))
    return EvidenceSet(files)


@contextlib.contextmanager
def _memoized_parsing(memo: dict[tuple[str, ...], Any]) -> Iterator[None]:
    """registry.parse remembered by content, type, format and context: most variants differ
    from the last by one file, and parsing (YAML above all) dominates building an input."""
    real = registry.parse

    def parse(doc: Document, family: str, fmt: str, ctx: ParseContext) -> Any:
        key = (
            sha256_bytes(doc.raw),
            family,
            fmt,
            json.dumps([ctx.labels, ctx.release], sort_keys=True, default=str),
        )
        if key not in memo:
            try:
                memo[key] = real(doc, family, fmt, ctx)
            except GatecheckError as exc:
                memo[key] = exc
        if isinstance(memo[key], GatecheckError):
            raise memo[key]
        return copy.deepcopy(memo[key])

    registry.parse = parse
    try:
        yield
    finally:
        registry.parse = real


class Builder:
    """Input documents for evidence sets of one release, written under ``root``."""

    def __init__(self, root: Path, stage: str, config_path: Path | None = None) -> None:
        self.root = root
        (root / "evidence").mkdir(parents=True, exist_ok=True)
        self.stage = stage
        self.config, self.config_dir = load_config(config_path) if config_path else (Config(), root)
        self.effective = datetime.fromisoformat(EFFECTIVE.replace("Z", "+00:00"))
        self._entries: dict[tuple[str, str], EvidenceEntry] = {}
        self._parsed: dict[tuple[str, ...], Any] = {}

    def _entry(self, f: EvidenceFile) -> EvidenceEntry:
        raw = f.render()
        digest = sha256_bytes(raw)
        key = (digest, json.dumps(f.labels, sort_keys=True))
        if key not in self._entries:
            path = f"evidence/{digest}{Path(f.bundle_name).suffix}"
            (self.root / path).write_bytes(raw)
            parser, fmt = registry.detect(Document(raw, f.bundle_name), f.family)
            self._entries[key] = EvidenceEntry(
                path=path,
                type=parser.family,
                format=fmt,
                sha256=digest,
                size=len(raw),
                added_at="2026-11-27T08:00:00Z",
                source_name=f.bundle_name,
                labels=f.labels,
            )
        return self._entries[key]

    def input_document(self, evidence: EvidenceSet) -> dict[str, Any]:
        """The input ``gatecheck evaluate`` would build; GatecheckError when it would refuse."""
        entries = [self._entry(f) for f in evidence.files]
        release = next((e for e in entries if e.type == "release-manifest"), None)
        value = (
            next(f for f in evidence.files if f.bundle_name == release.source_name).value
            if release
            else {}
        )
        name, version = (value or {}).get("name"), (value or {}).get("version")
        manifest = BundleManifest(
            release=ReleaseRef(name=str(name or "unnamed"), version=str(version or "0")),
            created_at="2026-11-27T08:00:00Z",
            state="sealed",
            evidence=entries,
        )
        manifest.digest = manifest.compute_digest()
        with _memoized_parsing(self._parsed):
            return build_input(
                self.root,
                manifest,
                stage=self.stage,
                effective=self.effective,
                evidence_config=self.config.evidence_config(self.config_dir),
                authenticator=Authenticator(
                    self.config.resolved_trust(self.config_dir),
                    required=False,
                    effective=self.effective,
                ),
            )

    def family(self, f: EvidenceFile) -> str:
        """The evidence type the file is detected as."""
        return self._entry(f).type

    def policies(self, params: dict[str, Any] | None = None) -> PolicySet:
        overlay = self.config.data_overlay(self.config_dir)
        if params:
            config = overlay.setdefault("gatecheck", {}).setdefault("config", {})
            config.setdefault("params", {}).update(params)
        policies = load_policy_set([], [], overlay)
        policies.modules.append(PolicyFile("probe/missing_facts.rego", "0" * 64, PROBE))
        return policies


PROBE = """package gatecheck_probe

import rego.v1

import data.gatecheck.lib

outcomes := [o | some c in input.cases; o := outcome(c.controls, c.input)]

outcome(names, doc) := o if {
	o := {name: {
		"enforcement": lib.enforcement(data.gatecheck.controls[name].info),
		"deny": [r.msg | some r in data.gatecheck.controls[name].deny],
		"warn": [r.msg | some r in data.gatecheck.controls[name].warn],
		"not_applicable": [r | some r in data.gatecheck.controls[name].not_applicable],
	} | some name in names} with input as doc
}
"""


def status(outcome: dict[str, Any]) -> str:
    """A control's status as engine.decision.decide gives it (no waivers)."""
    if outcome["enforcement"] == "off":
        return "off"
    if outcome["deny"]:
        return "fail" if outcome["enforcement"] == "fail" else "warn"
    if outcome["warn"]:
        return "warn"
    return "not_applicable" if outcome["not_applicable"] else "pass"


class Probe:
    def __init__(self, engine: Engine, policies: PolicySet) -> None:
        self.engine, self.policies = engine, policies
        self.evaluations = 0

    def outcomes(
        self, cases: list[tuple[list[str], dict[str, Any]]]
    ) -> list[dict[str, Any] | None]:
        """Per (control packages, input document): each control's outcome by package; None
        where OPA errors on the document."""
        if not cases:
            return []
        self.evaluations += 1
        try:
            value = self.engine.evaluate(
                self.policies,
                {"cases": [{"controls": c, "input": doc} for c, doc in cases]},
                "gatecheck_probe.outcomes",
            )
        except EngineError:
            if len(cases) == 1:
                return [None]
            half = len(cases) // 2
            return self.outcomes(cases[:half]) + self.outcomes(cases[half:])
        return list(value)


__all__ = [
    "Builder",
    "Deletion",
    "EvidenceFile",
    "EvidenceSet",
    "GatecheckError",
    "Probe",
    "example_set",
    "status",
]
