"""Creating, filling, sealing and verifying bundle directories.

Layout::

    BUNDLE/
      manifest.json                 BundleManifest
      evidence/<sha256>.<ext>       each evidence file, named by its content digest

Every change takes an exclusive lock on manifest.json and rewrites it atomically, so parallel
``bundle add`` calls all land, and a crash never leaves a half-written manifest.
"""

from __future__ import annotations

import os
import re
import shutil
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gatecheck.bundles.fsutil import atomic_write, locked
from gatecheck.bundles.manifest import (
    ENTRY_PATH_RE,
    EVIDENCE_DIR,
    MANIFEST_NAME,
    BundleManifest,
    EvidenceEntry,
    ReleaseRef,
    ToolRef,
    parse_manifest,
)
from gatecheck.digest import canonical_json, sha256_bytes, sha256_file
from gatecheck.errors import BundleError, TamperError
from gatecheck.evidence import registry
from gatecheck.evidence.interface import Document, ParseContext
from gatecheck.evidence.records.models import Artifact, ReleaseManifest
from gatecheck.timeutil import format_rfc3339, record_time

RELEASE_FAMILY = "release-manifest"
_EXT_RE = re.compile(r"^[a-z0-9]{1,12}$")
_LABEL_RE = re.compile(r"^[a-z][a-z0-9_.-]{0,63}$")


def _manifest_path(root: Path) -> Path:
    return root / MANIFEST_NAME


def read_manifest(root: Path) -> BundleManifest:
    path = _manifest_path(root)
    if not root.is_dir():
        raise BundleError(f"{root}: no such bundle directory")
    if not path.is_file():
        raise BundleError(
            f"{root}: not a gatecheck bundle (no {MANIFEST_NAME}); create one with `gatecheck bundle init`"
        )
    return parse_manifest(path.read_bytes(), str(path))


def _write_manifest(root: Path, manifest: BundleManifest) -> None:
    atomic_write(_manifest_path(root), canonical_json(manifest.to_json()) + b"\n")


def _extension(name: str) -> str:
    suffix = Path(name).suffix.lower().lstrip(".")
    return suffix if _EXT_RE.match(suffix) else "bin"


def init_bundle(
    root: Path,
    release_name: str,
    release_version: str,
    *,
    release_class: str | None = None,
    artifacts: list[dict[str, str]] | None = None,
    manifest_file: Path | None = None,
) -> BundleManifest:
    """Create a draft bundle holding its release manifest."""
    if root.exists() and any(root.iterdir()):
        raise BundleError(f"{root}: exists and is not empty; choose a new directory")
    if manifest_file is not None:
        release = _load_release(Document.from_path(manifest_file))
        if release.name != release_name or release.version != release_version:
            raise BundleError(
                f"{manifest_file} describes {release.name}@{release.version}, "
                f"not {release_name}@{release_version}"
            )
        if release_class is not None:
            release.release_class = release_class
        release.artifacts += [Artifact.model_validate(a) for a in artifacts or []]
    else:
        release = ReleaseManifest.model_validate(
            {
                "name": release_name,
                "version": release_version,
                "class": release_class,
                "artifacts": artifacts or [],
            }
        )
    raw = canonical_json(release.model_dump(mode="json", by_alias=True, exclude_none=True)) + b"\n"
    root.mkdir(parents=True, exist_ok=True)
    (root / EVIDENCE_DIR).mkdir(exist_ok=True)
    manifest = BundleManifest(
        release=ReleaseRef(name=release_name, version=release_version),
        created_at=format_rfc3339(record_time()),
    )
    entry = _store(
        root,
        raw,
        "release.json",
        RELEASE_FAMILY,
        "gatecheck-release-manifest",
        ToolRef(name="gatecheck"),
        {},
    )
    manifest.evidence.append(entry)
    _write_manifest(root, manifest)
    return manifest


