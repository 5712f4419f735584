"""From OPA's raw per-control report to statuses and the gate decision."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from gatecheck.engine.waivers import WaiverBook
from gatecheck.errors import EngineError

STATUSES = ("pass", "fail", "warn", "waived", "not_applicable")
DECISION_EXIT = {"pass": 0, "fail": 1, "rollback": 1, "error": 2}
_CONTROL_KEYS = {
    "id",
    "title",
    "severity",
    "enforcement",
    "violations",
    "warnings",
    "not_applicable",
}


@dataclass
class Decision:
    decision: str
    results: list[dict[str, Any]]
    summary: dict[str, int]
    disabled: list[str]
    auto_approved: bool


def _check_shape(raw: Any) -> list[dict[str, Any]]:
    """OPA's answer is data from a policy set that may include organisation policies: check
    its shape before trusting it, so a malformed answer is an error and never a pass."""
    if not isinstance(raw, dict) or not isinstance(raw.get("controls"), list):
        raise EngineError("the policy set returned no control report (data.gatecheck.main.report)")
    if raw.get("errors"):
        raise EngineError("policy library error: " + "; ".join(str(e) for e in raw["errors"][:5]))
    controls = raw["controls"]
    for control in controls:
        if not isinstance(control, dict) or not control.keys() >= _CONTROL_KEYS:
            raise EngineError("the policy set returned a malformed control entry")
        for key in ("violations", "warnings", "not_applicable"):
            if not isinstance(control[key], list):
                raise EngineError(f"control {control['id']}: {key} is not a list")
        for item in control["violations"] + control["warnings"]:
            if not isinstance(item, dict) or not isinstance(item.get("msg"), str):
                raise EngineError(f"control {control['id']}: a result has no message")
    if not controls:
        raise EngineError("the policy set declares no controls; nothing was evaluated")
    return controls


def _evidence(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    seen, refs = set(), []
    for item in items:
        for ref in item.get("evidence") or []:
            if isinstance(ref, dict):
                key = (ref.get("path"), ref.get("pointer"))
                if key not in seen:
                    seen.add(key)
                    refs.append({"path": ref.get("path"), "pointer": ref.get("pointer") or ""})
    return refs


def decide(raw: Any, *, stage: str, waivers: WaiverBook, rollback_controls: list[str]) -> Decision:
    controls = _check_shape(raw)
    results, disabled = [], []
    for control in sorted(controls, key=lambda c: c["id"]):
        enforcement = control["enforcement"]
        if enforcement == "off":
            disabled.append(control["id"])
            continue
        violations, warnings = control["violations"], control["warnings"]
        waived = []
        open_violations = []
        for violation in violations:
            waiver = waivers.match(control["id"], violation) if enforcement == "fail" else None
            if waiver is not None:
                waived.append({**violation, "waiver": waiver.id or waiver.justification})
            else:
                open_violations.append(violation)
        if open_violations:
            status = "fail" if enforcement == "fail" else "warn"
        elif waived:
            status = "waived"
        elif warnings:
            status = "warn"
        elif control["not_applicable"]:
            status = "not_applicable"
        else:
            status = "pass"
        messages = [v["msg"] for v in open_violations] + [f"waived: {v['msg']}" for v in waived]
        messages += [w["msg"] for w in warnings]
        if status == "not_applicable":
            messages = [str(r) for r in control["not_applicable"]]
        results.append(
            {
                "control": control["id"],
                "title": control["title"],
                "severity": control["severity"],
                "enforcement": enforcement,
                "status": status,
                "messages": messages,
                "evidence": _evidence(open_violations + waived + warnings),
                "violations": open_violations,
                "waived": waived,
                "warnings": warnings,
                "remediation": control.get("remediation", ""),
            }
        )
    summary = {status: 0 for status in STATUSES}
    for result in results:
        summary[result["status"]] += 1
    summary["total"] = len(results)
    failed = [r["control"] for r in results if r["status"] == "fail"]
    if not failed:
        decision = "pass"
    elif stage == "post-deploy" and set(failed) & set(rollback_controls):
        decision = "rollback"
    else:
        decision = "fail"
    auto = decision == "pass" and bool(raw.get("auto_approval_eligible"))
    return Decision(decision, results, summary, disabled, auto)
