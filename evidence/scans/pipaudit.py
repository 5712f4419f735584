"""pip-audit JSON (``pip-audit -f json``).

pip-audit marks packages it could not audit with ``skip_reason`` and still prints "No known
vulnerabilities found" and exits 0 (for instance when the vulnerability service is
unreachable). Those packages are recorded as unaudited so the scan control fails on them.
pip-audit gives no severity; policies apply ``vuln_unknown_severity``. It records no scan
time either: policies fall back to the time its producer signed into the attestation (an
unsigned pip-audit report has no age, and GC-ART-005 fails it).
"""

from __future__ import annotations

from typing import Any

from gatecheck.errors import EvidenceError
from gatecheck.evidence.interface import Document, EvidenceParser, ParseContext, Tool


def _is_pip_audit(obj: dict[str, Any]) -> bool:
    deps = obj.get("dependencies")
    if not isinstance(deps, list) or "fixes" not in obj:
        return False
    return all(isinstance(d, dict) and "name" in d for d in deps[:5])


def pypi_purl(name: str, version: str | None) -> str:
    normalized = name.lower().replace("_", "-").replace(".", "-")
    return f"pkg:pypi/{normalized}@{version}" if version else f"pkg:pypi/{normalized}"


class PipAuditParser(EvidenceParser):
    family = "vulnerability-scan"
    formats = ("pip-audit-json",)

    def detect(self, doc: Document) -> str | None:
        obj = doc.json_object()
        return "pip-audit-json" if obj is not None and _is_pip_audit(obj) else None

    def parse(self, doc: Document, fmt: str, ctx: ParseContext) -> dict[str, Any]:
        obj = doc.json
        if not isinstance(obj, dict) or not _is_pip_audit(obj):
            raise EvidenceError(f"{doc.name}: not a pip-audit JSON report")
        packages, unaudited, vulns = [], [], []
        # Runs once per dependency (50,000 in large environments): each value read once.
        for i, dep in enumerate(obj["dependencies"]):
            if type(dep) is not dict:
                raise EvidenceError(f"{doc.name}: /dependencies/{i} is not an object")
            name, version = dep.get("name"), dep.get("version")
            name = name if type(name) is str else str(name)
            version = version if type(version) is str else None
            package = {
                "name": name,
                "version": version,
                "ecosystem": "PyPI",
                "purl": pypi_purl(name, version),
            }
            if dep.get("skip_reason"):
                unaudited.append(
                    {**package, "reason": str(dep["skip_reason"]), "pointer": f"/dependencies/{i}"}
                )
                continue
            packages.append(package)
            for j, vuln in enumerate(dep.get("vulns") or []):
                if not isinstance(vuln, dict) or not isinstance(vuln.get("id"), str):
                    raise EvidenceError(
                        f"{doc.name}: /dependencies/{i}/vulns/{j} has no vulnerability id"
                    )
                vulns.append(
                    {
                        "id": vuln["id"],
                        "aliases": [a for a in vuln.get("aliases") or [] if isinstance(a, str)],
                        "package": package,
                        "severity": None,
                        "cvss_score": None,
                        "fix_versions": [
                            v for v in vuln.get("fix_versions") or [] if isinstance(v, str)
                        ],
                        "pointer": f"/dependencies/{i}/vulns/{j}",
                        # --ignore-vuln drops findings from the JSON without a trace.
                        "suppressed_by_tool": False,
                        "suppression_reason": None,
                    }
                )
        return {
            "scanner": {"name": "pip-audit", "version": None},
            "timestamp": None,
            "target": None,
            "target_digests": [],
            "packages": packages,
            # pip-audit lists every dependency it collected, audited or not.
            "packages_complete": True,
            "scanned_packages": bool(obj["dependencies"]),
            "unaudited": unaudited,
            "warnings": [],
            "vulnerabilities": vulns,
        }

    def tool(self, doc: Document, fmt: str) -> Tool | None:
        return Tool("pip-audit")