def _store(
    root: Path,
    raw: bytes,
    source_name: str,
    family: str,
    fmt: str,
    tool: ToolRef | None,
    labels: dict[str, str],
) -> EvidenceEntry:
    digest = sha256_bytes(raw)
    rel = f"{EVIDENCE_DIR}/{digest}.{_extension(source_name)}"
    target = root / rel
    if not target.exists():
        atomic_write(target, raw)
    return EvidenceEntry(
        path=rel,
        type=family,
        format=fmt,
        sha256=digest,
        size=len(raw),
        added_at=format_rfc3339(record_time()),
        source_name=Path(source_name).name,
        tool=tool,
        labels=labels,
    )


@dataclass(frozen=True)
class Added:
    entry: EvidenceEntry
    replaced: str | None = None
    warning: str | None = None
    """One line for the user about a file stored although a control will fail it."""


def _stored_warning(name: str, family: str, facts: Any) -> str | None:
    """Say at ``bundle add`` what the gate would say later: an SBOM that is schema-invalid or
    of an unsupported spec version is stored (the gate judges it), but GC-ART-003 fails it."""
    if family != "sbom" or not isinstance(facts, dict) or facts.get("valid") is not False:
        return None
    errors = [" ".join(str(e).split()) for e in facts.get("errors") or []]
    first = errors[0] if errors else "no detail"
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    return (
        f"warning: {name}: stored, but this SBOM is invalid: {first}{more}; GC-ART-003 will fail it"
    )


def add_evidence(
    root: Path,
    files: list[Path],
    *,
    family: str | None = None,
    labels: dict[str, str] | None = None,
) -> list[Added]:
    """Detect, validate and copy evidence files in. All or nothing: one bad file, no change."""
    labels = dict(labels or {})
    for key in labels:
        if not _LABEL_RE.match(key):
            raise BundleError(
                f"label {key!r} is not a valid name (lowercase letters, digits, _ . -)"
            )
    if read_manifest(root).state == "sealed":  # say so before parsing anything
        raise BundleError(
            f"{root}: bundle is sealed; evidence cannot be added (create a new bundle)"
        )
    prepared = []
    for path in files:
        doc = Document.from_path(path)
        parser, fmt = registry.detect(doc, family)
        # Parse now so a file that cannot be read never enters a bundle (through the registry,
        # whose guard turns a parser's crash on hostile content into a refusal).
        facts = registry.parse(doc, parser.family, fmt, ParseContext(labels=labels))
        tool = registry.tool(doc, parser, fmt)
        prepared.append(
            (
                path,
                doc,
                parser.family,
                fmt,
                ToolRef(name=tool.name, version=tool.version) if tool else None,
                _stored_warning(path.name, parser.family, facts),
            )
        )
    added: list[Added] = []
    with locked(_manifest_path(root)):
        manifest = read_manifest(root)
        if manifest.state == "sealed":
            raise BundleError(
                f"{root}: bundle is sealed; evidence cannot be added (create a new bundle)"
            )
        for path, doc, fam, *_ in prepared:
            digest = sha256_bytes(doc.raw)
            existing = next((e for e in manifest.evidence if e.sha256 == digest), None)
            if existing is not None:
                raise BundleError(
                    f"{path}: already in the bundle as {existing.path} ({existing.type})"
                )
            if fam == RELEASE_FAMILY:  # checked before anything is written
                _check_release_identity(manifest, doc, path)
        for path, doc, fam, fmt, tool, warning in prepared:
            entry = _store(root, doc.raw, path.name, fam, fmt, tool, labels)
            replaced = None
            if fam == RELEASE_FAMILY:
                old = [e for e in manifest.evidence if e.type == RELEASE_FAMILY]
                for e in old:
                    manifest.evidence.remove(e)
                    replaced = e.path
                    if not any(x.path == e.path for x in manifest.evidence):
                        (root / e.path).unlink(missing_ok=True)
            manifest.evidence.append(entry)
            added.append(Added(entry, replaced, warning))
        _write_manifest(root, manifest)
    return added


def _load_release(doc: Document) -> ReleaseManifest:
    """The release manifest in ``doc``, plain or as a signed attestation."""
    parser, fmt = registry.detect(doc, RELEASE_FAMILY)
    inner = registry.unwrap(doc, fmt)[0]
    return parser.load(inner)  # type: ignore[attr-defined]


