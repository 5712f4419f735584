"""Who vouched for each evidence file, and what that makes of the facts inside.

For every file the bundle holds: is it an attestation whose signature verifies against the
trust policy, from a producer the policy authorizes for the file's evidence type (a person,
for an approval they signed themselves), bound to this release's artifacts and made no later
than the effective time? At a stage where ``require_authenticated_evidence`` holds, a file
that is not is excluded from the facts policies see, and GC-EVD-001 lists it.

People: an approval signed by a person is that person's, whatever name it writes; names in
evidence an authorized producer vouched for (change-record authors, a review collector's
approvers, the deployment initiator) are resolved through the directory's aliases; roles come
from the directory only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from gatecheck.bundles.manifest import EvidenceEntry
from gatecheck.engine.trust import APPROVAL, ResolvedTrust, Signer, normalize_identity
from gatecheck.errors import GatecheckError
from gatecheck.evidence.interface import Document
from gatecheck.timeutil import format_rfc3339, parse_rfc3339

REQUIRE_PARAM = "require_authenticated_evidence"
# Families whose signatures their own controls verify against their own trust lists.
SELF_VERIFIED = {"signature": "GC-ART-002", "provenance": "GC-ART-007"}


def stage_param(data: dict[str, Any], stage: str, name: str, default: Any = None) -> Any:
    """A parameter as policies/lib/controls.rego `param` resolves it: the stage profile's
    value, else the default."""
    config = data.get("gatecheck", {}).get("config", {})
    stage_params = (config.get("stages", {}).get(stage) or {}).get("params") or {}
    if name in stage_params:
        return stage_params[name]
    return (config.get("params") or {}).get(name, default)


@dataclass
class Verdict:
    path: str
    type: str
    name: str
    authenticated: bool
    reason: str | None = None
    producer: str | None = None
    identity: str | None = None
    signer_person: str | None = None
    attested_at: str | None = None
    """The time inside the signed attestation (log time, or the producer's own), if any."""
    excluded: bool = False

    @property
    def signer_kind(self) -> str | None:
        if not self.authenticated or self.type in SELF_VERIFIED or not self.producer:
            return None
        return "person" if self.signer_person else "producer"

    def as_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "type": self.type,
            "name": self.name,
            "authenticated": self.authenticated,
            "producer": self.producer,
            # Whether the trust policy lists the signer as a producer or as a person (an
            # approval's own signer), so readers of the report need not guess it.
            "signer_kind": self.signer_kind,
            "identity": self.identity,
            "reason": self.reason,
            "excluded": self.excluded,
        }


