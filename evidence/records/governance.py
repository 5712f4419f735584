"""Governance evidence: change records, approvals, masking attestations, data clones and CMDB
exports.

gatecheck's own record types (see :mod:`gatecheck.evidence.records.models`) are read as JSON or YAML,
or wrapped in an in-toto Statement, optionally DSSE-signed (see
:mod:`gatecheck.evidence.records.intoto`). A file holding several approvals or data clones (a
bare list, ``ApprovalList`` or ``DataCloneList``) gives one fact per record, each with its own
``pointer``; a file holding one record gives one fact.

Two foreign formats map onto these records:

- GitHub pull-request reviews, as ``GET /repos/{owner}/{repo}/pulls/{n}/reviews`` returns
  them, become approvals: each reviewer's latest ``APPROVED`` review is an ``approved``
  decision and a later ``CHANGES_REQUESTED`` one a ``rejected`` decision (GitHub's own rule:
  a reviewer's newest deciding review counts); ``COMMENTED``, ``DISMISSED`` and ``PENDING``
  reviews decide nothing. GitHub does not know the change or the release, so ``change_id``,
  ``release_version``, ``kind`` (default ``change``) and ``bundle_digest`` come from the
  evidence entry's labels. Reviews carry no roles: policies look roles up in the
  ``approver_roles`` directory of the configuration.
- A ServiceNow CMDB export, as the Table API returns it (``GET /api/now/table/cmdb_ci...``,
  ``{"result": [...]}``), becomes a CMDB export whose CI ids are the ``sys_id`` values.
"""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import ValidationError

from gatecheck.errors import EvidenceError, GatecheckError
from gatecheck.evidence.interface import Document, EvidenceParser, ParseContext, Tool
from gatecheck.evidence.records import intoto as intoto_records
from gatecheck.evidence.records.intoto import ENVELOPE, PLAIN, STATEMENT, Sniffed
from gatecheck.evidence.records.models import (
    Approval,
    ApprovalList,
    ChangeRecord,
    CmdbExport,
    DataClone,
    DataCloneList,
    MaskingAttestation,
    Record,
)
from gatecheck.evidence.records.release import validation_message
from gatecheck.timeutil import format_rfc3339, parse_rfc3339

Facts = dict[str, Any]


_FORMS = (PLAIN, STATEMENT, ENVELOPE)


def record_formats(base: str) -> tuple[str, str, str]:
    """A record family's format names, one per form: plain, in-toto Statement, DSSE."""
    return (base, f"{base}-intoto", f"{base}-dsse")


class GatecheckRecordParser(EvidenceParser):
    """A family of gatecheck records, plain, in an in-toto Statement or DSSE-signed.

    ``record`` is the model of one record; ``container`` optionally names a list kind and its
    field (``ApprovalList.approvals``); bare JSON/YAML lists of ``record`` are accepted too
    when ``container`` is set.
    """

    record: ClassVar[type[Record]]
    container: ClassVar[tuple[type[Record], str] | None] = None

    @classmethod
    def _kind(cls, model: type[Record]) -> str:
        return model.model_fields["kind"].default

    def _format(self, form: str) -> str:
        return record_formats(self.formats[0])[_FORMS.index(form)]

    def _accepts(self, sniffed: Sniffed) -> bool:
        kinds = {self._kind(self.record)}
        if self.container is not None:
            kinds.add(self._kind(self.container[0]))
        elif isinstance(sniffed.value, list):
            return False
        return sniffed.kind in kinds

    def detect(self, doc: Document) -> str | None:
        sniffed = intoto_records.sniff(doc)
        if sniffed is None or not self._accepts(sniffed):
            return None
        return self._format(sniffed.form)

    def parse(self, doc: Document, fmt: str, ctx: ParseContext) -> Facts | list[Facts]:
        sniffed = intoto_records.sniff(doc)
        if sniffed is None:
            intoto_records.read(doc)  # raises the reason it cannot be read
        if sniffed is None or not self._accepts(sniffed) or self._format(sniffed.form) != fmt:
            raise EvidenceError(f"{doc.name}: not a {fmt} document")
        signature = intoto_records.open_record(doc, sniffed, ctx)
        many = isinstance(sniffed.value, list) or (
            self.container is not None and sniffed.kind == self._kind(self.container[0])
        )
        records = self._records(doc.name, sniffed)
        facts = [self._facts(model, pointer, sniffed, signature) for model, pointer in records]
        return facts if many else facts[0]

    def _records(self, name: str, sniffed: Sniffed) -> list[tuple[Record, str]]:
        """Validated records with their pointer inside the record document."""
        value = sniffed.value
        if self.container is not None and isinstance(value, dict):
            model, list_field = self.container
            if sniffed.kind == self._kind(model):
                container = _validate(model, value, name, sniffed.pointer)
                return [
                    (r, f"/{list_field}/{i}") for i, r in enumerate(getattr(container, list_field))
                ]
        if isinstance(value, list):
            return [
                (_validate(self.record, item, name, f"{sniffed.pointer}/{i}"), f"/{i}")
                for i, item in enumerate(value)
            ]
        return [(_validate(self.record, value, name, sniffed.pointer), "")]

    def _facts(self, record: Record, pointer: str, sniffed: Sniffed, signature: Facts) -> Facts:
        facts = record.facts()
        if sniffed.form == ENVELOPE:
            # The record sits inside the base64 payload: point at the payload, and say where
            # in the decoded statement.
            facts["pointer"] = "/payload"
            facts["payload_pointer"] = f"/predicate{pointer}"
        else:
            facts["pointer"] = f"{sniffed.pointer}{pointer}"
        facts.update(signature)
        return facts

    def tool(self, doc: Document, fmt: str) -> Tool | None:
        return Tool("gatecheck")


