"""Grype JSON (``grype -o json``).

Layout (grype's JSON presenter): ``matches[]`` each with ``vulnerability`` (id, severity,
cvss[], fix{versions, state}), ``relatedVulnerabilities[]`` (aliases, usually the NVD CVE)
and ``artifact`` (name, version, type, purl); ``ignoredMatches[]`` are findings the user's
grype configuration suppressed (each with ``appliedIgnoreRules[]``: vulnerability, reason,
fix-state, package, vex-status, vex-justification). A suppression in the scanner is not a
gatecheck waiver, so ignored matches are findings too, marked ``suppressed_by_tool`` with the
rules as ``suppression_reason``; ``source`` is what was scanned; ``descriptor`` names grype,
its version and the scan time. For an image, ``target_digests`` holds the image's manifest,
config (image ID) and repository digests, so policies can tell which artifact was scanned.

Severity is grype's label (Critical, High, Medium, Low, Negligible -> low, Unknown -> none);
only when grype gives no label is the band derived from the CVSS scores it lists. Grype's
JSON lists only matched packages, never the full inventory, so ``packages_complete`` is false.
"""

from __future__ import annotations

from typing import Any

from gatecheck.errors import EvidenceError
from gatecheck.evidence.interface import Document, EvidenceParser, ParseContext, Tool
from gatecheck.evidence.scans import severity as sev


def _is_grype(obj: dict[str, Any]) -> bool:
    descriptor = obj.get("descriptor")
    return (
        isinstance(obj.get("matches"), list)
        and isinstance(descriptor, dict)
        and descriptor.get("name") == "grype"
    )


def _cvss_scores(entries: Any) -> list[tuple[str, float]]:
    scores = []
    for entry in entries if isinstance(entries, list) else []:
        if not isinstance(entry, dict):
            continue
        version = str(entry.get("version") or "")
        metrics = entry.get("metrics")
        score = sev.parse_score(metrics.get("baseScore")) if isinstance(metrics, dict) else None
        if score is not None and version:
            scores.append((version, score))
        elif isinstance(entry.get("vector"), str):
            computed = sev.vector_score(entry["vector"])
            if computed is not None:
                scores.append(computed)
    return scores


def _target(source: Any) -> str | None:
    if not isinstance(source, dict):
        return None
    target = source.get("target")
    if isinstance(target, str):
        return target or None
    if isinstance(target, dict):
        for key in ("userInput", "path", "name"):
            if isinstance(target.get(key), str) and target[key]:
                return target[key]
    return None


def _target_digests(source: Any) -> list[str]:
    target = source.get("target") if isinstance(source, dict) else None
    if not isinstance(target, dict):
        return []
    repo_digests = target.get("repoDigests") if isinstance(target.get("repoDigests"), list) else []
    return sev.sha256_digests([target.get("manifestDigest"), target.get("imageID"), *repo_digests])


def _package(artifact: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": sev.text(artifact.get("name")),
        "version": sev.text(artifact.get("version")),
        "ecosystem": sev.text(artifact.get("type")),
        "purl": sev.text(artifact.get("purl")),
    }


def _ignore_reason(match: dict[str, Any]) -> str:
    """The grype ignore rules that hid a match, in words (its config gives no other reason)."""
    parts = []
    rules = match.get("appliedIgnoreRules")
    for rule in rules if isinstance(rules, list) else []:
        if not isinstance(rule, dict):
            continue
        fields = [
            f"{key} {rule[key]}"
            for key in ("vulnerability", "fix-state", "vex-status", "vex-justification", "reason")
            if isinstance(rule.get(key), str) and rule[key]
        ]
        package = rule.get("package")
        if isinstance(package, dict) and isinstance(package.get("name"), str):
            fields.append(f"package {package['name']}")
        parts.append(", ".join(fields) or "a rule matching every finding")
    return "grype ignore rule: " + ("; ".join(parts) if parts else "none recorded")