@dataclass
class Authenticator:
    trust: ResolvedTrust
    required: bool
    effective: datetime
    verdicts: list[Verdict] = field(default_factory=list)
    approvals: list[dict[str, Any]] = field(default_factory=list)

    @classmethod
    def permissive(cls, effective: datetime) -> Authenticator:
        """No trust policy and nothing required (tests and tools that read a bundle)."""
        return cls(ResolvedTrust(), required=False, effective=effective)

    # -- files -------------------------------------------------------------------------------

    def judge(self, entry: EvidenceEntry, doc: Document, release: dict[str, Any]) -> Verdict:
        verdict = Verdict(entry.path, entry.type, entry.source_name, authenticated=False)
        self._check(verdict, doc, release)
        verdict.excluded = self.required and not verdict.authenticated
        self.verdicts.append(verdict)
        return verdict

    def _check(self, verdict: Verdict, doc: Document, release: dict[str, Any]) -> None:
        if verdict.type in SELF_VERIFIED:
            verdict.authenticated = True
            verdict.producer = f"signer judged by {SELF_VERIFIED[verdict.type]}"
            return
        outer = doc.json_object()
        att = None
        if outer is not None and ("payloadType" in outer or "dsseEnvelope" in outer):
            from gatecheck.evidence.signing import attestation

            att = attestation.sniff(doc)
        if att is None:
            verdict.reason = (
                "not signed: a plain file, which whoever assembles the bundle can write "
                "(have its producer sign it: gatecheck attest)"
            )
            return
        if self.trust.empty:
            verdict.reason = "no trust policy is configured (config `trust`)"
            return
        from gatecheck.evidence.signing import attestation

        checked = attestation.verify(
            att,
            name=doc.name,
            raw=doc.raw,
            key_pems=list(self.trust.key_pems.values()),
            roots=self.trust.roots,
        )
        if not checked.ok:
            verdict.reason = (
                f"its signature does not verify against the trust policy ({checked.reason})"
            )
            return
        signer = Signer(checked.key_id, checked.identity, checked.issuer, checked.root)
        verdict.identity = signer.label
        owners = self.trust.owners(signer)
        if not owners:
            verdict.reason = f"signed by {signer.label}, whom the trust policy does not know"
            return
        producers = [
            o.split(":", 1)[1]
            for o in owners
            if o.startswith("producer:")
            and verdict.type in self.trust.producers[o.split(":", 1)[1]]
        ]
        people = [o.split(":", 1)[1] for o in owners if o.startswith("person:")]
        if producers:
            verdict.producer = producers[0]
        elif verdict.type == APPROVAL and people:
            verdict.producer = people[0]
            verdict.signer_person = people[0]
        else:
            verdict.reason = (
                f"signed by {signer.label} ({', '.join(owners)}), whom the trust policy does "
                f"not authorize for {verdict.type} evidence"
            )
            return
        artifacts = _artifact_digests(release)
        if not att.subject_digests() & artifacts:
            verdict.reason = (
                "its subjects are not this release's artifacts "
                f"({', '.join(sorted(att.subject_digests())) or 'none'})"
            )
            verdict.producer = verdict.signer_person = None
            return
        when = checked.signed_at or att.produced_at
        if when is not None:
            try:
                at = parse_rfc3339(when)
            except GatecheckError:
                verdict.reason = f"its time {when!r} is not an RFC 3339 time"
                verdict.producer = verdict.signer_person = None
                return
            if at > self.effective:
                verdict.reason = f"made at {when}, after the effective time"
                verdict.producer = verdict.signer_person = None
                return
            verdict.attested_at = format_rfc3339(at)
        verdict.authenticated = True

    # -- people ------------------------------------------------------------------------------

    def attribute(self, family: str, facts: dict[str, Any], verdict: Verdict) -> None:
        """Add the signed time, and replace the names and roles a record writes with the
        directory's persons."""
        if verdict.authenticated and verdict.attested_at is not None:
            # Freshness is judged from a time inside signed evidence, never from bundle
            # metadata such as `added_at`, which whoever assembles the bundle sets.
            facts["attested_at"] = verdict.attested_at
        if family == APPROVAL:
            self._approval(facts, verdict)
        elif self.trust.empty:
            return
        elif family == "change-record":
            if isinstance(facts.get("authors"), list):
                facts["claimed_authors"] = facts["authors"]
                facts["authors"] = [self._person_or_name(a) for a in facts["authors"]]
            if isinstance(facts.get("requester"), str):
                facts["claimed_requester"] = facts["requester"]
                facts["requester"] = self._person_or_name(facts["requester"])
        elif family == "release-manifest":
            deployment = facts.get("deployment")
            if isinstance(deployment, dict):
                initiator = self.trust.person(deployment.get("initiator"))
                deployment["claimed_initiator_roles"] = deployment.get("initiator_roles", [])
                deployment["initiator_roles"] = list(self.trust.roles.get(initiator or "", []))
                if initiator is not None:
                    deployment["initiator"] = initiator

    def _person_or_name(self, name: Any) -> Any:
        return self.trust.person(name) or name

    def _approval(self, facts: dict[str, Any], verdict: Verdict) -> None:
        claimed = facts.get("approver")
        claimed_person = self.trust.person(claimed)
        person: str | None
        if self.trust.empty:
            # No directory: names are all there is (never enough where authentication is
            # required, since then nothing is authenticated).
            person = normalize_identity(claimed) if isinstance(claimed, str) else None
            roles = list(facts.get("roles") or [])
        else:
            person = verdict.signer_person or claimed_person
            if verdict.signer_person and claimed_person not in (None, verdict.signer_person):
                person = None  # signed by one person, naming another: nobody's approval
            roles = list(self.trust.roles.get(person or "", []))
        facts["claimed_approver"] = claimed
        facts["claimed_roles"] = facts.get("roles", [])
        facts["person"] = person
        facts["person_roles"] = roles
        if person is not None:
            facts["approver"] = person
        self.approvals.append(
            {
                "path": verdict.path,
                "pointer": facts.get("pointer", ""),
                "kind": facts.get("kind"),
                "decision": facts.get("decision"),
                "person": person,
                "roles": roles,
                "claimed_approver": claimed,
                "identity": verdict.identity,
                "authenticated": verdict.authenticated,
            }
        )

    def report(self) -> dict[str, Any]:
        return {
            "required": self.required,
            "evidence": [v.as_dict() for v in self.verdicts],
            "approvals": self.approvals,
        }


def _artifact_digests(release: dict[str, Any]) -> set[str]:
    found = set()
    for artifact in release.get("artifacts") or []:
        digest = artifact.get("digest") if isinstance(artifact, dict) else None
        if isinstance(digest, str) and ":" in digest:
            alg, _, value = digest.partition(":")
            found.add(f"{alg.lower()}:{value.lower()}")
    return found


def judge_bundle_entries(
    root: Any, entries: list[EvidenceEntry], trust: ResolvedTrust, effective: datetime
) -> list[Verdict]:
    """Verdicts on ``entries`` of the draft bundle at ``root`` (for ``bundle add``, which
    says at once who vouched for what it stored; the gate judges again when it runs)."""
    from pathlib import Path

    from gatecheck.bundles.store import RELEASE_FAMILY, read_manifest
    from gatecheck.evidence import registry
    from gatecheck.evidence.interface import ParseContext

    root = Path(root)
    manifest = read_manifest(root)
    release_entry = next(e for e in manifest.evidence if e.type == RELEASE_FAMILY)
    release_doc = Document.from_path(root / release_entry.path, name=release_entry.path)
    release = registry.parse(release_doc, RELEASE_FAMILY, release_entry.format, ParseContext())
    authenticator = Authenticator(trust, required=False, effective=effective)
    return [
        authenticator.judge(entry, Document.from_path(root / entry.path, name=entry.path), release)
        for entry in entries
    ]
