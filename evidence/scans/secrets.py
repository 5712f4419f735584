"""Secret-scan results (family ``secret-scan``, read by GC-ART-009).

Three formats:

- gitleaks JSON (``gitleaks detect|dir|git --report-format json``): an array of findings,
  each with ``RuleID``, ``Description``, ``File``, ``StartLine``, ``Commit``, ``Fingerprint``
  and the secret itself in ``Secret``/``Match`` (gitleaks ``report.Finding``). A clean scan is
  ``[]``, which says nothing about its origin: add it with ``--type secret-scan``.
- Trivy JSON (SchemaVersion 2) read for its secrets: ``Results[].Secrets[]`` (``RuleID``,
  ``Category``, ``Severity``, ``Title``, ``StartLine``) per ``Target``, plus findings the user
  suppressed (``Results[].ModifiedFindings[]`` of ``Type`` ``secret``), which still count. A
  Trivy report is detected as a vulnerability scan; add it with ``--type secret-scan``.
- SARIF 2.1.0 from a secret scanner (gitleaks, Trivy, TruffleHog... ``--report-format
  sarif``): every result of kind fail, open or review is a finding, suppressed or not; a run
  whose results were not computed or whose execution failed makes the scan incomplete.

Facts never carry the secret: not ``Secret``, ``Match``, code lines or messages (which can
quote it), only where it is and which rule found it.
"""

from __future__ import annotations

from typing import Any

from gatecheck.errors import EvidenceError
from gatecheck.evidence.interface import Document, EvidenceParser, ParseContext, Tool
from gatecheck.evidence.scans import severity as sev
from gatecheck.evidence.scans.sarif import SarifParser

Facts = dict[str, Any]
GITLEAKS = "gitleaks-json"
TRIVY = "trivy-secrets-json"
SARIF = "sarif-secrets"
_FINDING_KINDS = ("fail", "open", "review")


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _finding(
    rule_id: str | None,
    file: str | None,
    line: int | None,
    pointer: str,
    *,
    fingerprint: str | None = None,
    severity: str | None = None,
    description: str | None = None,
    commit: str | None = None,
    suppressed: bool = False,
) -> Facts:
    return {
        "rule_id": rule_id,
        "file": file,
        "line": line,
        "commit": commit,
        # A stable name for the finding (gitleaks' own fingerprint where it gives one); a part
        # the report does not give is `-`, never the word None.
        "fingerprint": fingerprint
        or ":".join("-" if part is None else str(part) for part in (file, rule_id, line)),
        "severity": severity,
        "description": description,
        "suppressed_by_tool": suppressed,
        "pointer": pointer,
    }


def _scan(
    name: str,
    version: str | None,
    findings: list[Facts],
    *,
    timestamp: str | None = None,
    target: str | None = None,
    complete: bool = True,
    issues: list[str] | None = None,
) -> Facts:
    return {
        "scanner": {"name": name, "version": version},
        "timestamp": timestamp,
        "target": target,
        "complete": complete,
        "issues": issues or [],
        "findings": findings,
    }


# -- gitleaks ---------------------------------------------------------------------------------


def _is_gitleaks(value: Any) -> bool:
    return isinstance(value, list) and all(
        isinstance(item, dict) and "RuleID" in item and "Fingerprint" in item for item in value
    )


def _json_value(doc: Document) -> Any:
    if not doc.looks_like_json():
        return None
    try:
        return doc.json
    except EvidenceError:
        return None


class GitleaksParser(EvidenceParser):
    family = "secret-scan"
    formats = (GITLEAKS,)

    def detect(self, doc: Document) -> str | None:
        # An empty array is every tool's "nothing": only a file declared a secret scan is one.
        value = _json_value(doc)
        return GITLEAKS if value and _is_gitleaks(value) else None

    def detect_declared(self, doc: Document) -> str | None:
        """The format of a file declared to be a secret scan (``--type secret-scan`` or an
        attestation of that type): also gitleaks' clean report, ``[]``."""
        return GITLEAKS if _is_gitleaks(_json_value(doc)) else None

    def parse(self, doc: Document, fmt: str, ctx: ParseContext) -> Facts:
        value = doc.json
        if not _is_gitleaks(value):
            raise EvidenceError(
                f"{doc.name}: not a gitleaks JSON report (an array of findings, each with "
                "RuleID and Fingerprint)"
            )
        findings = []
        for i, item in enumerate(value):
            rule = sev.text(item.get("RuleID"))
            if rule is None:
                raise EvidenceError(f"{doc.name}: /{i}/RuleID is empty")
            findings.append(
                _finding(
                    rule,
                    sev.text(item.get("File")),
                    _int(item.get("StartLine")),
                    f"/{i}",
                    fingerprint=sev.text(item.get("Fingerprint")),
                    description=sev.text(item.get("Description")),
                    commit=sev.text(item.get("Commit")),
                )
            )
        # gitleaks writes no scan time or target into its report: the attestation's signed
        # time and subject say when and what it scanned.
        return _scan("gitleaks", None, findings)

    def tool(self, doc: Document, fmt: str) -> Tool | None:
        return Tool("gitleaks")


