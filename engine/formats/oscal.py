"""OSCAL assessment-results for one evaluation, built with compliance-trestle's models.

One result per document: its reviewed controls are the evaluated gatecheck controls (plus, per
framework, the requirements they map to); one observation per control with the evidence files
it read (bundle paths and sha256) and one finding per control whose target status says whether
the control objective is satisfied. Status mapping (docs/oscal.md): pass -> satisfied; fail ->
not-satisfied; warn -> not-satisfied when the control has violations not enforced at this stage,
satisfied (with the warnings as remarks) when it only warns; waived -> not-satisfied with the
waiver as a risk whose status is deviation-approved; not_applicable -> satisfied with
implementation-status not-applicable; anything else -> not-satisfied. An evaluation that ended
in error has no findings at all, so nothing in it reads as satisfied.

Who vouched for each evidence file and approval (the report's ``authenticity``) becomes parties
and properties on the evidence (``_oscal_authenticity``).

Every UUID is uuid5 over the bundle digest, policy digest, stage, effective time and the
control, so evaluating the same bundle under the same policy gives the same document up to
``last-modified`` (the report's creation time).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from gatecheck.engine.formats._common import (
    config_sources,
    control_doc,
    findings,
    weakened,
    weakened_line,
)
from gatecheck.engine.formats._oscal import (
    framework_source,
    line,
    oscal_control_id,
    prop,
    require_trestle,
    stable_uuid,
    token,
    validation_message,
)
from gatecheck.engine.formats._oscal_authenticity import Vouching
from gatecheck.errors import GatecheckError, ReportError
from gatecheck.timeutil import parse_rfc3339

TITLE = "gatecheck release gate assessment"


def _time(value: Any, fallback: Any) -> Any:
    """An RFC 3339 time from the report, or ``fallback`` when it has none or cannot be read."""
    try:
        return parse_rfc3339(str(value), what="report time") if value else fallback
    except GatecheckError:
        return fallback


def _state(result: dict[str, Any]) -> tuple[str, str, str]:
    """(OSCAL objective state, reason, remark) for one control result."""
    status = result.get("status")
    if status == "pass":
        return "satisfied", "pass", "passed"
    if status == "fail":
        return "not-satisfied", "fail", "failed: the gate blocks on this control"
    if status == "warn":
        if result.get("violations"):
            return (
                "not-satisfied",
                "fail",
                f"violated but only warned at this stage (enforcement {result.get('enforcement')})",
            )
        return "satisfied", "other", "satisfied with warnings: some checks could not be made"
    if status == "waived":
        return "not-satisfied", "other", "violated; the violations are waived (see the risks)"
    if status == "not_applicable":
        return "satisfied", "other", "not applicable to this release"
    return "not-satisfied", "other", f"unknown status {status!r}"


def _refs(result: dict[str, Any]) -> list[dict[str, Any]]:
    """Every evidence reference the control's findings cite, in order, without repeats."""
    seen: set[tuple[str, str]] = set()
    refs = []
    items = list(result.get("evidence") or [])
    for _, _, cited in findings(result):
        items += cited
    for ref in items:
        key = (str(ref.get("path")), str(ref.get("pointer") or ""))
        if ref.get("path") and key not in seen:
            seen.add(key)
            refs.append(ref)
    return refs


def _resource_uuid(ids: tuple[Any, ...], path: str) -> str:
    return stable_uuid(*ids, "evidence", path)


def _relevant_evidence(
    result: dict[str, Any],
    info: dict[str, Any],
    evidence: list[dict[str, Any]],
    ids: tuple[Any, ...],
    vouching: Vouching,
) -> list[Any]:
    """The bundle files behind a result: the ones its findings cite, else (a pass cites none)
    every bundle file of the evidence types the control reads. Each links to its back-matter
    resource, which carries the file's sha256 as an OSCAL hash and who vouched for it."""
    from trestle.oscal.common import Link, RelevantEvidence

    by_path = {str(e.get("path")): e for e in evidence if e.get("path")}
    pointers: dict[str, list[str]] = {}
    for ref in _refs(result):
        pointers.setdefault(str(ref["path"]), [])
        if ref.get("pointer"):
            pointers[str(ref["path"])].append(str(ref["pointer"]))
    if not pointers:
        types = set(info.get("evidence_types") or [])
        pointers = {p: [] for p, e in by_path.items() if e.get("type") in types}
    out = []
    for path, cited in pointers.items():
        entry = by_path.get(path, {})
        props = []
        if entry.get("sha256"):
            props.append(prop("sha256", entry["sha256"]))
        if entry.get("type"):
            props.append(prop("evidence-type", entry["type"]))
        props += [prop("json-pointer", p) for p in cited]
        props += vouching.evidence_props(path)
        kind = entry.get("type") or "evidence"
        out.append(
            RelevantEvidence(
                href=path,
                description=f"{kind} file in the sealed bundle ({entry.get('format') or 'unknown format'})",
                props=props or None,
                links=[Link(href=f"#{_resource_uuid(ids, path)}", rel="reference")]
                if entry.get("sha256")
                else None,
            )
        )
    return out


