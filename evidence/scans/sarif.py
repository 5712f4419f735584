"""SARIF 2.1.0 static-analysis logs (family ``sast``).

Each result is normalized with the values the SARIF 2.1.0 specification defines for it:
- level (§3.27.10): ``result.level``; else, when ``kind`` is absent or ``fail``, the rule's
  ``defaultConfiguration.level``, else ``warning``; a result of any other kind (pass,
  notApplicable, informational, review, open) defaults to ``none``.
- security_severity: the ``security-severity`` property (GitHub code scanning's convention)
  of the result, else of its rule, as a number.
- suppressed (§3.27.23, §3.35.3): at least one suppression whose status is ``accepted`` or
  absent, and none ``underReview`` or ``rejected`` (the SARIF SDK's reading).
  ``suppression_justified`` says whether such an accepted suppression gives a justification.
- ``suppressed_by_tool`` / ``suppression_reason``: the same, in the shape every scanner's
  suppressed findings have (the reason is the justifications, or null).
- A log whose ``runs`` is null (§3.13.4: an error stopped the tool before it could start a run)
  is read as a failed analysis: no runs, ``runs_null`` true.
- Per run: tool name and version; ``execution_successful`` (false when any invocation says
  ``executionSuccessful: false``, null when the run records no invocation) and ``errors``
  (tool execution and configuration notifications at level ``error``).
Deviations a producer makes from the schema that do not stop reading (``"rules": null``,
a non-numeric security-severity) are recorded in the run's ``format_issues``.
"""

from __future__ import annotations

import re
from typing import Any

from gatecheck.errors import EvidenceError
from gatecheck.evidence.interface import Document, EvidenceParser, ParseContext, Tool
from gatecheck.evidence.scans.severity import parse_score

SUPPORTED_VERSION = "2.1.0"
LEVELS = ("none", "note", "warning", "error")
MAX_MESSAGE_CHARS = 2000
_PLACEHOLDER = re.compile(r"\{\{|\}\}|\{(\d+)\}")


def _is_sarif(obj: dict[str, Any]) -> bool:
    # §3.13.4: runs is null when an error stopped the tool before it could start a run.
    if not isinstance(obj.get("runs"), list) and not ("runs" in obj and obj["runs"] is None):
        return False
    schema = obj.get("$schema")
    return isinstance(obj.get("version"), str) or (
        isinstance(schema, str) and "sarif" in schema.lower()
    )


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _message_text(message: Any, rule: dict[str, Any] | None) -> str | None:
    message = _dict(message)
    text = message.get("text")
    if not isinstance(text, str) and isinstance(message.get("id"), str) and rule:
        # §3.11.7: a message by reference to the rule's messageStrings, with {n} arguments.
        template = _dict(_dict(rule.get("messageStrings")).get(message["id"])).get("text")
        if isinstance(template, str):
            text = _fill(template, [str(a) for a in _list(message.get("arguments"))])
    if not isinstance(text, str):
        text = message.get("markdown") if isinstance(message.get("markdown"), str) else None
    return text[:MAX_MESSAGE_CHARS] if text is not None else None


def _fill(template: str, args: list[str]) -> str:
    """§3.11.5 placeholders: {n} is argument n; {{ and }} are literal braces."""
    # Plain str.replace is much faster than the regex; safe unless braces could be re-read.
    if "{{" not in template and "}}" not in template and not any("{" in a for a in args):
        for i, arg in enumerate(args):
            template = template.replace(f"{{{i}}}", arg)
        return template
    return _PLACEHOLDER.sub(
        lambda m: (
            m.group(0)[0]
            if m.group(1) is None
            else (args[int(m.group(1))] if int(m.group(1)) < len(args) else m.group(0))
        ),
        template,
    )