# -- Trivy ------------------------------------------------------------------------------------


class TrivySecretsParser(EvidenceParser):
    family = "secret-scan"
    formats = (TRIVY,)

    def detect(self, doc: Document) -> str | None:
        obj = doc.json_object()
        if obj is None or "SchemaVersion" not in obj:
            return None
        return TRIVY if "ArtifactName" in obj or "Results" in obj else None

    def parse(self, doc: Document, fmt: str, ctx: ParseContext) -> Facts:
        obj = doc.json
        if not isinstance(obj, dict) or self.detect(doc) is None:
            raise EvidenceError(f"{doc.name}: not a Trivy JSON report")
        if obj["SchemaVersion"] != 2:
            raise EvidenceError(
                f"{doc.name}: Trivy JSON SchemaVersion {obj['SchemaVersion']!r} is not supported"
            )
        results = obj.get("Results") or []
        if not isinstance(results, list):
            raise EvidenceError(f"{doc.name}: Results is not a list")
        findings = []
        for i, result in enumerate(results):
            if not isinstance(result, dict):
                raise EvidenceError(f"{doc.name}: /Results/{i} is not an object")
            target = sev.text(result.get("Target"))
            for j, secret in enumerate(result.get("Secrets") or []):
                findings.append(self._secret(doc, secret, target, f"/Results/{i}/Secrets/{j}"))
            for j, modified in enumerate(result.get("ModifiedFindings") or []):
                if isinstance(modified, dict) and modified.get("Type") == "secret":
                    pointer = f"/Results/{i}/ModifiedFindings/{j}/Finding"
                    finding = self._secret(doc, modified.get("Finding"), target, pointer)
                    findings.append({**finding, "suppressed_by_tool": True})
        trivy = obj.get("Trivy") if isinstance(obj.get("Trivy"), dict) else {}
        return _scan(
            "trivy",
            sev.text(trivy.get("Version")),
            findings,
            timestamp=sev.normalize_time(obj.get("CreatedAt")),
            target=sev.text(obj.get("ArtifactName")),
        )

    @staticmethod
    def _secret(doc: Document, secret: Any, target: str | None, pointer: str) -> Facts:
        if not isinstance(secret, dict) or sev.text(secret.get("RuleID")) is None:
            raise EvidenceError(f"{doc.name}: {pointer} is not a secret finding (no RuleID)")
        return _finding(
            secret["RuleID"],
            target,
            _int(secret.get("StartLine")),
            pointer,
            severity=sev.label_band(secret.get("Severity")),
            description=sev.text(secret.get("Title")),
        )

    def tool(self, doc: Document, fmt: str) -> Tool | None:
        obj = doc.json_object() or {}
        trivy = obj.get("Trivy") if isinstance(obj.get("Trivy"), dict) else {}
        return Tool("trivy", sev.text(trivy.get("Version")))


# -- SARIF ------------------------------------------------------------------------------------


class SarifSecretsParser(EvidenceParser):
    family = "secret-scan"
    formats = (SARIF,)
    _sarif = SarifParser()

    def detect(self, doc: Document) -> str | None:
        return SARIF if self._sarif.detect(doc) else None

    def parse(self, doc: Document, fmt: str, ctx: ParseContext) -> Facts:
        log = self._sarif.parse(doc, "sarif", ctx)
        findings = []
        for result in log["results"]:
            if result["kind"] not in _FINDING_KINDS:
                continue
            location = (result["locations"] or [{}])[0]
            findings.append(
                _finding(
                    result["rule_id"],
                    location.get("uri"),
                    _int(location.get("start_line")),
                    result["pointer"],
                    suppressed=bool(result["suppressed"]),
                )
            )
        runs = log["runs"]
        issues = [
            f"{run['pointer']}: results not computed" for run in runs if not run["results_computed"]
        ] + [
            f"{run['pointer']}: execution failed"
            for run in runs
            if run["execution_successful"] is False
        ]
        tools = log["tools"]
        return _scan(
            tools[0]["name"] if tools else "sarif",
            tools[0]["version"] if tools else None,
            findings,
            complete=bool(runs) and not issues,
            issues=issues if runs else ["the log has no run"],
        )

    def tool(self, doc: Document, fmt: str) -> Tool | None:
        return self._sarif.tool(doc, "sarif")