class GrypeParser(EvidenceParser):
    family = "vulnerability-scan"
    formats = ("grype-json",)

    def detect(self, doc: Document) -> str | None:
        obj = doc.json_object()
        return "grype-json" if obj is not None and _is_grype(obj) else None

    def parse(self, doc: Document, fmt: str, ctx: ParseContext) -> dict[str, Any]:
        obj = doc.json
        if not isinstance(obj, dict) or not _is_grype(obj):
            raise EvidenceError(f"{doc.name}: not a Grype JSON report")
        descriptor = obj["descriptor"]
        packages: list[dict[str, Any]] = []
        seen: set[tuple[Any, ...]] = set()
        vulns = []
        ignored = obj.get("ignoredMatches")
        all_matches = [("matches", obj["matches"])]
        if isinstance(ignored, list):
            all_matches.append(("ignoredMatches", ignored))
        for key, matches in all_matches:
            for i, match in enumerate(matches):
                pointer = f"/{key}/{i}"
                if not isinstance(match, dict) or not isinstance(match.get("artifact"), dict):
                    raise EvidenceError(f"{doc.name}: {pointer} has no artifact")
                package = _package(match["artifact"])
                if package["name"] is None:
                    raise EvidenceError(f"{doc.name}: {pointer}/artifact has no name")
                identity = (package["name"], package["version"], package["ecosystem"])
                if identity not in seen:
                    seen.add(identity)
                    packages.append(package)
                finding = self._finding(doc, match, package, pointer)
                if key == "ignoredMatches":
                    finding["suppressed_by_tool"] = True
                    finding["suppression_reason"] = _ignore_reason(match)
                vulns.append(finding)
        return {
            "scanner": {"name": "grype", "version": sev.text(descriptor.get("version"))},
            "timestamp": sev.normalize_time(descriptor.get("timestamp")),
            "target": _target(obj.get("source")),
            "target_digests": _target_digests(obj.get("source")),
            "packages": packages,
            "packages_complete": False,
            # Grype always catalogs packages (its JSON lists only the matched ones).
            "scanned_packages": True,
            "unaudited": [],
            "warnings": [],
            "vulnerabilities": vulns,
        }

    @staticmethod
    def _finding(
        doc: Document, match: dict[str, Any], package: dict[str, Any], pointer: str
    ) -> dict[str, Any]:
        vuln = match.get("vulnerability")
        if not isinstance(vuln, dict) or not sev.text(vuln.get("id")):
            raise EvidenceError(f"{doc.name}: {pointer}/vulnerability has no id")
        related = [r for r in match.get("relatedVulnerabilities") or [] if isinstance(r, dict)]
        aliases: list[str] = []
        for r in related:
            if sev.text(r.get("id")) and r["id"] != vuln["id"] and r["id"] not in aliases:
                aliases.append(r["id"])
        # The match's own CVSS first; the related (usually NVD) record only when it has none.
        best = sev.best_score(_cvss_scores(vuln.get("cvss")))
        if best is None:
            best = sev.best_score([s for r in related for s in _cvss_scores(r.get("cvss"))])
        band = sev.label_band(vuln.get("severity"))
        if band is None and best is not None:
            band = sev.score_band(best[1], best[0])
        fix = vuln.get("fix") if isinstance(vuln.get("fix"), dict) else {}
        return {
            "id": vuln["id"],
            "aliases": aliases,
            "package": package,
            "severity": band,
            "cvss_score": best[1] if best else None,
            "fix_versions": [v for v in fix.get("versions") or [] if isinstance(v, str) and v],
            "pointer": f"{pointer}/vulnerability",
            "suppressed_by_tool": False,
            "suppression_reason": None,
        }

    def tool(self, doc: Document, fmt: str) -> Tool | None:
        obj = doc.json_object() or {}
        descriptor = obj.get("descriptor") if isinstance(obj.get("descriptor"), dict) else {}
        return Tool("grype", sev.text(descriptor.get("version")))
