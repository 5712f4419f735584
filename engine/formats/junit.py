"""JUnit XML for CI test dashboards: one testcase per control.

A failed control is a ``<failure>``; a warning is a passing testcase whose findings are in
``<system-out>`` (it does not block); a not-applicable control is ``<skipped>``. A decision of
``error`` is one testcase with ``<error>``, so dashboards never show an incomplete evaluation
as green.
"""

from __future__ import annotations

from typing import Any
from xml.etree import ElementTree as ET

from gatecheck.engine.formats._common import findings, ordered_results, ref_text, release_label


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
        },
    )
    counts = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    if report.get("decision") == "error":
        case = ET.SubElement(suite, "testcase", name="evaluation", classname=classname)
        error = ET.SubElement(case, "error", message=str(report.get("error")), type="error")
        error.text = str(report.get("error"))
        counts["tests"], counts["errors"] = 1, 1
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
