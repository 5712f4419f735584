"""Which parser reads which file. Parsers are imported lazily so the CLI starts fast."""

from __future__ import annotations

import importlib
from functools import cache
from typing import Any

from gatecheck.errors import EvidenceError, GatecheckError
from gatecheck.evidence import safe
from gatecheck.evidence.interface import Document, EvidenceParser, ParseContext

# Tried in order by detect(); more specific formats first.
PARSERS: tuple[str, ...] = (
    "gatecheck.evidence.release:ReleaseManifestParser",
    # Lifecycle records (gatecheck's own kinds; k6 summaries need metrics + root_group).
    "gatecheck.evidence.lifecycle:EnvironmentSnapshotParser",
    "gatecheck.evidence.lifecycle:SegmentationTestParser",
    "gatecheck.evidence.lifecycle:PipelineAuditLogParser",
    "gatecheck.evidence.lifecycle:PerformanceSummaryParser",
    "gatecheck.evidence.lifecycle:K6SummaryParser",
    "gatecheck.evidence.lifecycle:PentestSummaryParser",
    "gatecheck.evidence.lifecycle:MigrationDryRunParser",
    "gatecheck.evidence.lifecycle:DeploymentMetricsParser",
    "gatecheck.evidence.lifecycle:MonitoringConfigParser",
    "gatecheck.evidence.lifecycle:RunbookParser",
    "gatecheck.evidence.lifecycle:BackupRestoreTestParser",
    "gatecheck.evidence.lifecycle:RollbackTestParser",
    "gatecheck.evidence.lifecycle:StateSnapshotParser",
    # gatecheck records (plain, in-toto or DSSE) before any generic in-toto/DSSE parser.
    "gatecheck.evidence.governance:ChangeRecordParser",
    "gatecheck.evidence.governance:ApprovalParser",
    "gatecheck.evidence.governance:MaskingAttestationParser",
    "gatecheck.evidence.governance:DataCloneParser",
    "gatecheck.evidence.governance:CmdbExportParser",
    "gatecheck.evidence.governance:GitHubReviewsParser",
    "gatecheck.evidence.governance:ServiceNowCmdbParser",
    "gatecheck.evidence.cyclonedx:CycloneDxParser",
    "gatecheck.evidence.spdx:SpdxParser",
    "gatecheck.evidence.pipaudit:PipAuditParser",
    "gatecheck.evidence.osvscanner:OsvScannerParser",
    "gatecheck.evidence.grype:GrypeParser",
    "gatecheck.evidence.trivy:TrivyParser",
    "gatecheck.evidence.sarif:SarifParser",
    # SLSA provenance (plain, DSSE or in a Sigstore bundle) before generic signatures, so a
    # signed provenance attestation is read as provenance; `--type signature` overrides.
    "gatecheck.evidence.provenance:ProvenanceParser",
    "gatecheck.evidence.signatures:SignatureParser",
    "gatecheck.evidence.junit:JUnitParser",
    # Last: LCOV is plain text, detected only by its SF:/end_of_record records.
    "gatecheck.evidence.coverage:CoverageParser",
)


@cache
def parsers() -> tuple[EvidenceParser, ...]:
    loaded = []
    for spec in PARSERS:
        module_name, _, class_name = spec.partition(":")
        loaded.append(getattr(importlib.import_module(module_name), class_name)())
    return tuple(loaded)


def families() -> list[str]:
    return sorted({p.family for p in parsers()})


def input_key(family: str) -> str:
    return family.replace("-", "_")


def detect(doc: Document, family: str | None = None) -> tuple[EvidenceParser, str]:
    """Find the parser and format for ``doc``; with ``family``, only parsers of that family."""
    candidates = [p for p in parsers() if family is None or p.family == family]
    if family is not None and not candidates:
        raise EvidenceError(
            f"unknown evidence type {family!r}; known types: {', '.join(families())}"
        )
    for parser in candidates:
        fmt = _guarded(doc, parser, "detecting", parser.detect, doc)
        if fmt:
            return parser, fmt
    _raise_unreadable(doc)
    if family is not None:
        formats = sorted({f for p in candidates for f in p.formats})
        raise EvidenceError(
            f"{doc.name}: not a supported {family} format (supported: {', '.join(formats)})"
        )
    raise EvidenceError(
        f"{doc.name}: unknown evidence format; pass --type to say what it is "
        f"(known types: {', '.join(families())})"
    )


def _raise_unreadable(doc: Document) -> None:
    """A file that looks like JSON/XML but does not parse gets the parse error, which says more."""
    if doc.looks_like_json():
        doc.json  # noqa: B018 - raises EvidenceError with the reason
    elif doc.looks_like_xml():
        doc.xml  # noqa: B018
    elif doc.name.lower().endswith((".yaml", ".yml")):
        safe.load_yaml(doc.raw, name=doc.name)  # an alias bomb or a bad tag says so


def parser_for(family: str, fmt: str) -> EvidenceParser:
    for parser in parsers():
        if parser.family == family and fmt in parser.formats:
            return parser
    raise EvidenceError(f"no parser for evidence type {family!r} in format {fmt!r}")


def parse(doc: Document, family: str, fmt: str, ctx: ParseContext) -> dict[str, Any]:
    parser = parser_for(family, fmt)
    return _guarded(doc, parser, f"reading it as {fmt}", parser.parse, doc, fmt, ctx)


def tool(doc: Document, parser: EvidenceParser, fmt: str) -> Any:
    """The producing tool the file names, through the same guard as parse."""
    return _guarded(doc, parser, f"reading its tool as {fmt}", parser.tool, doc, fmt)


def _guarded(doc: Document, parser: EvidenceParser, what: str, fn: Any, *args: Any) -> Any:
    """Evidence is hostile input: a parser that trips over an unexpected shape (a string where
    it expected a list, a surprising number) must refuse the file, not crash the gate. Only
    gatecheck's own errors leave a parser; anything else becomes an EvidenceError naming the
    file, so ``bundle add`` refuses it and ``evaluate`` ends in decision error."""
    try:
        return fn(*args)
    except GatecheckError:
        raise
    except Exception as exc:  # noqa: BLE001 - fail closed on any parser failure
        detail = " ".join(str(exc).split())[:200]
        raise EvidenceError(
            f"{doc.name}: unexpected content while {what} "
            f"({type(parser).__name__}: {type(exc).__name__}: {detail})"
        ) from exc
