"""Checking a ledger (or an exported one): the hash chain, the stored bundle archives, and,
given keys, every report's signature and that the report says what its entry says.

The first problem found is named by entry id and kind: deleted (a gap in the ids, or a link
that points at no entry), reordered (a link that points at another entry), edited (content
that no longer matches its hash, or a report that disagrees with its entry). Deleting the
newest entries leaves a shorter valid chain: compare the printed head hash with one recorded
elsewhere (a pipeline log, a previous export) to catch that.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from gatecheck.digest import sha256_bytes
from gatecheck.engine.ledger.interface import GENESIS, Entry, entry_hash
from gatecheck.errors import GatecheckError


@dataclass
class ChainCheck:
    entries: int = 0
    head: str = GENESIS
    problems: list[str] = field(default_factory=list)
    signatures_checked: int = 0
    unsigned: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems


def check_chain(
    entries: Iterable[Entry],
    archive: Callable[[str], bytes | None],
    keys: Sequence[Any] = (),
    *,
    excerpt: bool = False,
) -> ChainCheck:
    """Walk ``entries`` in id order; stop at the first problem. An ``excerpt`` (an export of a
    period) starts wherever its first entry's link points; a whole ledger starts at GENESIS."""
    result = ChainCheck()
    listed = list(entries)
    by_hash = {e.hash: e for e in listed}
    previous: Entry | None = None
    for index, entry in enumerate(listed):
        result.entries += 1
        if index == 0 and excerpt:
            result.head = entry.prev_hash
        anchor = (entry.seq - 1, entry.prev_hash) if index == 0 and excerpt else None
        problem = _link_problem(entry, previous, by_hash, anchor) or _content_problem(
            entry, keys, result
        )
        if problem is None and entry.record.archive_sha256 is not None:
            data = archive(entry.record.archive_sha256)
            if data is None:
                problem = f"entry {entry.seq}: its bundle archive {entry.record.archive_sha256} is missing"
            elif sha256_bytes(data) != entry.record.archive_sha256:
                problem = f"entry {entry.seq}: its bundle archive was changed (sha256 differs)"
        if problem is not None:
            result.problems.append(problem)
            return result
        previous = entry
        result.head = entry.hash
    return result


def _link_problem(
    entry: Entry,
    previous: Entry | None,
    by_hash: dict[str, Entry],
    anchor: tuple[int, str] | None = None,
) -> str | None:
    expected_seq = previous.seq + 1 if previous else (anchor[0] + 1 if anchor else 1)
    expected_prev = previous.hash if previous else (anchor[1] if anchor else GENESIS)
    if entry_hash(entry.record, entry.prev_hash) != entry.hash:
        return (
            f"entry {entry.seq} was edited: its content no longer matches its hash "
            f"{entry.hash[:16]}"
        )
    if entry.prev_hash == expected_prev and entry.seq == expected_seq:
        return None
    if entry.prev_hash == expected_prev:
        return f"entry {entry.seq} follows entry {expected_seq - 1}: ids were renumbered or edited"
    linked = by_hash.get(entry.prev_hash)
    if linked is not None:
        return (
            f"entry {entry.seq} was reordered: its chain link points at entry {linked.seq}, "
            f"not at entry {expected_seq - 1}"
        )
    if entry.seq != expected_seq:
        missing = (
            f"entry {expected_seq}"
            if entry.seq == expected_seq + 1
            else f"entries {expected_seq}-{entry.seq - 1}"
        )
        return f"{missing} deleted: entry {entry.seq}'s chain link points at no remaining entry"
    return (
        f"entry {entry.seq}: its chain link points at no remaining entry: the entry before it "
        f"was deleted or edited (entry {expected_seq - 1} does not match the link)"
        if previous
        else f"entry {entry.seq} is first but does not start the chain: earlier entries were deleted"
    )


def _content_problem(entry: Entry, keys: Sequence[Any], result: ChainCheck) -> str | None:
    """With keys: the report verifies and states the entry's decision, stage and digests."""
    from gatecheck.engine.verification import _load_json, check_statement, verify_envelope

    record = entry.record
    where = f"entry {entry.seq}"
    try:
        if record.report_kind == "dsse" and keys:
            payload_type, payload, _ = verify_envelope(record.report, keys, name=where)
            _, report = check_statement(payload_type, payload, name=where)
            result.signatures_checked += 1
        elif record.report_kind == "json":
            report = _load_json(record.report, where)
            result.unsigned += 1
        else:
            result.unsigned += 1  # signed, but no key (or a Sigstore bundle) to check it with
            return None
    except GatecheckError as exc:
        return f"{where}: its report does not verify: {exc.diagnostics()}"
    facts = {
        "decision": report.get("decision"),
        "stage": report.get("stage"),
        "effective_time": report.get("effective_time"),
        "bundle_digest": report.get("bundle_digest"),
        "policy_digest": report.get("policy_digest"),
    }
    for name, value in facts.items():
        if getattr(record, name) != value:
            return f"{where} was edited: its {name} {getattr(record, name)!r} is not the report's {value!r}"
    statuses = {str(r.get("control")): str(r.get("status")) for r in report.get("results") or []}
    if statuses != record.controls:
        return f"{where} was edited: its control statuses are not the report's"
    return None