class _Run:
    """Rule lookup for one run: the driver's rules and each extension's."""

    def __init__(self, run: dict[str, Any], pointer: str, issues: list[str]) -> None:
        tool = _dict(run.get("tool"))
        self.driver = _dict(tool.get("driver"))
        self.extensions = [_dict(e) for e in _list(tool.get("extensions"))]
        self.artifacts = _list(run.get("artifacts"))
        components = [("driver", self.driver)] + [
            (f"extensions/{i}", e) for i, e in enumerate(self.extensions)
        ]
        self.rules: list[list[dict[str, Any]]] = []
        self.by_id: dict[str, dict[str, Any]] = {}
        for where, component in components:
            rules = component.get("rules", [])
            if rules is None:
                issues.append(
                    f"{pointer}/tool/{where}/rules is null (the schema requires an array); "
                    "read as no rules"
                )
                rules = []
            elif not isinstance(rules, list):
                issues.append(f"{pointer}/tool/{where}/rules is not an array; ignored")
                rules = []
            rules = [_dict(r) for r in rules]
            self.rules.append(rules)
            if where == "driver":
                for rule in rules:
                    if isinstance(rule.get("id"), str):
                        self.by_id.setdefault(rule["id"], rule)

    def rule_for(self, result: dict[str, Any]) -> dict[str, Any] | None:
        ref = _dict(result.get("rule"))
        component = 0
        tool_component = _dict(ref.get("toolComponent"))
        if isinstance(tool_component.get("index"), int):
            component = tool_component["index"] + 1
        index = ref.get("index", result.get("ruleIndex"))
        rules = self.rules[component] if 0 <= component < len(self.rules) else []
        if isinstance(index, int) and not isinstance(index, bool) and 0 <= index < len(rules):
            return rules[index]
        rule_id = ref.get("id", result.get("ruleId"))
        if isinstance(rule_id, str):
            if rule_id in self.by_id:
                return self.by_id[rule_id]
            # §3.27.5: a hierarchical id "a/b" may name a sub-rule of rule "a".
            return self.by_id.get(rule_id.split("/", 1)[0])
        return None

    def uri(self, location: dict[str, Any]) -> tuple[str | None, str | None]:
        artifact = _dict(location.get("artifactLocation"))
        uri = artifact.get("uri")
        base = artifact.get("uriBaseId")
        index = artifact.get("index")
        if not isinstance(uri, str) and isinstance(index, int) and 0 <= index < len(self.artifacts):
            listed = _dict(_dict(self.artifacts[index]).get("location"))
            uri = listed.get("uri")
            base = base if isinstance(base, str) else listed.get("uriBaseId")
        return (uri if isinstance(uri, str) else None, base if isinstance(base, str) else None)


def _locations(result: dict[str, Any], run: _Run) -> list[dict[str, Any]]:
    out = []
    for location in _list(result.get("locations")):
        physical = _dict(_dict(location).get("physicalLocation"))
        uri, base = run.uri(physical)
        start = _dict(physical.get("region")).get("startLine")
        out.append(
            {
                "uri": uri,
                "uri_base_id": base,
                "start_line": start
                if isinstance(start, int) and not isinstance(start, bool)
                else None,
            }
        )
    return out


def _suppressions(result: dict[str, Any]) -> tuple[list[dict[str, Any]], bool, bool]:
    entries = []
    for s in _list(result.get("suppressions")):
        s = _dict(s)
        entries.append(
            {
                "kind": s.get("kind") if isinstance(s.get("kind"), str) else None,
                "status": s.get("status") if isinstance(s.get("status"), str) else None,
                "justification": s.get("justification")
                if isinstance(s.get("justification"), str)
                else None,
            }
        )
    accepted = [e for e in entries if e["status"] in (None, "accepted")]
    contested = any(e["status"] in ("underReview", "rejected") for e in entries)
    suppressed = bool(accepted) and not contested
    justified = suppressed and any((e["justification"] or "").strip() for e in accepted)
    return entries, suppressed, justified


def _reason(entries: list[dict[str, Any]]) -> str | None:
    texts = [e["justification"].strip() for e in entries if (e["justification"] or "").strip()]
    return "; ".join(texts) or None


def _security_severity(
    result: dict[str, Any], rule: dict[str, Any] | None, pointer: str, issues: list[str]
) -> float | None:
    for where, props in (
        ("", _dict(result.get("properties"))),
        ("rule", _dict((rule or {}).get("properties"))),
    ):
        if "security-severity" not in props:
            continue
        score = parse_score(props["security-severity"])
        if score is None:
            issues.append(
                f"{pointer}{'' if not where else ' (its rule)'}: security-severity "
                f"{props['security-severity']!r} is not a score from 0 to 10; ignored"
            )
            continue
        return score
    return None


def _level(result: dict[str, Any], rule: dict[str, Any] | None) -> str:
    level = result.get("level")
    if level in LEVELS:
        return level
    kind = result.get("kind", "fail")
    if kind != "fail":
        return "none"
    default = _dict(_dict(rule or {}).get("defaultConfiguration")).get("level")
    return default if default in LEVELS else "warning"


def _invocations(run: dict[str, Any], pointer: str) -> tuple[bool | None, list[dict[str, Any]]]:
    invocations = _list(run.get("invocations"))
    successful: bool | None = None
    errors = []
    for i, inv in enumerate(invocations):
        inv = _dict(inv)
        flag = inv.get("executionSuccessful")
        if flag is False:
            successful = False
        elif flag is True and successful is None:
            successful = True
        for key in ("toolExecutionNotifications", "toolConfigurationNotifications"):
            for j, note in enumerate(_list(inv.get(key))):
                note = _dict(note)
                # §3.58.6: a notification's level defaults to warning.
                if note.get("level", "warning") != "error":
                    continue
                errors.append(
                    {
                        "message": _message_text(note.get("message"), None) or "(no message)",
                        "pointer": f"{pointer}/invocations/{i}/{key}/{j}",
                    }
                )
        if flag is False and not any(
            e["pointer"].startswith(f"{pointer}/invocations/{i}/") for e in errors
        ):
            errors.append(
                {
                    "message": "the tool reported executionSuccessful: false",
                    "pointer": f"{pointer}/invocations/{i}/executionSuccessful",
                }
            )
    return successful, errors


