"""Which parser reads which file. Parsers are imported lazily so the CLI starts fast."""

from __future__ import annotations

import importlib
from functools import cache
from typing import TYPE_CHECKING, Any

from gatecheck.errors import EvidenceError, GatecheckError
from gatecheck.evidence import safe
from gatecheck.evidence.interface import Document, EvidenceParser, ParseContext

if TYPE_CHECKING:
    from gatecheck.evidence.signing.attestation import Attestation

# (family, "module:Class"): tried in order by detect(); more specific formats first. The family
# is stated here so reading a bundle imports only the parser modules of the families in it.
PARSERS: tuple[tuple[str, str], ...] = (
    ("release-manifest", "gatecheck.evidence.records.release:ReleaseManifestParser"),
    # Lifecycle records (gatecheck's own kinds; k6 summaries need metrics + root_group).
    ("environment-snapshot", "gatecheck.evidence.records.lifecycle:EnvironmentSnapshotParser"),
    ("segmentation-test", "gatecheck.evidence.records.lifecycle:SegmentationTestParser"),
    ("pipeline-audit-log", "gatecheck.evidence.records.lifecycle:PipelineAuditLogParser"),
    ("performance-summary", "gatecheck.evidence.records.lifecycle:PerformanceSummaryParser"),
    ("performance-summary", "gatecheck.evidence.records.lifecycle:K6SummaryParser"),
    ("pentest-summary", "gatecheck.evidence.records.lifecycle:PentestSummaryParser"),
    ("migration-dry-run", "gatecheck.evidence.records.lifecycle:MigrationDryRunParser"),
    ("deployment-metrics", "gatecheck.evidence.records.lifecycle:DeploymentMetricsParser"),
    ("monitoring-config", "gatecheck.evidence.records.lifecycle:MonitoringConfigParser"),
    ("runbook", "gatecheck.evidence.records.lifecycle:RunbookParser"),
    ("backup-restore-test", "gatecheck.evidence.records.lifecycle:BackupRestoreTestParser"),
    ("rollback-test", "gatecheck.evidence.records.lifecycle:RollbackTestParser"),
    ("state-snapshot", "gatecheck.evidence.records.lifecycle:StateSnapshotParser"),
    ("deployment-lock", "gatecheck.evidence.records.operations:DeploymentLockParser"),
    ("stabilization-review", "gatecheck.evidence.records.operations:StabilizationReviewParser"),
    ("rollback-history", "gatecheck.evidence.records.operations:RollbackHistoryParser"),
    # gatecheck records (plain, in-toto or DSSE) before any generic in-toto/DSSE parser.
    ("change-record", "gatecheck.evidence.records.governance:ChangeRecordParser"),
    ("approval", "gatecheck.evidence.records.governance:ApprovalParser"),
    ("masking-attestation", "gatecheck.evidence.records.governance:MaskingAttestationParser"),
    ("data-clone", "gatecheck.evidence.records.governance:DataCloneParser"),
    ("cmdb-export", "gatecheck.evidence.records.governance:CmdbExportParser"),
    ("approval", "gatecheck.evidence.records.governance:GitHubReviewsParser"),
    ("cmdb-export", "gatecheck.evidence.records.governance:ServiceNowCmdbParser"),
    ("sbom", "gatecheck.evidence.sbom.cyclonedx:CycloneDxParser"),
    ("sbom", "gatecheck.evidence.sbom.spdx:SpdxParser"),
    ("vulnerability-scan", "gatecheck.evidence.scans.pipaudit:PipAuditParser"),
    ("vulnerability-scan", "gatecheck.evidence.scans.osvscanner:OsvScannerParser"),
    ("vulnerability-scan", "gatecheck.evidence.scans.grype:GrypeParser"),
    ("vulnerability-scan", "gatecheck.evidence.scans.trivy:TrivyParser"),
    ("sast", "gatecheck.evidence.scans.sarif:SarifParser"),
    # Secret scans: gitleaks is detected by its findings' shape; a Trivy report or SARIF is a
    # secret scan when added with --type secret-scan (or attested as one).
    ("secret-scan", "gatecheck.evidence.scans.secrets:GitleaksParser"),
    ("secret-scan", "gatecheck.evidence.scans.secrets:TrivySecretsParser"),
    ("secret-scan", "gatecheck.evidence.scans.secrets:SarifSecretsParser"),
    # SLSA provenance (plain, DSSE or in a Sigstore bundle) before generic signatures, so a
    # signed provenance attestation is read as provenance; `--type signature` overrides.
    ("provenance", "gatecheck.evidence.signing.provenance:ProvenanceParser"),
    ("signature", "gatecheck.evidence.signing.signatures:SignatureParser"),
    ("test-results", "gatecheck.evidence.testing.junit:JUnitParser"),
    # Last: LCOV is plain text, detected only by its SF:/end_of_record records.
    ("coverage", "gatecheck.evidence.testing.coverage:CoverageParser"),
)