def _messages(result: dict[str, Any]) -> str:
    lines = [f"- {kind}: {' '.join(str(msg).split())}" for kind, msg, _ in findings(result) if msg]
    return "\n".join(lines)


def _mapping_props(frameworks: dict[str, Any]) -> list[Any]:
    return [
        prop("framework-requirement", ref, class_=key, remarks=framework_source(key))
        for key, refs in sorted(frameworks.items())
        for ref in refs
    ]


def _reviewed_controls(
    results: list[dict[str, Any]], docs: dict[str, dict[str, Any]], report: dict[str, Any]
) -> Any:
    from trestle.oscal.common import (
        ControlSelections,
        ControlSelectionsAll,
        IncludeAll,
        Link,
        ReviewedControls,
        SelectControlById,
    )

    if not results:
        return ReviewedControls(
            description="The evaluation did not complete; no control was assessed.",
            control_selections=[ControlSelectionsAll(include_all=IncludeAll())],
        )
    disabled = [
        SelectControlById(control_id=token(c)) for c in report.get("disabled_controls") or []
    ]
    selections: list[Any] = [
        ControlSelections(
            description="gatecheck controls evaluated (by gatecheck control id)",
            props=[prop("control-catalog", "gatecheck")],
            include_controls=[SelectControlById(control_id=token(r["control"])) for r in results],
            exclude_controls=disabled or None,
        )
    ]
    mapped: dict[str, dict[str, str]] = {}
    for r in results:
        for key, refs in docs[r["control"]]["frameworks"].items():
            for ref in refs:
                mapped.setdefault(key, {})[oscal_control_id(key, ref)] = str(ref)
    for key, ids in sorted(mapped.items()):
        selections.append(
            ControlSelections(
                description=f"{key} requirements the evaluated controls map to (control METADATA)",
                props=[prop("control-catalog", key)]
                + [prop("label", label, class_=cid) for cid, label in sorted(ids.items())],
                links=[Link(href=framework_source(key), rel="reference")],
                include_controls=[SelectControlById(control_id=cid) for cid in sorted(ids)],
            )
        )
    return ReviewedControls(control_selections=selections)


def _waiver_risks(
    result: dict[str, Any], applied: dict[str, dict[str, Any]], ids: tuple[str, ...], obs: str
) -> list[Any]:
    from trestle.oscal.common import RelatedObservation, Risk, RiskStatus

    risks = []
    waiver_ids = sorted({str(w.get("waiver")) for w in result.get("waived") or []})
    for waiver_id in waiver_ids:
        waiver = applied.get(waiver_id, {"id": waiver_id})
        props = [prop("waiver-id", waiver_id)]
        props += [prop(k, waiver[k]) for k in ("approver", "granted", "expires") if waiver.get(k)]
        msgs = [
            w.get("msg", "") for w in result.get("waived") or [] if w.get("waiver") == waiver_id
        ]
        deadline = waiver.get("expires")
        risks.append(
            Risk(
                uuid=stable_uuid(*ids, "risk", result["control"], waiver_id),
                title=line(f"Waiver {waiver_id} for {result['control']}"),
                description=" ".join(
                    str(waiver.get("justification") or "no justification").split()
                ),
                statement="\n".join(f"- {' '.join(str(m).split())}" for m in msgs) or "waived",
                status=RiskStatus("deviation-approved"),
                props=props,
                deadline=_time(deadline, None),
                related_observations=[RelatedObservation(observation_uuid=obs)],
            )
        )
    return risks


