"""Signed evidence for end-to-end tests: Ed25519 keys for producers and people, the trust
policy naming them, and each evidence file wrapped as an attestation the way its producer
would sign it (``evidence/signing/attestation.py``). Import as
``from trust_support import TrustKit``.

A production evaluation counts only evidence an authorized producer vouched for
(GC-EVD-001), so a test of any other control at production builds its evidence here.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from cryptography.hazmat.primitives.asymmetric import ed25519

from gatecheck.evidence import safe
from gatecheck.evidence.signing import attestation
from gatecheck.evidence.signing.keys import public_key_pem

SIGNED_AT = "2026-01-01T00:00:00Z"
"""The time producers put in their statements: before every effective time the tests use."""

LIFECYCLE_TYPES = (
    "environment-snapshot",
    "segmentation-test",
    "pipeline-audit-log",
    "performance-summary",
    "pentest-summary",
    "migration-dry-run",
    "deployment-metrics",
    "monitoring-config",
    "runbook",
    "backup-restore-test",
    "rollback-test",
    "state-snapshot",
    "deployment-lock",
    "stabilization-review",
    "rollback-history",
)

# Who makes what in a typical organization.
STANDARD_PRODUCERS: dict[str, tuple[str, ...]] = {
    "ci-build": ("sbom", "vulnerability-scan", "test-results", "coverage", "sast", "secret-scan"),
    "change-system": ("change-record", "release-manifest", "cmdb-export"),
    "data-ops": ("masking-attestation", "data-clone"),
    "operations": LIFECYCLE_TYPES,
}


def subjects_of(release: Mapping[str, Any]) -> list[dict[str, Any]]:
    """A release manifest's artifacts as in-toto subjects."""
    return [
        attestation.subject_from_digest(str(a["name"]), a["digest"])
        for a in release.get("artifacts") or []
        if a.get("digest")
    ]


def load_record(path: Path) -> dict[str, Any]:
    value = safe.load_structured(path.read_bytes(), name=path.name)
    assert isinstance(value, dict), path
    return value


@dataclass
class TrustKit:
    """Keys and the trust policy that names them, for one release's subjects."""

    subjects: list[dict[str, Any]]
    producers: dict[str, tuple[tuple[str, ...], ed25519.Ed25519PrivateKey]] = field(
        default_factory=dict
    )
    people: dict[str, dict[str, Any]] = field(default_factory=dict)
    signed_at: str = SIGNED_AT
    """The time producers put in their statements unless told otherwise."""

    @classmethod
    def standard(cls, subjects: list[dict[str, Any]]) -> TrustKit:
        """A kit with the producers of :data:`STANDARD_PRODUCERS` (no people yet)."""
        kit = cls(subjects)
        for name, types in STANDARD_PRODUCERS.items():
            kit.producer(name, types)
        return kit

    @classmethod
    def for_release(cls, release: Path | Mapping[str, Any]) -> TrustKit:
        record = load_record(release) if isinstance(release, Path) else release
        return cls.standard(subjects_of(record))

    # -- identities ------------------------------------------------------------------------

    def producer(self, name: str, types: Iterable[str]) -> ed25519.Ed25519PrivateKey:
        key = ed25519.Ed25519PrivateKey.generate()
        self.producers[name] = (tuple(types), key)
        return key

    def person(
        self,
        pid: str,
        roles: Iterable[str] = (),
        aliases: Iterable[str] = (),
        *,
        keys: int = 1,
    ) -> ed25519.Ed25519PrivateKey:
        """A directory person with ``keys`` signing keys; returns the first."""
        made = [ed25519.Ed25519PrivateKey.generate() for _ in range(keys)]
        self.people[pid] = {"roles": list(roles), "aliases": list(aliases), "keys": made}
        return made[0]

    def key(self, name: str, index: int = 0) -> ed25519.Ed25519PrivateKey:
        """A producer's key, or a person's ``index``-th key."""
        if name in self.producers:
            return self.producers[name][1]
        return self.people[name]["keys"][index]

    def trust(self) -> dict[str, Any]:
        """The ``trust:`` section of a gatecheck configuration."""
        return {
            "producers": {
                name: {"types": list(types), "keys": [{"pem": public_key_pem(key)}]}
                for name, (types, key) in self.producers.items()
            },
            "people": [
                {
                    "id": pid,
                    "roles": entry["roles"],
                    "aliases": entry["aliases"],
                    "keys": [{"pem": public_key_pem(k)} for k in entry["keys"]],
                }
                for pid, entry in self.people.items()
            ],
        }

    def config(self, **extra: Any) -> dict[str, Any]:
        return {"trust": self.trust(), **extra}

    def write_config(self, path: Path, **extra: Any) -> Path:
        path.write_text(yaml.safe_dump(self.config(**extra), sort_keys=False), encoding="utf-8")
        return path

    # -- attestations ----------------------------------------------------------------------

    def statement(
        self,
        raw: bytes,
        evidence_type: str,
        *,
        name: str,
        kind: str | None = None,
        timestamp: str | None = None,
        subjects: list[dict[str, Any]] | None = None,
    ) -> dict[str, Any]:
        ptype, predicate = attestation.predicate_for(
            raw, evidence_type, name=name, kind=kind, timestamp=timestamp or self.signed_at
        )
        return attestation.statement(
            ptype, predicate, self.subjects if subjects is None else subjects
        )

    def attest(
        self,
        source: Path | bytes | Mapping[str, Any],
        evidence_type: str,
        signer: str | ed25519.Ed25519PrivateKey,
        out: Path,
        *,
        name: str | None = None,
        kind: str | None = None,
        timestamp: str | None = None,
        subjects: list[dict[str, Any]] | None = None,
    ) -> Path:
        """Write ``source`` (a file, bytes, or a record) as an attestation signed by ``signer``
        (a producer or person name of this kit, or any key) to ``out``."""
        if isinstance(source, Path):
            raw, name = source.read_bytes(), name or source.name
        elif isinstance(source, bytes):
            raw = source
        else:
            raw = json.dumps(source).encode("utf-8")
        stmt = self.statement(
            raw,
            evidence_type,
            name=name or out.name,
            kind=kind,
            timestamp=timestamp,
            subjects=subjects,
        )
        key = self.key(signer) if isinstance(signer, str) else signer
        out.write_bytes(attestation.sign(stmt, key).to_json())
        return out

    def approval(
        self,
        record: Mapping[str, Any],
        signer: str | ed25519.Ed25519PrivateKey,
        out: Path,
        **kwargs: Any,
    ) -> Path:
        """An approval record (``kind: Approval`` added) signed by ``signer``."""
        return self.attest({"kind": "Approval", **record}, "approval", signer, out, **kwargs)

    def producer_of(self, evidence_type: str) -> str:
        for name, (types, _) in self.producers.items():
            if evidence_type in types:
                return name
        raise LookupError(f"no producer in this kit makes {evidence_type} evidence")

    def person_named(self, name: str) -> str:
        wanted = name.casefold()
        for pid, entry in self.people.items():
            if wanted in {pid.casefold(), *(a.casefold() for a in entry["aliases"])}:
                return pid
        raise LookupError(f"nobody in this kit's directory is called {name!r}")

    def signed(self, files: Iterable[Path], out_dir: Path, **labels: str) -> list[Path]:
        """Each file as its producer would sign it: the type is detected from the content;
        an approval is signed by the directory person it names (one approval per file)."""
        from gatecheck.evidence import registry
        from gatecheck.evidence.interface import Document

        out_dir.mkdir(parents=True, exist_ok=True)
        signed = []
        for i, path in enumerate(files):
            parser, _ = registry.detect(Document.from_path(path))
            signer = (
                self.person_named(load_record(path)["approver"])
                if parser.family == "approval"
                else self.producer_of(parser.family)
            )
            out = out_dir / f"{i:02d}-{path.stem}.{parser.family}.dsse.json"
            signed.append(self.attest(path, parser.family, signer, out, **labels))
        return signed


