"""Policy impact: re-evaluate archived bundles under a candidate policy set and list the flips.

Every selected ledger entry's bundle archive is evaluated again at the entry's recorded stage
and effective time, through the same path as ``gatecheck evaluate`` (engine/evaluate.py),
with the candidate policies, data and configuration. The result per entry is the old and the
new decision and every control whose status changed. An entry that cannot be re-evaluated
(no archive, or its archive is gone) is listed as such, never dropped.

The configuration is the candidate's for every entry, not the one the original evaluation
used. Each entry says whether the candidate's trust policy and waivers have the digests its
report records (``policy.parts``), so a flip that may come from them rather than from the
policies is marked as such.

The candidate is compiled once before any entry is re-evaluated: Rego that does not compile
is one error, not the same error for every entry.

Workers are separate processes (``spawn``: nothing of the parent's state is inherited); each
opens the ledger and makes its engine once, then takes entries one at a time. With the
embedded engine each keeps one compiled OPA worker for all its entries (``reuse``,
engine/embedded.py): every entry has the same candidate, so only the input differs.
"""

from __future__ import annotations

import multiprocessing
import re
import tempfile
from collections import Counter
from collections.abc import Iterator, Mapping
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gatecheck.engine.embedded import EmbeddedEngine
from gatecheck.engine.interface import REPORT_QUERY, Engine
from gatecheck.engine.ledger import Entry, Query, open_ledger
from gatecheck.engine.policy import BINDING_NAMES, PolicySet
from gatecheck.errors import EngineError, GatecheckError, PolicyError

FORMAT = "https://gatecheck.dev/policy-impact/v1"
ABSENT = "absent"
"""A control's status on the side where it has no result (added or removed by the candidate)."""

# Parts of the policy digest (PolicySet.parts, by name) that come from the configuration, not
# from the Rego or its data: a re-evaluation under other ones may flip for that reason alone.
TRUST_PARTS = (
    "trust policy (producers, people, roles)",
    BINDING_NAMES["trust_anchors"],
    BINDING_NAMES["sigstore_roots"],
)
WAIVER_PARTS = (BINDING_NAMES["waivers"],)
SAME, DIFFERS, UNKNOWN = "same", "differs", "unknown"

# OPA's compile-stage error codes (rego_parse_error, rego_type_error, rego_unsafe_var_error,
# rego_compile_error, rego_recursion_error); evaluation errors are eval_*. Every backend puts
# OPA's code in its EngineError ("OPA <code>: ..."; the embedded engine nests it in a
# prepare_error or parse_error).
_COMPILE_ERROR = re.compile(r"\brego_[a-z_]+_error\b")


@dataclass(frozen=True)
class RecordedInputs:
    """Whether the candidate's trust policy and waivers are those of the recorded evaluation,
    by the part digests its report holds (``policy.parts``), and what changed where the
    report records the content too (``policy.bindings``: trust anchors, Sigstore roots,
    waivers; the producers, people and roles only by digest)."""

    trust_policy: str
    """``same``, ``differs`` or ``unknown`` (the report holds no digest of it)."""
    waivers: str
    differing_parts: tuple[str, ...] = ()
    """The names of the parts that differ, as the report's ``policy.parts`` names them."""
    changes: tuple[str, ...] = ()
    """One line per differing part, as ``gatecheck report replay`` says it."""

    @classmethod
    def compare(
        cls, recorded: Any, candidate: Mapping[str, str], bindings: Mapping[str, Any]
    ) -> RecordedInputs:
        """``recorded``: the report's ``policy`` object (None when unreadable); ``candidate``
        and ``bindings``: the candidate policy set's ``parts()`` and ``bindings``."""
        from gatecheck.engine.replay import part_change

        policy = recorded if isinstance(recorded, Mapping) else {}
        parts = policy.get("parts") if isinstance(policy.get("parts"), Mapping) else {}
        differing = tuple(
            name
            for name in (*TRUST_PARTS, *WAIVER_PARTS)
            if name in parts and parts[name] != candidate.get(name)
        )

        def status(names: tuple[str, ...]) -> str:
            if any(name in differing for name in names):
                return DIFFERS
            return SAME if all(name in parts for name in names) else UNKNOWN

        changes = tuple(part_change(name, policy.get("bindings"), bindings) for name in differing)
        return cls(status(TRUST_PARTS), status(WAIVER_PARTS), differing, changes)

    def as_dict(self) -> dict[str, Any]:
        return {
            "trust_policy": self.trust_policy,
            "waivers": self.waivers,
            "differing_parts": list(self.differing_parts),
            "changes": list(self.changes),
        }