def _components(report: dict[str, Any], ids: tuple[str, ...]) -> tuple[list[Any], str, str]:
    """gatecheck itself (the tool every observation comes from) and the release assessed."""
    from trestle.oscal.common import Status, SystemComponent

    engine = report.get("engine") or {}
    tool_uuid = stable_uuid("gatecheck", report.get("gatecheck_version"))
    tool = SystemComponent(
        uuid=tool_uuid,
        type="software",
        title="gatecheck",
        description="Policy-as-code release gate: OPA/Rego controls over a sealed evidence bundle.",
        props=[
            prop("version", report.get("gatecheck_version") or "unknown"),
            prop("engine", engine.get("backend") or "unknown"),
            prop("opa-version", engine.get("opa_version") or "unknown"),
        ],
        status=Status(state="operational"),
    )
    release = report.get("release") or {}
    name = f"{release.get('name') or 'release'} {release.get('version') or ''}".strip()
    release_uuid = stable_uuid(*ids, "release")
    release_props = [prop(k, release[k]) for k in ("class", "risk", "change_id") if release.get(k)]
    release_props += [
        prop("artifact-digest", a.get("digest"), remarks=str(a.get("name") or "artifact"))
        for a in release.get("artifacts") or []
        if a.get("digest")
    ]
    subject = SystemComponent(
        uuid=release_uuid,
        type="software",
        title=line(name),
        description=f"The release {name} whose evidence bundle was evaluated.",
        props=release_props or None,
        status=Status(state="under-development"),
    )
    return [tool, subject], tool_uuid, release_uuid


def _back_matter(evidence: list[dict[str, Any]], ids: tuple[str, ...], vouching: Vouching) -> Any:
    from trestle.oscal.common import BackMatter, Hash, Resource, Rlink

    resources = [
        Resource(
            uuid=_resource_uuid(ids, e["path"]),
            title=line(f"{e.get('type') or 'evidence'}: {e['path']}"),
            props=[prop("evidence-type", e.get("type") or "unknown")]
            + vouching.resource_props(str(e["path"])),
            rlinks=[Rlink(href=e["path"], hashes=[Hash(algorithm="SHA-256", value=e["sha256"])])],
        )
        for e in evidence
        if e.get("path") and e.get("sha256")
    ]
    return BackMatter(resources=resources) if resources else None