@cache
def _load(spec: str) -> EvidenceParser:
    module_name, _, class_name = spec.partition(":")
    return getattr(importlib.import_module(module_name), class_name)()


def parsers(family: str | None = None) -> tuple[EvidenceParser, ...]:
    """The parsers in detection order; with ``family``, only (and only importing) those."""
    return tuple(_load(spec) for fam, spec in PARSERS if family is None or fam == family)


def families() -> list[str]:
    return sorted({fam for fam, _ in PARSERS})


def input_key(family: str) -> str:
    return family.replace("-", "_")


RELEASE_FAMILY = "release-manifest"
ATTESTED = "+"
"""Separates an inner format from its signed wrapper: ``cyclonedx-json+dsse``."""


def split_format(fmt: str) -> tuple[str, str | None]:
    """(inner format, wrapper) of a format name; wrapper None for a plain file."""
    inner, sep, wrapper = fmt.partition(ATTESTED)
    return (inner, wrapper) if sep else (fmt, None)


def unwrap(doc: Document, fmt: str) -> tuple[Document, str, Attestation | None]:
    """The document a parser reads for ``fmt``: an attestation's inner document, or ``doc``."""
    inner_fmt, wrapper = split_format(fmt)
    if wrapper is None:
        return doc, fmt, None
    from gatecheck.evidence.signing import attestation

    att = attestation.read(doc)
    if att is None or att.envelope != wrapper:
        raise EvidenceError(f"{doc.name}: not a {wrapper} attestation (format {fmt})")
    return att.inner, inner_fmt, att


def wrapped(doc: Document) -> Attestation | None:
    """The attestation whose inner document parsers read instead of ``doc``, or None.

    Raises EvidenceError for a malformed attestation (refused with its reason). DSSE-signed
    gatecheck records other than the release manifest are not unwrapped: their parsers read
    the envelope themselves."""
    outer = doc.json_object()
    if outer is None or not ("payloadType" in outer or "dsseEnvelope" in outer):
        return None
    from gatecheck.evidence.signing import attestation

    att = attestation.read(doc)
    if (
        att is not None
        and att.record
        and att.envelope == attestation.DSSE
        and att.evidence_type != RELEASE_FAMILY
    ):
        return None
    return att


def detect(doc: Document, family: str | None = None) -> tuple[EvidenceParser, str]:
    """Find the parser and format for ``doc``; with ``family``, only parsers of that family.

    A signed attestation is detected by what it wraps: its predicate type names the evidence
    type, the inner document the format (``<format>+dsse`` or ``<format>+sigstore``)."""
    att = wrapped(doc)
    if att is not None:
        if family is not None and family != att.evidence_type:
            raise EvidenceError(
                f"{doc.name}: the attestation vouches for {att.evidence_type} evidence, "
                f"not {family}"
            )
        parser, fmt = detect(att.inner, att.evidence_type)
        return parser, f"{fmt}{ATTESTED}{att.envelope}"
    candidates = list(parsers(family))
    if family is not None and not candidates:
        raise EvidenceError(
            f"unknown evidence type {family!r}; known types: {', '.join(families())}"
        )
    for parser in candidates:
        fmt = _guarded(doc, parser, "detecting", parser.detect, doc)
        if fmt:
            return parser, fmt
    # Some formats are too bare to detect by content (gitleaks' clean report is `[]`): their
    # parsers accept them only when the file is declared to be of their type.
    for parser in candidates if family is not None else ():
        declared = getattr(parser, "detect_declared", None)
        fmt = declared and _guarded(doc, parser, "detecting", declared, doc)
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
        doc.yaml  # noqa: B018 - an alias bomb or a bad tag says so


def parser_for(family: str, fmt: str) -> EvidenceParser:
    fmt = split_format(fmt)[0]
    for parser in parsers(family):
        if fmt in parser.formats:
            return parser
    raise EvidenceError(f"no parser for evidence type {family!r} in format {fmt!r}")


def parse(doc: Document, family: str, fmt: str, ctx: ParseContext) -> dict[str, Any]:
    """The facts of ``doc`` read as ``fmt`` (an attestation: of the document it wraps)."""
    doc, fmt, att = unwrap(doc, fmt)
    if att is not None and att.kind:
        ctx = ParseContext(
            labels={**ctx.labels, "kind": att.kind}, config=ctx.config, release=ctx.release
        )
    parser = parser_for(family, fmt)
    with safe.paused_gc():  # normalizing a large file builds millions of acyclic objects
        return _guarded(doc, parser, f"reading it as {fmt}", parser.parse, doc, fmt, ctx)


def tool(doc: Document, parser: EvidenceParser, fmt: str) -> Any:
    """The producing tool the file names, through the same guard as parse."""
    doc, fmt, _ = unwrap(doc, fmt)
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
