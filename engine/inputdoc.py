"""The one input document OPA sees: stage, effective time, release and normalized evidence."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from gatecheck import __version__
from gatecheck.bundles.manifest import BundleManifest, EvidenceEntry
from gatecheck.digest import sha256_bytes
from gatecheck.engine.authenticity import Authenticator
from gatecheck.errors import BundleError, EvidenceError, TamperError
from gatecheck.evidence import registry
from gatecheck.evidence.interface import Document, ParseContext
from gatecheck.evidence.sbom import purl
from gatecheck.progress import progress
from gatecheck.timeutil import format_rfc3339, to_ns

RELEASE_FAMILY = "release-manifest"


def _source(entry: EvidenceEntry) -> dict[str, Any]:
    return {
        "path": entry.path,
        "sha256": entry.sha256,
        "format": entry.format,
        "name": entry.source_name,
        "added_at": entry.added_at,
    }


# Facts of the large lists that no rule of the library reads, left out of the document OPA
# converts (megabytes at 50,000 components). Explain reads the values findings cite from the
# evidence files themselves; `gatecheck schema --facts` still lists what the parsers produce.
UNREAD: dict[str, dict[str, tuple[str, ...]]] = {
    "sbom": {"components": ("hashes",)},
    "vulnerability-scan": {"packages": ("ecosystem",), "vulnerabilities": ("cvss_score",)},
}


def _trim(family: str, facts: dict[str, Any]) -> None:
    for field, keys in UNREAD.get(family, {}).items():
        items = facts.get(field)
        for item in items if isinstance(items, list) else ():
            if type(item) is dict:
                for key in keys:
                    item.pop(key, None)
                package = item.get("package")
                if type(package) is dict:  # a finding's package: as the scan's packages
                    package.pop("ecosystem", None)


def _read(root: Path, entry: EvidenceEntry) -> Document:
    doc = Document.from_path(root / entry.path, name=entry.path)
    # Parse exactly the bytes that were verified: a directory bundle can change between
    # verification and this read.
    if sha256_bytes(doc.raw) != entry.sha256:
        raise TamperError(f"{entry.path} changed after the bundle was verified")
    return doc


def _parse(doc: Document, entry: EvidenceEntry, ctx: ParseContext) -> list[dict[str, Any]]:
    """The entry's facts: one item, or several for files holding a list (e.g. approvals)."""
    try:
        facts = registry.parse(doc, entry.type, entry.format, ctx)
    except EvidenceError as exc:
        raise EvidenceError(f"evidence {exc} (added as {entry.source_name})") from None
    return facts if isinstance(facts, list) else [facts]


def _add_facts(
    evidence: dict[str, list[dict[str, Any]]],
    root: Path,
    entry: EvidenceEntry,
    evidence_config: dict[str, Any],
    release: dict[str, Any],
    authenticator: Authenticator,
    keys: dict[str, str | None],
) -> None:
    ctx = ParseContext(labels=dict(entry.labels), config=evidence_config, release=release)
    doc = _read(root, entry)
    parsed = _parse(doc, entry, ctx)
    verdict = authenticator.judge(entry, doc, release)
    if verdict.excluded:
        return  # not vouched for at a stage that requires it: not a fact (GC-EVD-001 says so)
    for facts in parsed:
        purl.annotate(entry.type, facts, keys)
        _trim(entry.type, facts)
        authenticator.attribute(entry.type, facts, verdict)
        facts["source"] = _source(entry)
        facts["tool"] = entry.tool.model_dump() if entry.tool else None
        facts["labels"] = dict(entry.labels)
        evidence.setdefault(registry.input_key(entry.type), []).append(facts)


def build_input(
    root: Path,
    manifest: BundleManifest,
    *,
    stage: str,
    effective: datetime,
    evidence_config: dict[str, Any],
    authenticator: Authenticator | None = None,
) -> dict[str, Any]:
    authenticator = authenticator or Authenticator.permissive(effective)
    releases = [e for e in manifest.evidence if e.type == RELEASE_FAMILY]
    if len(releases) != 1:
        raise BundleError(
            f"bundle holds {len(releases)} release manifests; exactly one is required"
        )
    release_entry = releases[0]
    release_doc = _read(root, release_entry)
    release = _parse(release_doc, release_entry, ParseContext(config=evidence_config))[0]
    if (release.get("name"), release.get("version")) != (
        manifest.release.name,
        manifest.release.version,
    ):
        raise BundleError(
            "the release manifest does not match the release the bundle was sealed for"
        )
    verdict = authenticator.judge(release_entry, release_doc, release)
    if verdict.excluded:
        # Only what the seal binds remains: every control that needs the release's facts
        # fails for want of them.
        release = {"name": release["name"], "version": release["version"]}
    authenticator.attribute(RELEASE_FAMILY, release, verdict)
    release["source"] = _source(release_entry)
    evidence: dict[str, list[dict[str, Any]]] = {}
    keys: dict[str, str | None] = {}  # purl -> package key, shared by the SBOMs and scans
    with progress("reading evidence", sum(e.size for e in manifest.evidence)) as advance:
        for entry in manifest.evidence:
            advance(entry.size)
            if entry.type != RELEASE_FAMILY:
                _add_facts(evidence, root, entry, evidence_config, release, authenticator, keys)
    return {
        "gatecheck_version": __version__,
        "stage": stage,
        "effective_time": format_rfc3339(effective),
        "effective_time_ns": to_ns(effective),
        "release": release,
        "bundle": {
            "digest": manifest.digest,
            "evidence": [
                {"path": e.path, "type": e.type, "format": e.format, "sha256": e.sha256}
                for e in manifest.evidence
            ],
        },
        "evidence": evidence,
        "authenticity": authenticator.report(),
    }