def _check_release_identity(manifest: BundleManifest, doc: Document, path: Path) -> None:
    release = _load_release(doc)
    if (release.name, release.version) != (manifest.release.name, manifest.release.version):
        raise BundleError(
            f"{path} describes {release.name}@{release.version}, but the bundle is for "
            f"{manifest.release.name}@{manifest.release.version}"
        )


def seal_bundle(root: Path) -> BundleManifest:
    with locked(_manifest_path(root)):
        manifest = read_manifest(root)
        if manifest.state == "sealed":
            raise BundleError(f"{root}: already sealed (digest {manifest.digest})")
        if not any(e.type == RELEASE_FAMILY for e in manifest.evidence):
            raise BundleError(f"{root}: has no release manifest; add one before sealing")
        problems = _check_files(root, manifest)
        if problems:
            raise TamperError(f"{root}: cannot seal: " + "; ".join(problems))
        manifest.evidence.sort(key=lambda e: (e.type, e.path))
        manifest.state = "sealed"
        manifest.sealed_at = format_rfc3339(record_time())
        manifest.digest = manifest.compute_digest()
        _write_manifest(root, manifest)
    return manifest


def _check_files(root: Path, manifest: BundleManifest) -> list[str]:
    problems: list[str] = []
    expected = {MANIFEST_NAME}
    seen_paths: set[str] = set()
    # A symlinked evidence/ would let the hashes be checked in one place and the files be read
    # (or swapped) in another, outside the bundle.
    if os.path.islink(root / EVIDENCE_DIR):
        problems.append(f"{EVIDENCE_DIR} is a symbolic link, not a directory in the bundle")
        return problems
    if os.path.islink(root / MANIFEST_NAME):
        problems.append(f"{MANIFEST_NAME} is a symbolic link, not a file in the bundle")
    for entry in manifest.evidence:
        match = ENTRY_PATH_RE.match(entry.path)
        if not match or match.group(1) != entry.sha256:
            problems.append(
                f"manifest entry {entry.path!r} is not a content-addressed evidence path"
            )
            continue
        if entry.path in seen_paths:
            problems.append(f"manifest lists {entry.path} twice")
            continue
        seen_paths.add(entry.path)
        expected.add(entry.path)
        target = root / entry.path
        try:
            st = os.lstat(target)
        except FileNotFoundError:
            problems.append(f"{entry.path} is missing")
            continue
        if not stat.S_ISREG(st.st_mode):
            problems.append(f"{entry.path} is not a regular file")
            continue
        if st.st_size != entry.size:
            problems.append(f"{entry.path} changed (size {st.st_size}, manifest says {entry.size})")
            continue
        actual = sha256_file(target)
        if actual != entry.sha256:
            problems.append(
                f"{entry.path} changed (sha256 {actual[:16]}..., manifest says {entry.sha256[:16]}...)"
            )
    for dirpath, dirnames, filenames in os.walk(root):
        base = Path(dirpath)
        for name in sorted(dirnames):
            rel = (base / name).relative_to(root).as_posix()
            if rel != EVIDENCE_DIR:
                problems.append(f"unexpected directory {rel}")
        dirnames[:] = [
            d
            for d in dirnames
            if (base / d).relative_to(root).as_posix() == EVIDENCE_DIR
            and not os.path.islink(base / d)
        ]
        for name in sorted(filenames):
            rel = (base / name).relative_to(root).as_posix()
            if rel not in expected:
                problems.append(f"unexpected file {rel}")
    return problems


def verify_bundle(root: Path) -> BundleManifest:
    """Check a sealed bundle: manifest digest, every file's digest, nothing missing or extra."""
    manifest = read_manifest(root)
    if manifest.state != "sealed" or not manifest.digest:
        raise BundleError(f"{root}: bundle is not sealed; run `gatecheck bundle seal {root}` first")
    computed = manifest.compute_digest()
    problems = []
    if computed != manifest.digest:
        problems.append(f"{MANIFEST_NAME} changed (digest {computed}, recorded {manifest.digest})")
    problems += _check_files(root, manifest)
    if problems:
        raise TamperError(f"bundle {root} failed verification: " + "; ".join(problems))
    return manifest


def remove_tree(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)