def bundle_release(root: Path) -> tuple[Path, dict[str, Any]]:
    """The release manifest file ``bundle init`` wrote into draft bundle ``root``, and its
    record (to be signed by its producer and added back, which replaces it)."""
    manifest = json.loads((root / "manifest.json").read_text(encoding="utf-8"))
    entry = next(e for e in manifest["evidence"] if e["type"] == "release-manifest")
    path = root / entry["path"]
    return path, load_record(path)


def sign_bundle_release(kit: TrustKit, root: Path, out: Path) -> Path:
    """The draft bundle's release manifest, signed by the kit's release-manifest producer
    (``bundle add`` it to replace the unsigned one)."""
    path, _ = bundle_release(root)
    return kit.attest(path, "release-manifest", kit.producer_of("release-manifest"), out)


def make_signed_bundle(
    root: Path,
    evidence: Iterable[tuple[Path, str]],
    *,
    kind: str | None = None,
    **bundle_args: Any,
) -> tuple[Path, TrustKit, Path]:
    """``helpers.make_bundle`` with every file, and the release manifest, signed by its
    standard producer: (bundle, kit, config file with the kit's trust policy) -- sealed.

    ``evidence`` pairs each file with its evidence type; ``kind`` is vouched for by the
    producer inside the statement (the test suite kind of JUnit results)."""
    from helpers import make_bundle

    from gatecheck.bundles.store import add_evidence, seal_bundle

    make_bundle(root, seal=False, **bundle_args)
    kit = TrustKit.for_release(bundle_release(root)[1])
    work = root.parent / f"{root.name}-signed"
    work.mkdir()
    signed = [sign_bundle_release(kit, root, work / "release.dsse.json")]
    for i, (path, evidence_type) in enumerate(evidence):
        out = work / f"{i:02d}-{path.name}.dsse.json"
        signed.append(
            kit.attest(path, evidence_type, kit.producer_of(evidence_type), out, kind=kind)
        )
    add_evidence(root, signed)
    seal_bundle(root)
    return root, kit, kit.write_config(work / "gatecheck.yaml")