def build(report: dict[str, Any], catalog: dict[str, dict[str, Any]] | None = None) -> Any:
    """The trestle AssessmentResults model of ``report`` (constructing it validates it)."""
    require_trestle()
    from trestle.oscal import OSCAL_VERSION
    from trestle.oscal.assessment_results import (
        AssessmentResults,
        ImportAp,
        LocalDefinitions1,
        Result,
    )
    from trestle.oscal.common import (
        AssociatedRisk,
        FindingTarget,
        ImplementationStatus,
        Metadata,
        ObjectiveStatus,
        Observation,
        Origin,
        OriginActor,
        RelatedObservation,
        SubjectReference,
    )
    from trestle.oscal.common import Finding as OscalFinding

    created = _time(report.get("created_at"), datetime.fromtimestamp(0).astimezone())
    effective = _time(report.get("effective_time"), created)
    stage = str(report.get("stage") or "unknown")
    bundle_digest = str(report.get("bundle_digest") or "unknown")
    policy_digest = str(report.get("policy_digest") or "unknown")
    ids = (bundle_digest, policy_digest, stage, report.get("effective_time"))
    results = sorted(report.get("results") or [], key=lambda r: str(r.get("control")))
    docs = {r["control"]: control_doc(r, catalog) for r in results}
    evidence = list((report.get("bundle") or {}).get("evidence") or [])
    applied = {str(w.get("id")): w for w in (report.get("waivers") or {}).get("applied") or []}
    components, tool_uuid, release_uuid = _components(report, ids)
    vouching = Vouching(report, ids)
    origin = Origin(actors=[OriginActor(type="tool", actor_uuid=tool_uuid)])
    subject = SubjectReference(subject_uuid=release_uuid, type="component")

    observations, found, risks = [], [], []
    for r in results:
        control = r["control"]
        doc = docs[control]
        info = (catalog or {}).get(control, {})
        obs_uuid = stable_uuid(*ids, "observation", control)
        state, reason, remark = _state(r)
        messages = _messages(r)
        observations.append(
            Observation(
                uuid=obs_uuid,
                title=line(f"{control}: {r.get('title') or control}"),
                description=messages or f"{control} {r.get('status')}: no findings.",
                props=[prop("control-id", control), prop("status", r.get("status"))],
                methods=["TEST"],
                types=["control-objective"],
                origins=[origin],
                subjects=[subject],
                relevant_evidence=_relevant_evidence(r, info, evidence, ids, vouching) or None,
                collected=effective,
            )
        )
        control_risks = _waiver_risks(r, applied, ids, obs_uuid)
        risks += control_risks
        description = " ".join(str(doc["description"]).split()) or str(r.get("title") or control)
        remediation = " ".join(str(doc["remediation"]).split())
        target_props = [
            prop("control-id", control),
            prop("status", r.get("status")),
            prop("severity", r.get("severity") or "unknown"),
            prop("enforcement", r.get("enforcement") or "unknown"),
        ] + _mapping_props(doc["frameworks"])
        found.append(
            OscalFinding(
                uuid=stable_uuid(*ids, "finding", control),
                title=line(f"{control}: {r.get('title') or control}"),
                description=description
                + (f"\n\nRemediation: {remediation}" if remediation else ""),
                origins=[origin],
                target=FindingTarget(
                    type="objective-id",
                    target_id=token(control),
                    title=line(r.get("title") or control),
                    props=target_props,
                    status=ObjectiveStatus(state=state, reason=reason, remarks=remark),
                    implementation_status=ImplementationStatus(state="not-applicable")
                    if r.get("status") == "not_applicable"
                    else None,
                ),
                related_observations=[RelatedObservation(observation_uuid=obs_uuid)],
                related_risks=[AssociatedRisk(risk_uuid=risk.uuid) for risk in control_risks]
                or None,
                remarks=messages or None,
            )
        )

    decision = str(report.get("decision") or "error")
    result_props = [
        prop("decision", decision),
        prop("stage", stage),
        prop("effective-time", report.get("effective_time") or "unknown"),
        prop("bundle-digest", bundle_digest),
        prop("policy-digest", policy_digest),
    ]
    summary = report.get("summary") or {}
    result_props += [prop(f"count-{k}", v) for k, v in sorted(summary.items())]
    # What the configuration made laxer than the library at this stage, and where from, as
    # every format shows it beside the decision.
    result_props += [
        prop("weakened", weakened_line(item, limit=400), class_=str(item.get("kind") or "other"))
        for item in weakened(report)
    ]
    result_props += [prop("config-source", source) for source in config_sources(report)]
    result_props += vouching.result_props()
    result = Result(
        uuid=stable_uuid(*ids, "result"),
        title=line(f"{TITLE}: {components[1].title} at {stage}"),
        description=f"gatecheck decision {decision.upper()} for {components[1].title} at stage "
        f"{stage}, effective {report.get('effective_time')}.",
        start=effective,
        end=created if created >= effective else effective,
        props=result_props,
        local_definitions=LocalDefinitions1(components=components),
        reviewed_controls=_reviewed_controls(results, docs, report),
        observations=observations or None,
        risks=risks or None,
        findings=found or None,
        remarks=(
            f"The evaluation did not complete: {' '.join(str(report.get('error')).split())}"
            if decision == "error"
            else None
        ),
    )
    return AssessmentResults(
        uuid=stable_uuid(*ids, "assessment-results"),
        metadata=Metadata(
            title=line(f"{TITLE}: {components[1].title} at {stage}"),
            last_modified=created,
            version=str(report.get("gatecheck_version") or "unknown"),
            oscal_version=OSCAL_VERSION,
            props=[prop("report-type", report.get("report_type") or "unknown")],
            roles=vouching.roles(),
            parties=vouching.parties(),
            responsible_parties=vouching.responsible_parties(),
        ),
        import_ap=ImportAp(
            href=f"urn:gatecheck:policy-set:{policy_digest}",
            remarks="gatecheck publishes no assessment plan: the plan is the policy set with "
            f"this digest (the report's policy_digest) evaluated at stage {stage}.",
        ),
        results=[result],
        back_matter=_back_matter(evidence, ids, vouching),
    )


def render(
    report: dict[str, Any], *, catalog: dict[str, dict[str, Any]] | None = None, **_: Any
) -> str:
    from pydantic import ValidationError

    try:
        model = build(report, catalog)
    except ValidationError as exc:
        # Report text the OSCAL schema cannot hold: one line naming where, never a traceback.
        raise ReportError(f"cannot write the report as OSCAL: {validation_message(exc)}") from None
    return model.oscal_serialize_json(pretty=True) + "\n"
