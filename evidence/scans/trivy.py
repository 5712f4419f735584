"""Trivy JSON, SchemaVersion 2 (``trivy image|fs|sbom --format json``).

Layout (trivy ``pkg/types`` Report): ``ArtifactName``, ``CreatedAt``, ``Trivy.Version``,
``Metadata.OS`` and ``Results[]`` per target with ``Class`` (os-pkgs, lang-pkgs, config,
secret, license), ``Type``, ``Packages[]`` (only with ``--list-all-pkgs``, the default for
JSON in recent versions) and ``Vulnerabilities[]``.

Severity is Trivy's ``Severity`` (UNKNOWN -> none); only for UNKNOWN is the band derived from
the CVSS scores Trivy lists (the severity source's first, then NVD's, then any). Findings the
user suppressed (``.trivyignore``, ignore policies, VEX) appear, with ``--show-suppressed``,
under ``Results[].ExperimentalModifiedFindings[]`` (Go field ``ModifiedFindings``: ``Type``,
``Status`` such as ``ignored`` or ``not_affected``, ``Statement``, ``Source``, ``Finding``).
A suppression in the scanner is not a gatecheck waiver: suppressed vulnerabilities are findings
too, marked ``suppressed_by_tool`` with the status, statement and source as
``suppression_reason``. A report with no package result at all (``--scanners secret`` or
``config`` only) sets ``scanned_packages`` false: it is not a vulnerability scan. An
end-of-life OS is a warning: Trivy says its detection there "may be insufficient".
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from gatecheck.errors import EvidenceError
from gatecheck.evidence.interface import Document, EvidenceParser, ParseContext, Tool
from gatecheck.evidence.scans import severity as sev

_PACKAGE_CLASSES = ("os-pkgs", "lang-pkgs")
# The JSON key Trivy writes, and the Go field name some converters write instead.
_MODIFIED_KEYS = ("ExperimentalModifiedFindings", "ModifiedFindings")


def _modified_reason(entry: dict[str, Any]) -> str:
    parts = [
        f"{label} {entry[key]}"
        for key, label in (("Status", "status"), ("Statement", "statement"), ("Source", "source"))
        if isinstance(entry.get(key), str) and entry[key]
    ]
    return "trivy suppressed it: " + (", ".join(parts) if parts else "no reason recorded")


def _looks_like_trivy(obj: dict[str, Any]) -> bool:
    return "SchemaVersion" in obj and ("ArtifactName" in obj or "Results" in obj)


def _cvss(vuln: dict[str, Any]) -> tuple[str, float] | None:
    entries = vuln.get("CVSS")
    if not isinstance(entries, dict) or not entries:
        return None
    preferred = [
        vuln.get("SeveritySource"),
        "nvd",
        *sorted(k for k in entries if isinstance(k, str)),
    ]
    for source in preferred:
        entry = entries.get(source) if isinstance(source, str) else None
        if not isinstance(entry, dict):
            continue
        scores = []
        for score_key, vector_key, version in (
            ("V40Score", "V40Vector", "4.0"),
            ("V3Score", "V3Vector", "3"),
            ("V2Score", "V2Vector", "2"),
        ):
            score = sev.parse_score(entry.get(score_key))
            if score is None and isinstance(entry.get(vector_key), str):
                computed = sev.vector_score(entry[vector_key])
                score = computed[1] if computed else None
            if score is not None:
                scores.append((version, score))
        best = sev.best_score(scores)
        if best is not None:
            return best
    return None


def _package_from_listing(pkg: dict[str, Any], ecosystem: str | None) -> dict[str, Any]:
    identifier = pkg.get("Identifier") if isinstance(pkg.get("Identifier"), dict) else {}
    version = sev.text(pkg.get("Version"))
    # OS packages carry epoch and release separately; findings name the full version.
    if version and sev.text(pkg.get("Release")):
        version = f"{version}-{pkg['Release']}"
    if version and isinstance(pkg.get("Epoch"), int) and pkg["Epoch"] > 0:
        version = f"{pkg['Epoch']}:{version}"
    return {
        "name": sev.text(pkg.get("Name")),
        "version": version,
        "ecosystem": ecosystem,
        "purl": sev.text(identifier.get("PURL")),
    }


def _package_from_finding(vuln: dict[str, Any], ecosystem: str | None) -> dict[str, Any]:
    identifier = vuln.get("PkgIdentifier") if isinstance(vuln.get("PkgIdentifier"), dict) else {}
    return {
        "name": sev.text(vuln.get("PkgName")),
        "version": sev.text(vuln.get("InstalledVersion")),
        "ecosystem": ecosystem,
        "purl": sev.text(identifier.get("PURL")),
    }


class TrivyParser(EvidenceParser):
    family = "vulnerability-scan"
    formats = ("trivy-json",)

    def detect(self, doc: Document) -> str | None:
        obj = doc.json_object()
        return "trivy-json" if obj is not None and _looks_like_trivy(obj) else None

    def parse(self, doc: Document, fmt: str, ctx: ParseContext) -> dict[str, Any]:
        obj = doc.json
        if not isinstance(obj, dict) or not _looks_like_trivy(obj):
            raise EvidenceError(f"{doc.name}: not a Trivy JSON report")
        if obj["SchemaVersion"] != 2:
            raise EvidenceError(
                f"{doc.name}: Trivy JSON SchemaVersion {obj['SchemaVersion']!r} is not "
                "supported; use a Trivy release that writes SchemaVersion 2"
            )
        results = obj.get("Results") or []
        if not isinstance(results, list):
            raise EvidenceError(f"{doc.name}: Results is not a list")
        packages: list[dict[str, Any]] = []
        seen: set[Any] = set()
        vulns: list[dict[str, Any]] = []
        complete = True
        scanned_packages = False

        def add(package: dict[str, Any]) -> None:
            key = package["purl"] or (package["name"], package["version"], package["ecosystem"])
            if package["name"] and key not in seen:
                seen.add(key)
                packages.append(package)

        for i, result in enumerate(results):
            if not isinstance(result, dict):
                raise EvidenceError(f"{doc.name}: /Results/{i} is not an object")
            ecosystem = sev.text(result.get("Type"))
            listed = result.get("Packages")
            if isinstance(listed, list) and listed:
                for pkg in listed:
                    if isinstance(pkg, dict):
                        add(_package_from_listing(pkg, ecosystem))
            elif result.get("Class") in _PACKAGE_CLASSES:
                complete = False
            if result.get("Class") in _PACKAGE_CLASSES:
                scanned_packages = True
            for j, vuln in enumerate(result.get("Vulnerabilities") or []):
                pointer = f"/Results/{i}/Vulnerabilities/{j}"
                finding = self._checked_finding(doc, vuln, ecosystem, pointer, add)
                vulns.append(finding)
            for key in _MODIFIED_KEYS:
                modified = result.get(key)
                for j, entry in enumerate(modified if isinstance(modified, list) else []):
                    pointer = f"/Results/{i}/{key}/{j}"
                    if not isinstance(entry, dict) or entry.get("Type") != "vulnerability":
                        continue  # suppressed secrets, misconfigurations, licenses
                    finding = self._checked_finding(
                        doc, entry.get("Finding"), ecosystem, f"{pointer}/Finding", add
                    )
                    finding["suppressed_by_tool"] = True
                    finding["suppression_reason"] = _modified_reason(entry)
                    scanned_packages = True
                    vulns.append(finding)
        return {
            "scanner": {"name": "trivy", "version": self._version(obj)},
            "timestamp": sev.normalize_time(obj.get("CreatedAt")),
            "target": sev.text(obj.get("ArtifactName")),
            "target_digests": self._target_digests(obj),
            "packages": packages,
            "packages_complete": complete,
            "scanned_packages": scanned_packages or bool(packages),
            "unaudited": [],
            "warnings": self._warnings(obj),
            "vulnerabilities": vulns,
        }

    def _checked_finding(
        self,
        doc: Document,
        vuln: Any,
        ecosystem: str | None,
        pointer: str,
        add: Callable[[dict[str, Any]], None],
    ) -> dict[str, Any]:
        if not isinstance(vuln, dict) or not sev.text(vuln.get("VulnerabilityID")):
            raise EvidenceError(f"{doc.name}: {pointer} has no VulnerabilityID")
        package = _package_from_finding(vuln, ecosystem)
        if package["name"] is None:
            raise EvidenceError(f"{doc.name}: {pointer} has no PkgName")
        add(package)
        return self._finding(vuln, package, pointer)

    @staticmethod
    def _finding(vuln: dict[str, Any], package: dict[str, Any], pointer: str) -> dict[str, Any]:
        best = _cvss(vuln)
        band = sev.label_band(vuln.get("Severity"))
        if band is None and best is not None:
            band = sev.score_band(best[1], best[0])
        fixed = sev.text(vuln.get("FixedVersion"))
        vendor_ids = vuln.get("VendorIDs") if isinstance(vuln.get("VendorIDs"), list) else []
        return {
            "id": vuln["VulnerabilityID"],
            "aliases": [
                a for a in vendor_ids if isinstance(a, str) and a != vuln["VulnerabilityID"]
            ],
            "package": package,
            "severity": band,
            "cvss_score": best[1] if best else None,
            # Trivy joins several fixed versions (one per release line) with ", ".
            "fix_versions": [v.strip() for v in fixed.split(",") if v.strip()] if fixed else [],
            "pointer": pointer,
            "suppressed_by_tool": False,
            "suppression_reason": None,
        }

    @staticmethod
    def _version(obj: dict[str, Any]) -> str | None:
        trivy = obj.get("Trivy")
        return sev.text(trivy.get("Version")) if isinstance(trivy, dict) else None

    @staticmethod
    def _target_digests(obj: dict[str, Any]) -> list[str]:
        # An image's ID (config digest) and repository digests name the scanned bytes.
        metadata = obj.get("Metadata") if isinstance(obj.get("Metadata"), dict) else {}
        repo = metadata.get("RepoDigests") if isinstance(metadata.get("RepoDigests"), list) else []
        return sev.sha256_digests([metadata.get("ImageID"), *repo])

    @staticmethod
    def _warnings(obj: dict[str, Any]) -> list[dict[str, str]]:
        metadata = obj.get("Metadata") if isinstance(obj.get("Metadata"), dict) else {}
        os_info = metadata.get("OS") if isinstance(metadata.get("OS"), dict) else {}
        if os_info.get("EOSL") is True:
            name = f"{os_info.get('Family', 'unknown')} {os_info.get('Name', '')}".strip()
            return [
                {
                    "message": f"the scanned OS {name} is end of service life; Trivy's "
                    "vulnerability detection for it may be insufficient",
                    "pointer": "/Metadata/OS/EOSL",
                }
            ]
        return []

    def tool(self, doc: Document, fmt: str) -> Tool | None:
        obj = doc.json_object() or {}
        return Tool("trivy", self._version(obj))
