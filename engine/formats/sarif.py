"""SARIF 2.1.0 for code-scanning dashboards.

Every evaluated control is a rule (help text from its description and remediation); every
finding is a result located at the evidence file in the bundle that caused it, with the JSON
pointer into that file as a logical location. Waived findings are results with an accepted
external suppression, so they stay visible. Evidence files are run artifacts with their
sha256, relative to the ``BUNDLE`` base (the bundle directory, given with ``bundle_uri``).
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from gatecheck.engine.formats._common import (
    auth_evidence,
    authenticity,
    config_sources,
    control_doc,
    evidence_label,
    findings,
    ordered_results,
    vouched_by,
    weakened,
    weakened_line,
)

MANIFEST = "manifest.json"
SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
_LEVEL = {"fail": "error", "warn": "warning", "waived": "error", "not_applicable": "none"}
_DEFAULT_LEVEL = {"fail": "error", "warn": "warning", "off": "none"}
# GitHub code scanning ranks security alerts by a 0-10 security-severity.
_SECURITY_SEVERITY = {"critical": "9.5", "high": "8.0", "medium": "5.5", "low": "3.0"}
_KIND = {"fail": "fail", "warn": "review", "waived": "fail", "not_applicable": "notApplicable"}


def _rule(result: dict[str, Any], catalog: dict[str, dict[str, Any]] | None) -> dict[str, Any]:
    doc = control_doc(result, catalog)
    description = " ".join(doc["description"].split()) or result["title"]
    remediation = " ".join(doc["remediation"].split())
    frameworks = doc["frameworks"]
    help_text = description + (f"\n\nRemediation: {remediation}" if remediation else "")
    help_md = f"**{result['control']}: {result['title']}**\n\n{description}"
    if remediation:
        help_md += f"\n\n**Remediation:** {remediation}"
    if frameworks:
        mapped = "; ".join(f"{k}: {', '.join(map(str, v))}" for k, v in sorted(frameworks.items()))
        help_md += f"\n\n**Frameworks:** {mapped}"
    tags = ["compliance", "gatecheck"] + [
        f"{k}/{ref}" for k, refs in sorted(frameworks.items()) for ref in refs
    ]
    return {
        "id": result["control"],
        "name": "".join(w.capitalize() for w in result["title"].split() if w.isalnum()) or None,
        "shortDescription": {"text": result["title"]},
        "fullDescription": {"text": description},
        "help": {"text": help_text, "markdown": help_md},
        "defaultConfiguration": {"level": _DEFAULT_LEVEL.get(result.get("enforcement"), "warning")},
        "properties": {
            "severity": result["severity"],
            "security-severity": _SECURITY_SEVERITY.get(result["severity"], "5.0"),
            "tags": tags,
        },
    }


def _location(ref: dict[str, Any], artifact_index: dict[str, int]) -> dict[str, Any]:
    path = str(ref.get("path"))
    location: dict[str, Any] = {
        "physicalLocation": {"artifactLocation": {"uri": path, "uriBaseId": "BUNDLE"}}
    }
    if path in artifact_index:
        location["physicalLocation"]["artifactLocation"]["index"] = artifact_index[path]
    pointer = ref.get("pointer") or ""
    if pointer:
        location["logicalLocations"] = [{"fullyQualifiedName": pointer, "kind": "element"}]
        location["properties"] = {"jsonPointer": pointer}
    return location


def _fingerprint(control: str, message: str, refs: list[dict[str, Any]]) -> str:
    key = json.dumps([control, message, [(r.get("path"), r.get("pointer")) for r in refs]])
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def _results(
    result: dict[str, Any], rule_index: int, artifact_index: dict[str, int]
) -> list[dict[str, Any]]:
    out = []
    waiver = next((w.get("waiver") for w in result.get("waived") or [] if w.get("waiver")), None)
    for kind, message, refs in findings(result):
        if kind == "not_applicable":
            continue
        item: dict[str, Any] = {
            "ruleId": result["control"],
            "ruleIndex": rule_index,
            "level": _LEVEL.get(kind, "note"),
            "kind": _KIND.get(kind, "review"),
            "message": {"text": message or result["title"]},
            # Code-scanning tools need a location: a finding that cites no file (missing
            # evidence) is located at the bundle's manifest.
            "locations": [_location(ref, artifact_index) for ref in refs[:10]]
            or [_location({"path": MANIFEST}, artifact_index)],
            "partialFingerprints": {
                "gatecheckFinding/v1": _fingerprint(result["control"], message, refs)
            },
            "properties": {"status": result["status"], "enforcement": result.get("enforcement")},
        }
        if len(refs) > 10:
            item["relatedLocations"] = [
                {"id": i, **_location(ref, artifact_index)} for i, ref in enumerate(refs[10:])
            ]
        if kind == "waived":
            # An external suppression without `status` is in effect (SARIF 2.1.0 §3.35); the
            # property is left out because pre-release 2.1.0 schemas still call it `state`.
            item["suppressions"] = [{"kind": "external", "justification": str(waiver or "")}]
        out.append(item)
    return out


def _weakening_notifications(report: dict[str, Any]) -> list[dict[str, Any]]:
    """Configuration notifications (SARIF §3.20.22): one per control or parameter the
    configuration relaxed, each naming where it came from."""
    out = []
    for item in weakened(report):
        note: dict[str, Any] = {
            "level": "warning",
            "message": {"text": weakened_line(item, limit=400)},
            "descriptor": {"id": f"gatecheck/weakened/{item.get('kind')}"},
            "properties": {k: item.get(k) for k in ("kind", "param", "stage", "direction")}
            | {"value": item.get("value"), "default": item.get("default")}
            | {"source": item.get("source")},
        }
        if item.get("control"):
            note["associatedRule"] = {"id": str(item["control"])}
        out.append(note)
    return out


def _authenticity_notifications(
    report: dict[str, Any], artifact_index: dict[str, int]
) -> list[dict[str, Any]]:
    """An execution notification per evidence file nobody vouched for, located at the file."""
    out = []
    for item in auth_evidence(report):
        if item.get("authenticated") is True:
            continue
        out.append(
            {
                "level": "error" if item.get("excluded") else "warning",
                "message": {"text": f"{evidence_label(item)}: {vouched_by(item)}"},
                "descriptor": {"id": "gatecheck/unauthenticated-evidence"},
                "locations": [_location({"path": item.get("path")}, artifact_index)],
                "properties": {"excluded": bool(item.get("excluded"))},
            }
        )
    return out


def _vouched(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Bundle path -> who vouched for it, as artifact properties."""
    return {
        str(e.get("path")): {
            k: e.get(k) for k in ("authenticated", "producer", "identity", "reason", "excluded")
        }
        for e in auth_evidence(report)
    }