def _validate(model: type[Record], value: Any, name: str, pointer: str) -> Record:
    if not isinstance(value, dict):
        raise EvidenceError(f"{name}: {pointer or '/'} must be an object ({model.__name__})")
    try:
        return model.model_validate(value)
    except ValidationError as exc:
        where = f"{name} {pointer}" if pointer else name
        raise EvidenceError(validation_message(where, exc)) from None


class ChangeRecordParser(GatecheckRecordParser):
    family = "change-record"
    formats = record_formats("gatecheck-change-record")
    record = ChangeRecord


class ApprovalParser(GatecheckRecordParser):
    family = "approval"
    formats = record_formats("gatecheck-approval")
    record = Approval
    container = (ApprovalList, "approvals")


class MaskingAttestationParser(GatecheckRecordParser):
    family = "masking-attestation"
    formats = record_formats("gatecheck-masking-attestation")
    record = MaskingAttestation


class DataCloneParser(GatecheckRecordParser):
    family = "data-clone"
    formats = record_formats("gatecheck-data-clone")
    record = DataClone
    container = (DataCloneList, "clones")


class CmdbExportParser(GatecheckRecordParser):
    family = "cmdb-export"
    formats = record_formats("gatecheck-cmdb-export")
    record = CmdbExport

    def _facts(self, record: Record, pointer: str, sniffed: Sniffed, signature: Facts) -> Facts:
        # Each CI gets its own pointer, so GC-REL-003 can cite the item; inside a DSSE payload
        # only the payload itself can be cited.
        facts = super()._facts(record, pointer, sniffed, signature)
        for i, item in enumerate(facts["items"]):
            if sniffed.form == ENVELOPE:
                item["pointer"] = "/payload"
            else:
                item["pointer"] = f"{sniffed.pointer}/items/{i}"
        return facts


# -- GitHub pull-request reviews ----------------------------------------------------------------

_GITHUB_DECISIONS = {"APPROVED": "approved", "CHANGES_REQUESTED": "rejected"}
_GITHUB_STATES = {"APPROVED", "CHANGES_REQUESTED", "COMMENTED", "DISMISSED", "PENDING"}
_GITHUB_GHOST = "ghost"  # how GitHub shows a deleted account


def _is_github_review(item: Any) -> bool:
    return (
        isinstance(item, dict)
        and "state" in item
        and "user" in item
        and "pull_request_url" in item
        and "commit_id" in item
    )