class SarifParser(EvidenceParser):
    family = "sast"
    formats = ("sarif",)

    def detect(self, doc: Document) -> str | None:
        obj = doc.json_object()
        return "sarif" if obj is not None and _is_sarif(obj) else None

    def parse(self, doc: Document, fmt: str, ctx: ParseContext) -> dict[str, Any]:
        obj = doc.json
        if not isinstance(obj, dict) or not _is_sarif(obj):
            raise EvidenceError(f"{doc.name}: not a SARIF log")
        version = obj.get("version")
        if version != SUPPORTED_VERSION:
            raise EvidenceError(
                f"{doc.name}: SARIF version {version!r} is not supported; "
                f"gatecheck reads SARIF {SUPPORTED_VERSION}"
            )
        runs, results = [], []
        for r, run in enumerate(obj["runs"] or []):
            pointer = f"/runs/{r}"
            if not isinstance(run, dict):
                raise EvidenceError(f"{doc.name}: {pointer} is not an object")
            issues: list[str] = []
            lookup = _Run(run, pointer, issues)
            tool = self._tool(lookup.driver)
            if tool["name"] is None:
                raise EvidenceError(f"{doc.name}: {pointer}/tool/driver has no name")
            raw_results = run.get("results")
            if raw_results is None:
                # §3.14.23: absent or null results means the tool did not run to completion.
                raw_results = []
                issues.append(f"{pointer}/results is absent or null: results not computed")
            elif not isinstance(raw_results, list):
                raise EvidenceError(f"{doc.name}: {pointer}/results is not an array")
            count = 0
            for i, result in enumerate(raw_results):
                if not isinstance(result, dict):
                    raise EvidenceError(f"{doc.name}: {pointer}/results/{i} is not an object")
                results.append(
                    self._result(result, lookup, r, tool, f"{pointer}/results/{i}", issues)
                )
                count += 1
            successful, errors = _invocations(run, pointer)
            runs.append(
                {
                    "index": r,
                    "tool": tool,
                    "execution_successful": successful,
                    "errors": errors,
                    "results_computed": run.get("results") is not None,
                    "result_count": count,
                    "format_issues": issues,
                    "pointer": pointer,
                }
            )
        states = [run["execution_successful"] for run in runs]
        return {
            "sarif_version": version,
            "tools": [run["tool"] for run in runs],
            "execution_successful": False
            if False in states
            else (True if states and all(s is True for s in states) else None),
            "errors": [e for run in runs for e in run["errors"]],
            "runs": runs,
            # true for "runs": null, the log of an analyzer that failed before any run.
            "runs_null": obj["runs"] is None,
            "results": results,
        }

    @staticmethod
    def _tool(driver: dict[str, Any]) -> dict[str, Any]:
        name = driver.get("name")
        version = driver.get("version", driver.get("semanticVersion"))
        return {
            "name": name if isinstance(name, str) and name else None,
            "version": version if isinstance(version, str) and version else None,
        }

    @staticmethod
    def _result(
        result: dict[str, Any],
        lookup: _Run,
        run_index: int,
        tool: dict[str, Any],
        pointer: str,
        issues: list[str],
    ) -> dict[str, Any]:
        rule = lookup.rule_for(result)
        rule_id = result.get("ruleId")
        if not isinstance(rule_id, str):
            rule_id = _dict(result.get("rule")).get("id")
        if not isinstance(rule_id, str) and rule:
            rule_id = rule.get("id")
        suppressions, suppressed, justified = _suppressions(result)
        baseline = result.get("baselineState")
        if "level" in result and result["level"] not in LEVELS:
            issues.append(f"{pointer}/level {result['level']!r} is not a SARIF level; ignored")
        return {
            "run": run_index,
            "tool": tool["name"],
            "rule_id": rule_id if isinstance(rule_id, str) else None,
            "kind": result.get("kind") if isinstance(result.get("kind"), str) else "fail",
            "level": _level(result, rule),
            "security_severity": _security_severity(result, rule, pointer, issues),
            "message": _message_text(result.get("message"), rule),
            "locations": _locations(result, lookup),
            "suppressions": suppressions,
            "suppressed": suppressed,
            "suppression_justified": justified,
            # Marked like the vulnerability scanners' ignore lists; only a justified
            # suppression exempts a result (GC-ART-006), an unjustified one still counts.
            "suppressed_by_tool": suppressed,
            "suppression_reason": _reason(suppressions) if suppressed else None,
            "baseline_state": baseline if isinstance(baseline, str) else None,
            "pointer": pointer,
        }

    def tool(self, doc: Document, fmt: str) -> Tool | None:
        obj = doc.json_object() or {}
        runs = _list(obj.get("runs"))
        if not runs:
            return None
        driver = _dict(_dict(_dict(runs[0]).get("tool")).get("driver"))
        info = self._tool(driver)
        return Tool(info["name"], info["version"]) if info["name"] else None