@dataclass(frozen=True)
class Candidate:
    """The candidate policy set and how to evaluate with it (picklable for the workers)."""

    ledger_url: str
    policy_dirs: tuple[Path, ...] = ()
    data_files: tuple[Path, ...] = ()
    config_file: Path | None = None
    engine_opts: dict[str, Any] = field(default_factory=dict)
    reuse_workers: bool = True
    """Keep the embedded engine's compiled worker from one entry to the next (False: a fresh
    worker per entry, as ``gatecheck evaluate`` runs; the results are the same)."""


@dataclass(frozen=True)
class Task:
    seq: int
    stage: str
    effective_time: str
    archive_sha256: str


@dataclass
class EntryImpact:
    """One ledger entry, before and after."""

    id: int
    release: str
    stage: str
    effective_time: str
    old_decision: str
    new_decision: str | None
    """None when the entry could not be re-evaluated (see ``problem``)."""
    controls: dict[str, tuple[str, str]] = field(default_factory=dict)
    """Control id -> (old status, new status), only the controls whose status changed."""
    problem: str | None = None
    """Why the entry was not re-evaluated (missing archive), or the re-evaluation's error."""
    policy_digest: str | None = None
    """The candidate's policy digest as the re-evaluation reported it."""
    inputs: RecordedInputs | None = None
    """The candidate's trust policy and waivers against the recorded ones (None when the
    entry was not re-evaluated)."""

    @classmethod
    def of(cls, entry: Entry, new_decision: str | None, **outcome: Any) -> EntryImpact:
        """The entry's recorded side (release, stage, time, decision) with ``outcome``."""
        record = entry.record
        return cls(
            id=entry.seq,
            release=record.release,
            stage=record.stage,
            effective_time=record.effective_time,
            old_decision=record.decision,
            new_decision=new_decision,
            **outcome,
        )

    @property
    def flipped(self) -> bool:
        return self.new_decision is not None and self.new_decision != self.old_decision

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "release": self.release,
            "stage": self.stage,
            "effective_time": self.effective_time,
            "old_decision": self.old_decision,
            "new_decision": self.new_decision,
            "decision_changed": self.flipped,
            "controls": [
                {"control": c, "old": old, "new": new}
                for c, (old, new) in sorted(self.controls.items())
            ],
            "problem": self.problem,
            "trust_and_waivers": self.inputs.as_dict() if self.inputs else None,
        }


@dataclass
class ImpactResult:
    entries: list[EntryImpact]
    policy_digest: str | None = None

    @property
    def reevaluated(self) -> list[EntryImpact]:
        return [e for e in self.entries if e.new_decision is not None]

    @property
    def not_reevaluated(self) -> list[EntryImpact]:
        return [e for e in self.entries if e.new_decision is None]

    @property
    def decision_flips(self) -> list[EntryImpact]:
        return [e for e in self.entries if e.flipped]

    @property
    def errors(self) -> list[EntryImpact]:
        """Re-evaluations that ended in decision error."""
        return [e for e in self.reevaluated if e.new_decision == "error"]

    def decision_totals(self) -> dict[str, int]:
        counts = Counter(f"{e.old_decision}->{e.new_decision}" for e in self.decision_flips)
        return dict(sorted(counts.items()))

    def control_totals(self) -> dict[str, dict[str, int]]:
        """Control id -> {"old->new": entries}, for every control that flipped somewhere."""
        totals: dict[str, Counter[str]] = {}
        for entry in self.entries:
            for control, (old, new) in entry.controls.items():
                totals.setdefault(control, Counter())[f"{old}->{new}"] += 1
        return {c: dict(sorted(totals[c].items())) for c in sorted(totals)}

    def totals(self) -> dict[str, int]:
        inputs = [e.inputs for e in self.reevaluated if e.inputs is not None]
        return {
            "entries": len(self.entries),
            "reevaluated": len(self.reevaluated),
            "not_reevaluated": len(self.not_reevaluated),
            "decisions_changed": len(self.decision_flips),
            "controls_changed": sum(len(e.controls) for e in self.entries),
            "errors": len(self.errors),
            "trust_policy_differs": sum(1 for i in inputs if i.trust_policy == DIFFERS),
            "waivers_differ": sum(1 for i in inputs if i.waivers == DIFFERS),
            "trust_and_waivers_unknown": sum(
                1 for i in inputs if UNKNOWN in (i.trust_policy, i.waivers)
            ),
        }

    def as_dict(self) -> dict[str, Any]:
        """The documented JSON shape (docs/ledger.md, "Policy impact")."""
        return {
            "format": FORMAT,
            "policy_digest": self.policy_digest,
            "totals": self.totals(),
            "decisions": self.decision_totals(),
            "controls": self.control_totals(),
            "entries": [e.as_dict() for e in self.entries if e.flipped or e.controls or e.problem],
        }