class GitHubReviewsParser(EvidenceParser):
    family = "approval"
    formats = ("github-pr-reviews",)

    def detect(self, doc: Document) -> str | None:
        if not doc.looks_like_json():
            return None
        try:
            value = doc.json
        except EvidenceError:
            return None
        if isinstance(value, list) and value and all(_is_github_review(i) for i in value[:5]):
            return self.formats[0]
        return None

    def parse(self, doc: Document, fmt: str, ctx: ParseContext) -> list[Facts]:
        reviews = doc.json
        if not isinstance(reviews, list) or not all(_is_github_review(r) for r in reviews):
            raise EvidenceError(
                f"{doc.name}: not a GitHub pull-request review list "
                "(GET /repos/{owner}/{repo}/pulls/{n}/reviews)"
            )
        labels = ctx.labels
        latest: dict[str, tuple[int, dict[str, Any]]] = {}
        for i, review in enumerate(reviews):
            state = review.get("state")
            if state not in _GITHUB_STATES:
                raise EvidenceError(f"{doc.name}: /{i}/state {state!r} is not a review state")
            if state not in _GITHUB_DECISIONS:
                continue
            user = review.get("user")
            login = user.get("login") if isinstance(user, dict) else None
            login = login if isinstance(login, str) and login else _GITHUB_GHOST
            # Reviews come in chronological order; a reviewer's newest decision wins.
            latest[login.lower()] = (i, {**review, "_login": login})
        facts = []
        for i, review in sorted(latest.values(), key=lambda pair: pair[0]):
            submitted = review.get("submitted_at")
            if not isinstance(submitted, str):
                raise EvidenceError(f"{doc.name}: /{i}/submitted_at is missing")
            try:
                when = format_rfc3339(parse_rfc3339(submitted))
            except GatecheckError:
                raise EvidenceError(
                    f"{doc.name}: /{i}/submitted_at {submitted!r} is not RFC 3339"
                ) from None
            facts.append(
                {
                    "approver": review["_login"],
                    "roles": [],
                    "decision": _GITHUB_DECISIONS[review["state"]],
                    "time": when,
                    "change_id": labels.get("change_id"),
                    "release_version": labels.get("release_version"),
                    "bundle_digest": labels.get("bundle_digest"),
                    "comment": review.get("body") or None,
                    "kind": labels.get("kind", "change"),
                    "github": {
                        "review_id": review.get("id"),
                        "commit_id": review.get("commit_id"),
                        "author_association": review.get("author_association"),
                        "pull_request_url": review.get("pull_request_url"),
                        "html_url": review.get("html_url"),
                    },
                    "pointer": f"/{i}",
                    **intoto_records.unsigned_facts(),
                }
            )
        return facts

    def tool(self, doc: Document, fmt: str) -> Tool | None:
        return Tool("github")


# -- ServiceNow CMDB (Table API) ------------------------------------------------------------------


def _sn_value(value: Any) -> str | None:
    """A Table API field: a plain string, or ``{value, display_value}`` with
    ``sysparm_display_value=all``, or ``{link, value}`` for a reference."""
    if isinstance(value, dict):
        value = value.get("display_value", value.get("value"))
    return value if isinstance(value, str) and value else None


def _is_servicenow(value: Any) -> bool:
    return (
        isinstance(value, dict)
        and set(value) == {"result"}
        and isinstance(value["result"], list)
        and all(isinstance(i, dict) and "sys_id" in i for i in value["result"][:5])
        and bool(value["result"])
    )


class ServiceNowCmdbParser(EvidenceParser):
    family = "cmdb-export"
    formats = ("servicenow-cmdb-json",)

    def detect(self, doc: Document) -> str | None:
        return self.formats[0] if _is_servicenow(doc.json_object()) else None

    def parse(self, doc: Document, fmt: str, ctx: ParseContext) -> Facts:
        value = doc.json
        if not _is_servicenow(value):
            raise EvidenceError(
                f'{doc.name}: not a ServiceNow Table API result ({{"result": [...]}})'
            )
        items = []
        for i, row in enumerate(value["result"]):
            sys_id = row.get("sys_id")
            sys_id = sys_id.get("value") if isinstance(sys_id, dict) else sys_id
            if not isinstance(sys_id, str) or not sys_id:
                raise EvidenceError(f"{doc.name}: /result/{i}/sys_id is missing")
            items.append(
                {
                    "id": sys_id,
                    "name": _sn_value(row.get("name")),
                    "class": _sn_value(row.get("sys_class_name")),
                    "environment": _sn_value(row.get("environment")),
                    "status": _sn_value(row.get("operational_status")),
                    "pointer": f"/result/{i}",
                }
            )
        return {
            "system": "servicenow",
            "exported_at": None,
            "items": items,
            "pointer": "",
            **intoto_records.unsigned_facts(),
        }

    def tool(self, doc: Document, fmt: str) -> Tool | None:
        return Tool("servicenow")
