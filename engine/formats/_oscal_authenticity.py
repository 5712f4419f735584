"""Who vouched for the evidence, in OSCAL assessment-results: the report's ``authenticity``
block as parties (one per trust-policy producer or person that signed evidence), their roles,
and gatecheck properties on the back-matter resources and the observations' relevant evidence.
The mapping is written down in docs/oscal.md.

A signer is a party, not an observation's origin: gatecheck made every observation (it
verified the signatures); the signer vouched for the evidence, and OSCAL has no slot for that
but a party, which gatecheck references by UUID from the evidence it signed.

Reports made before the authenticity block existed give none of this: no parties, no roles,
no properties, the document as it was.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, NamedTuple

from gatecheck.engine.authenticity import SELF_VERIFIED
from gatecheck.engine.formats._common import (
    auth_approvals,
    auth_evidence,
    authenticity,
    authenticity_summary,
    one_line,
)
from gatecheck.engine.formats._oscal import PROP_NS, line, prop, stable_uuid, token
from gatecheck.engine.trust import APPROVAL

# Scheme of a party's external ids: the identities it signed with, as the report names them
# (``key:<sha256 of the public key's DER>`` or ``sigstore:<identity> (<issuer>)``).
SIGNER_IDENTITY_SCHEME = f"{PROP_NS}/signer-identity"
PRODUCER, PERSON = "producer", "person"


class SignerRole(NamedTuple):
    """The OSCAL role a kind of signer performs, and the OSCAL party type it is."""

    role_id: str
    title: str
    description: str
    party_type: str


ROLES = {
    PRODUCER: SignerRole(
        "evidence-producer",
        "Evidence producer",
        "A producer the trust policy authorizes to vouch for evidence types (a CI job, a "
        "system of record); it signed the evidence files that name it.",
        "organization",
    ),
    PERSON: SignerRole(
        "approver",
        "Approver",
        "A person of the trust policy's directory who signed an approval.",
        "person",
    ),
}


def _yes(value: bool) -> str:
    return "true" if value else "false"


def _text(value: Any) -> str:
    """Untrusted report text (names, identities, reasons) as one printable line."""
    return line(one_line(value))


@dataclass
class SignerParty:
    """A trust-policy principal that vouched for at least one evidence file."""

    kind: str
    name: str
    uuid: str
    identities: list[str] = field(default_factory=list)


class Vouching:
    """The authenticity block of one report, ready to map onto the OSCAL document."""

    def __init__(self, report: dict[str, Any], ids: tuple[Any, ...]) -> None:
        self.present = authenticity(report) is not None
        self.summary = authenticity_summary(report) if self.present else ""
        self.required = bool((authenticity(report) or {}).get("required"))
        self.files = {str(e["path"]): e for e in auth_evidence(report) if e.get("path")}
        self.approvals = auth_approvals(report)
        self.signers: dict[tuple[str, str], SignerParty] = {}
        self.by_path: dict[str, SignerParty] = {}
        vouched = {
            path: e
            for path, e in self.files.items()
            if e.get("authenticated") is True and e.get("producer") and not _verified_by_control(e)
        }
        counts_for: dict[str, set[str]] = {}
        for approval in self.approvals:
            if approval.get("person"):
                counts_for.setdefault(str(approval.get("path")), set()).add(str(approval["person"]))
        # Reports record whether the trust policy lists the signer as a producer or a person
        # (`signer_kind`). Older ones do not: only a producer may sign other evidence, or an
        # approval that counts for someone else (a review collector); any other approval
        # signer is taken for a person.
        inferred_producers = {
            str(e["producer"])
            for path, e in vouched.items()
            if e.get("type") != APPROVAL or counts_for.get(path, set()) - {str(e["producer"])}
        }
        for path, entry in vouched.items():
            name = str(entry["producer"])
            kind = entry.get("signer_kind")
            if kind not in (PRODUCER, PERSON):
                kind = PRODUCER if name in inferred_producers else PERSON
            signer = self.signers.setdefault(
                (kind, name), SignerParty(kind, name, stable_uuid(*ids, "party", kind, name))
            )
            identity = entry.get("identity")
            if identity and str(identity) not in signer.identities:
                signer.identities.append(str(identity))
            self.by_path[path] = signer

    # -- metadata ----------------------------------------------------------------------------

    def parties(self) -> list[Any] | None:
        from trestle.oscal.common import ExternalId, Parties

        out = [
            Parties(
                uuid=s.uuid,
                type=ROLES[s.kind].party_type,
                name=_text(s.name),
                external_ids=[
                    ExternalId(scheme=SIGNER_IDENTITY_SCHEME, id=_text(i)) for i in s.identities
                ]
                or None,
                props=[prop("trust-principal", s.kind)],
            )
            for s in self._ordered()
        ]
        return out or None

    def roles(self) -> list[Any] | None:
        from trestle.oscal.common import Role

        kinds = sorted({s.kind for s in self.signers.values()})
        out = [
            Role(id=ROLES[k].role_id, title=ROLES[k].title, description=ROLES[k].description)
            for k in kinds
        ]
        return out or None

    def responsible_parties(self) -> list[Any] | None:
        from trestle.oscal.common import ResponsibleParty

        out = []
        for kind in sorted({s.kind for s in self.signers.values()}):
            uuids = [s.uuid for s in self._ordered() if s.kind == kind]
            out.append(ResponsibleParty(role_id=ROLES[kind].role_id, party_uuids=uuids))
        return out or None

    def _ordered(self) -> list[SignerParty]:
        return [self.signers[k] for k in sorted(self.signers)]

    # -- properties --------------------------------------------------------------------------

    def result_props(self) -> list[Any]:
        if not self.present:
            return []
        return [
            prop("authenticity", self.summary),
            prop("authenticity-required", _yes(self.required)),
        ]

    def resource_props(self, path: str) -> list[Any]:
        """Everything the report says about one bundle file: required, vouched for by whom
        (or excluded and why), and each approval the file holds with its verified signer."""
        if not self.present:
            return []
        props = [prop("authenticity-required", _yes(self.required))]
        entry = self.files.get(path)
        if entry is None:
            # Judged by nobody is vouched for by nobody.
            return props + [
                prop("authenticated", "false"),
                prop("unauthenticated-reason", "the report has no verdict on this file"),
            ]
        props += self.evidence_props(path)
        if entry.get("authenticated") is True and path in self.by_path:
            props.append(prop("signer-party-uuid", self.by_path[path].uuid))
        if entry.get("identity"):
            props.append(prop("signer-identity", _text(entry["identity"])))
        if entry.get("authenticated") is not True:
            reason = entry.get("reason") or "no reason given"
            props.append(prop("unauthenticated-reason", _text(reason)))
        for index, approval in enumerate(self.approvals, 1):
            if str(approval.get("path")) == path:
                props += self._approval_props(approval, f"approval-{index}")
        return props

    def evidence_props(self, path: str) -> list[Any]:
        """The short form, beside each observation's relevant evidence: counted or not, and
        by whose word (the back-matter resource has the rest)."""
        entry = self.files.get(path)
        if not self.present or entry is None:
            return []
        vouched = entry.get("authenticated") is True
        props = [
            prop("authenticated", _yes(vouched)),
            prop("excluded", _yes(bool(entry.get("excluded")))),
        ]
        if vouched and _verified_by_control(entry):
            props.append(prop("verified-by-control", SELF_VERIFIED[entry["type"]]))
        elif vouched and path in self.by_path:
            signer = self.by_path[path]
            props.append(prop("signer", _text(signer.name), class_=signer.kind))
        return props

    def _approval_props(self, approval: dict[str, Any], group: str) -> list[Any]:
        vouched = approval.get("authenticated") is True
        signer = self.by_path.get(str(approval.get("path"))) if vouched else None
        items: list[tuple[str, Any]] = [
            ("approval-kind", approval.get("kind") or "unknown"),
            ("approval-decision", approval.get("decision") or "unknown"),
        ]
        if approval.get("pointer"):
            items.append(("approval-pointer", approval["pointer"]))
        items.append(("approval-authenticated", _yes(vouched)))
        # The directory person it counts for; absent when it counts for nobody.
        if approval.get("person"):
            items.append(("approval-person", approval["person"]))
        items += [("approval-role", role) for role in approval.get("roles") or []]
        if approval.get("claimed_approver"):
            items.append(("approval-claimed-approver", approval["claimed_approver"]))
        if approval.get("identity"):
            items.append(("approval-signer-identity", approval["identity"]))
        if signer is not None:
            items.append(("approval-signer-party-uuid", signer.uuid))
        return [_grouped(name, value, group) for name, value in items]


def _verified_by_control(entry: dict[str, Any]) -> bool:
    """Artifact signatures and provenance: their own controls judge the signer."""
    return entry.get("type") in SELF_VERIFIED and not entry.get("identity")


def _grouped(name: str, value: Any, group: str) -> Any:
    """A gatecheck property in ``group``: OSCAL's way of relating the props of one item (one
    approval) among the others on the same object."""
    from trestle.oscal.common import Property

    return Property(name=name, ns=PROP_NS, value=_text(value), group=token(group))