def select(ledger_url: str, query: Query) -> list[Entry]:
    with open_ledger(ledger_url, create=False) as book:
        return [e for e in book.entries() if query.matches(e.record)]


def compare(entry: Entry, report: dict[str, Any]) -> EntryImpact:
    """The entry's recorded outcome against the candidate's report of the same bundle."""
    record = entry.record
    new = {str(r.get("control")): str(r.get("status")) for r in report.get("results") or []}
    changed = {
        control: (record.controls.get(control, ABSENT), new.get(control, ABSENT))
        for control in set(record.controls) | set(new)
        if record.controls.get(control, ABSENT) != new.get(control, ABSENT)
    }
    decision = str(report.get("decision"))
    error = report.get("error") if decision == "error" else None
    if decision == "error" and not new:
        changed = {}  # no result at all: the error says why, not 40 controls turned "absent"
    return EntryImpact.of(
        entry,
        decision,
        controls=changed,
        problem=str(error) if error else None,
        policy_digest=report.get("policy_digest"),
    )


def recorded_policy(entry: Entry) -> Mapping[str, Any] | None:
    """The ``policy`` object of the entry's report (its part digests and bindings); None when
    the report cannot be read or holds none."""
    from gatecheck.engine.ledger.report_data import report_of

    try:
        policy = report_of(entry).get("policy")
    except GatecheckError:
        return None
    return policy if isinstance(policy, Mapping) else None


def not_reevaluated(entry: Entry, problem: str) -> EntryImpact:
    return EntryImpact.of(entry, None, problem=problem)


# -- the workers ----------------------------------------------------------------------------

_state: dict[str, Any] = {}


def _make_engine(candidate: Candidate, reuse: bool = False) -> Engine:
    from gatecheck.engine.backends import make_engine

    opts = candidate.engine_opts
    if reuse and opts.get("engine_name", "embedded") == "embedded":
        return EmbeddedEngine(timeout=opts.get("timeout", 60.0), reuse=True)
    return make_engine(
        opts.get("engine_name", "embedded"),
        opa_path=opts.get("opa_path"),
        opa_url=opts.get("opa_url"),
        server_mode=opts.get("opa_server_mode", "bundle"),
        timeout=opts.get("timeout", 60.0),
    )


def check_compiles(engine: Engine, policies: PolicySet) -> None:
    """PolicyError naming OPA's error when the candidate does not compile, found by the
    evaluation path every entry takes, with an empty input. Any other failure (an undefined
    report, a builtin error on the empty input) is left to the entries, which report it with
    their own input."""
    try:
        engine.evaluate(policies, {}, REPORT_QUERY)
    except EngineError as exc:
        if _COMPILE_ERROR.search(str(exc)):
            raise PolicyError(
                f"the candidate policy set does not compile: {exc.diagnostics()}; no entry "
                "was re-evaluated"
            ) from None


@dataclass(frozen=True)
class Loaded:
    """The candidate as the run loaded it once (picklable for the workers): every entry is
    evaluated under this snapshot, the one whose compilation was checked, and no worker
    reads the policy files or the configuration again."""

    config: Any
    config_dir: Path
    policies: PolicySet


def _start_worker(candidate: Candidate, loaded: Loaded) -> None:
    """Once per worker: the engine, the loaded candidate and a ledger connection."""
    _state["engine"] = _make_engine(candidate, reuse=candidate.reuse_workers)
    _state["loaded"] = loaded
    _state["ledger"] = open_ledger(candidate.ledger_url, create=False)
    _state["candidate"] = candidate


