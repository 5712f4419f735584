"""JUnit XML for CI test dashboards: one testcase per control.

A failed control is a ``<failure>``; a warning is a passing testcase whose findings are in
``<system-out>`` (it does not block); a not-applicable control is ``<skipped>``. A decision of
``error`` is one testcase with ``<error>``, so dashboards never show an incomplete evaluation
as green.
"""

from __future__ import annotations

from typing import Any
from xml.etree import ElementTree as ET

from gatecheck.engine.formats._common import (
    approval_line,
    auth_approvals,
    auth_evidence,
    authenticity,
    authenticity_summary,
    config_sources,
    evidence_label,
    findings,
    one_line,
    ordered_results,
    ref_text,
    release_label,
    vouched_by,
    weakened,
    weakened_line,
    weakened_title,
)


def _details(result: dict[str, Any]) -> str:
    lines = []
    for kind, message, refs in findings(result):
        lines.append(f"[{kind}] {message}")
        lines += [f"    evidence: {ref_text(ref)}" for ref in refs]
    if result.get("remediation") and result["status"] in ("fail", "warn"):
        lines.append(f"fix: {' '.join(result['remediation'].split())}")
    return "\n".join(lines)


def _suite_name(report: dict[str, Any]) -> str:
    return f"gatecheck {release_label(report)} {report.get('stage')}"


def _properties(parent: ET.Element, values: dict[str, Any]) -> None:
    props = ET.SubElement(parent, "properties")
    for name, value in values.items():
        if value is not None:
            ET.SubElement(props, "property", name=name, value=str(value))


def _context_properties(report: dict[str, Any]) -> dict[str, Any]:
    """Weakening, configuration sources and who vouched for what, one property per line."""
    values: dict[str, Any] = {}
    items = weakened(report)
    if items:
        values["weakened"] = weakened_title(report)
    for i, item in enumerate(items, 1):
        values[f"weakened.{i}"] = weakened_line(item, limit=200)
    for i, source in enumerate(config_sources(report), 1):
        values[f"config_source.{i}"] = source
    if authenticity(report) is not None:
        values["authenticity"] = authenticity_summary(report)
        unauthenticated = [e for e in auth_evidence(report) if e.get("authenticated") is not True]
        for i, item in enumerate(unauthenticated, 1):
            values[f"unauthenticated.{i}"] = one_line(f"{evidence_label(item)}: {vouched_by(item)}")
        for i, item in enumerate(auth_approvals(report), 1):
            values[f"approval.{i}"] = approval_line(item)
    return values


def _weakening_case(suite: ET.Element, report: dict[str, Any], classname: str) -> bool:
    """A testcase at the top of the suite naming the weakening, so dashboards that ignore
    properties still show it. It passes: the gate's decision is the controls' verdict."""
    items = weakened(report)
    if not items:
        return False
    case = ET.SubElement(
        suite, "testcase", name=weakened_title(report).upper(), classname=f"{classname}.policy"
    )
    out = ET.SubElement(case, "system-out")
    out.text = "\n".join(weakened_line(item, limit=400) for item in items)
    return True


def render(report: dict[str, Any], **_: Any) -> str:
    classname = f"gatecheck.{report.get('stage')}"
    root = ET.Element("testsuites", name="gatecheck")
    suite = ET.SubElement(root, "testsuite", name=_suite_name(report))
    _properties(
        suite,
        {
            "decision": report.get("decision"),
            "release": release_label(report),
            "stage": report.get("stage"),
            "effective_time": report.get("effective_time"),
            "bundle_digest": report.get("bundle_digest"),
            "policy_digest": report.get("policy_digest"),
            "gatecheck_version": report.get("gatecheck_version"),
            **_context_properties(report),
        },
    )
    counts = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    if report.get("decision") == "error":
        case = ET.SubElement(suite, "testcase", name="evaluation", classname=classname)
        error = ET.SubElement(case, "error", message=str(report.get("error")), type="error")
        error.text = str(report.get("error"))
        counts["tests"] += 1
        counts["errors"] += 1
    counts["tests"] += _weakening_case(suite, report, classname)
    for result in ordered_results(report):
        counts["tests"] += 1
        case = ET.SubElement(
            suite,
            "testcase",
            name=f"{result['control']} {result['title']}",
            classname=classname,
        )
        status = result["status"]
        messages = result.get("messages") or []
        if status == "fail":
            counts["failures"] += 1
            failure = ET.SubElement(
                case,
                "failure",
                message=messages[0] if messages else "control failed",
                type=f"{result['control']}/{result['severity']}",
            )
            failure.text = _details(result)
        elif status == "not_applicable":
            counts["skipped"] += 1
            ET.SubElement(case, "skipped", message="; ".join(messages) or "not applicable")
        elif status in ("warn", "waived"):
            out = ET.SubElement(case, "system-out")
            out.text = _details(result)
    for key, value in counts.items():
        suite.set(key, str(value))
        root.set(key, str(value))
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"