def render(
    report: dict[str, Any],
    *,
    catalog: dict[str, dict[str, Any]] | None = None,
    bundle_uri: str | None = None,
    **_: Any,
) -> str:
    evidence = (report.get("bundle") or {}).get("evidence") or []
    vouched = _vouched(report)
    artifacts = [
        {
            "location": {"uri": e["path"], "uriBaseId": "BUNDLE"},
            "hashes": {"sha-256": e["sha256"]},
            "mimeType": "application/octet-stream",
            "roles": ["analysisTarget"],
            "properties": {
                "evidenceType": e.get("type"),
                "format": e.get("format"),
                **vouched.get(str(e["path"]), {}),
            },
        }
        for e in evidence
        if e.get("path") and e.get("sha256")
    ]
    artifact_index = {a["location"]["uri"]: i for i, a in enumerate(artifacts)}
    results_in = ordered_results(report)
    rules = [_rule(r, catalog) for r in results_in]
    for rule in rules:
        if rule["name"] is None:
            del rule["name"]
    results = []
    for index, result in enumerate(results_in):
        results += _results(result, index, artifact_index)
    decision = report.get("decision")
    invocation: dict[str, Any] = {
        "executionSuccessful": decision != "error",
        "exitCode": {"pass": 0, "fail": 1, "rollback": 1}.get(str(decision), 2),
    }
    if report.get("created_at"):
        invocation["endTimeUtc"] = report["created_at"]
    notifications = []
    if decision == "error":
        notifications.append({"level": "error", "message": {"text": str(report.get("error"))}})
    notifications += _authenticity_notifications(report, artifact_index)
    if notifications:
        invocation["toolExecutionNotifications"] = notifications
    if weakened(report):
        invocation["toolConfigurationNotifications"] = _weakening_notifications(report)
    base: dict[str, Any] = {"description": {"text": "Root of the evaluated evidence bundle."}}
    if bundle_uri:
        base["uri"] = bundle_uri if bundle_uri.endswith("/") else bundle_uri + "/"
    engine = report.get("engine") or {}
    run = {
        "tool": {
            "driver": {
                "name": "gatecheck",
                "version": str(report.get("gatecheck_version") or ""),
                "semanticVersion": str(report.get("gatecheck_version") or ""),
                "rules": rules,
            }
        },
        "invocations": [invocation],
        "originalUriBaseIds": {"BUNDLE": base},
        "artifacts": artifacts,
        "results": results,
        "automationDetails": {"id": f"gatecheck/{report.get('stage')}/"},
        "properties": {
            "decision": decision,
            "stage": report.get("stage"),
            "effectiveTime": report.get("effective_time"),
            "release": report.get("release"),
            "bundleDigest": report.get("bundle_digest"),
            "policyDigest": report.get("policy_digest"),
            "engine": engine,
            "summary": report.get("summary") or {},
        },
    }
    # Newer report keys only when the report has them, so older reports render as before.
    extra = {
        "weakened": weakened(report),
        "configSources": config_sources(report),
        "authenticity": authenticity(report),
    }
    run["properties"].update({k: v for k, v in extra.items() if v})
    log = {"$schema": SCHEMA_URI, "version": "2.1.0", "runs": [run]}
    return json.dumps(log, indent=2, ensure_ascii=False) + "\n"