def _reevaluate(task: Task) -> dict[str, Any]:
    """The candidate's report for one archived bundle, or {"missing": why}."""
    from gatecheck.engine.evaluate import EvaluationRequest, evaluate
    from gatecheck.timeutil import parse_rfc3339

    candidate: Candidate = _state["candidate"]
    try:
        archive = _state["ledger"].archive(task.archive_sha256)
        effective = parse_rfc3339(task.effective_time, what="its recorded effective time")
    except GatecheckError as exc:  # an unreadable row is this entry's problem, not the run's
        return {"missing": exc.diagnostics()}
    if archive is None:
        return {"missing": f"its bundle archive {task.archive_sha256[:16]}... is not in the ledger"}
    loaded: Loaded = _state["loaded"]
    with tempfile.TemporaryDirectory(prefix="gatecheck-impact-") as tmp:
        bundle = Path(tmp) / "bundle.tar.gz"
        bundle.write_bytes(archive)
        request = EvaluationRequest(
            bundle=bundle,
            stage=task.stage,
            effective=effective,
            policy_dirs=list(candidate.policy_dirs),
            data_files=list(candidate.data_files),
            config=loaded.config,
            config_dir=loaded.config_dir,
            policies=loaded.policies,
        )
        return evaluate(request, _state["engine"])


def _start_pool_worker(candidate: Candidate, loaded: Loaded) -> None:
    import atexit

    _start_worker(candidate, loaded)
    atexit.register(_stop_worker)  # the pool's processes end by exiting


def _stop_worker() -> None:
    engine = _state.pop("engine", None)
    if isinstance(engine, EmbeddedEngine):
        engine.stop_workers()
    ledger = _state.pop("ledger", None)
    if ledger is not None:
        ledger.close()


def _outcomes(
    candidate: Candidate, loaded: Loaded, tasks: list[Task], workers: int
) -> Iterator[dict[str, Any]]:
    if workers <= 1 or len(tasks) <= 1:
        _start_worker(candidate, loaded)
        try:
            yield from map(_reevaluate, tasks)
        finally:
            _stop_worker()
        return
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(
        max_workers=workers,
        mp_context=context,
        initializer=_start_pool_worker,
        initargs=(candidate, loaded),
    ) as pool:
        yield from pool.map(_reevaluate, tasks, chunksize=1)


def default_workers() -> int:
    import os

    return max(1, min(2, os.cpu_count() or 1))


def impact(candidate: Candidate, query: Query, workers: int | None = None) -> ImpactResult:
    """Re-evaluate every entry ``query`` selects; LedgerError when the ledger cannot be read,
    ConfigError/PolicyError when the candidate cannot be loaded or does not compile (before
    any worker starts)."""
    from gatecheck.engine.config import load_config
    from gatecheck.engine.evaluate import EvaluationRequest, load_policies

    # Load and compile the candidate once here: a broken policy, data file or config is one
    # usage error, not the same error repeated for every entry.
    engine = _make_engine(candidate)
    engine.warm(candidate.policy_dirs)  # the embedded engine's worker starts while they load
    try:
        config, config_dir = load_config(candidate.config_file)
        policies = load_policies(
            EvaluationRequest(
                bundle=Path("."),
                stage="dev",
                policy_dirs=list(candidate.policy_dirs),
                data_files=list(candidate.data_files),
                config=config,
                config_dir=config_dir,
            )
        )
        entries = select(candidate.ledger_url, query)
        check_compiles(engine, policies)
    finally:
        engine.close()
    candidate_parts = policies.parts()
    results: dict[int, EntryImpact] = {}
    tasks: list[Task] = []
    by_seq = {e.seq: e for e in entries}
    for entry in entries:
        record = entry.record
        if record.archive_sha256 is None:
            results[entry.seq] = not_reevaluated(
                entry,
                "no bundle archive was recorded (the original evaluation could not verify the "
                "bundle)",
            )
        else:
            tasks.append(
                Task(entry.seq, record.stage, record.effective_time, record.archive_sha256)
            )
    try:
        loaded = Loaded(config, config_dir, policies)
        outcomes = _outcomes(candidate, loaded, tasks, workers or default_workers())
        for task, outcome in zip(tasks, outcomes, strict=True):
            entry = by_seq[task.seq]
            if "missing" in outcome:
                results[task.seq] = not_reevaluated(entry, outcome["missing"])
            else:
                results[task.seq] = compare(entry, outcome)
                results[task.seq].inputs = RecordedInputs.compare(
                    recorded_policy(entry), candidate_parts, policies.bindings
                )
    except BrokenProcessPool as exc:
        # A worker died (killed, out of memory) or could not start (ledger gone): the run is
        # incomplete, so it reports nothing rather than a partial list.
        raise GatecheckError(
            f"policy impact stopped: a worker process failed ({exc}); nothing was reported"
        ) from None
    return ImpactResult([results[e.seq] for e in entries], policy_digest=policies.digest)


__all__ = ["Candidate", "EntryImpact", "ImpactResult", "RecordedInputs", "impact"]
