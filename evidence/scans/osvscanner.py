"""OSV-Scanner JSON (``osv-scanner --format json``).

Layout (osv-scanner ``pkg/models``): ``results[]`` per scanned source (``source.path``,
``source.type``), each with ``packages[]``: ``package`` {name, version, ecosystem},
``vulnerabilities[]`` (full OSV records) and ``groups[]`` ({ids, aliases, max_severity}) that
bundle the records describing one vulnerability (e.g. a GHSA and its RUSTSEC twin). One
normalized finding is reported per group, as OSV-Scanner counts them.

Severity: the group's ``max_severity`` (a CVSS base score OSV-Scanner computed) when present;
else the highest score computed from the records' ``severity[]`` CVSS vectors; else the
advisory database's own label (``database_specific.severity``, e.g. GHSA's ``MODERATE``).
OSV-Scanner lists only packages with findings unless run with ``--all-packages``; an entry
without vulnerabilities or license violations proves the full inventory is listed.
The output carries no scanner version and no scan time.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from gatecheck.errors import EvidenceError
from gatecheck.evidence.interface import Document, EvidenceParser, ParseContext, Tool
from gatecheck.evidence.scans import severity as sev
from gatecheck.evidence.scans.pipaudit import pypi_purl

_KNOWN_TOP_KEYS = {"results", "experimental_config", "image_metadata", "license_summary"}

# OSV ecosystem -> purl type (and namespace), as osv-scanner maps them.
_PURL_TYPES = {
    "go": ("golang", None),
    "crates.io": ("cargo", None),
    "npm": ("npm", None),
    "maven": ("maven", None),
    "rubygems": ("gem", None),
    "packagist": ("composer", None),
    "nuget": ("nuget", None),
    "pub": ("pub", None),
    "hex": ("hex", None),
    "cran": ("cran", None),
    "hackage": ("hackage", None),
    "conancenter": ("conan", None),
    "swifturl": ("swift", None),
    "github actions": ("githubactions", None),
    "debian": ("deb", "debian"),
    "ubuntu": ("deb", "ubuntu"),
    "alpine": ("apk", "alpine"),
}


def _is_osv_scanner(obj: dict[str, Any]) -> bool:
    results = obj.get("results")
    if not isinstance(results, list):
        return False
    if not results:
        # An empty scan: accept only osv-scanner's own top-level keys.
        return bool(obj) and set(obj) <= _KNOWN_TOP_KEYS
    first = results[0]
    return (
        isinstance(first, dict)
        and isinstance(first.get("source"), dict)
        and isinstance(first.get("packages"), list)
    )


def osv_purl(name: str, version: str | None, ecosystem: str | None) -> str | None:
    """Package URL for an OSV (ecosystem, name, version); None for ecosystems without one."""
    if not ecosystem or not name:
        return None
    base = ecosystem.split(":", 1)[0].strip().lower()
    if base == "pypi":
        return pypi_purl(name, version)
    if base not in _PURL_TYPES:
        return None
    ptype, namespace = _PURL_TYPES[base]
    if ptype == "maven" and ":" in name:
        path = "/".join(quote(part, safe="") for part in name.split(":", 1))
    elif ptype in ("golang", "composer", "npm", "swift"):
        # Slash-separated names keep their namespace segments; npm scopes encode the "@".
        path = "/".join(quote(part, safe="") for part in name.split("/"))
    else:
        path = quote(name, safe="")
    if namespace:
        path = f"{namespace}/{path}"
    suffix = f"@{quote(version, safe='+')}" if version else ""
    return f"pkg:{ptype}/{path}{suffix}"


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _fix_versions(records: list[dict[str, Any]], name: str, ecosystem: str | None) -> list[str]:
    base = (ecosystem or "").split(":", 1)[0].lower()
    fixes: list[str] = []
    for record in records:
        for affected in record.get("affected") or []:
            pkg = affected.get("package") if isinstance(affected, dict) else None
            if not isinstance(pkg, dict) or pkg.get("name") != name:
                continue
            if str(pkg.get("ecosystem", "")).split(":", 1)[0].lower() != base:
                continue
            for rng in affected.get("ranges") or []:
                # GIT ranges carry commit hashes, not versions a user can upgrade to.
                if not isinstance(rng, dict) or rng.get("type") == "GIT":
                    continue
                for event in rng.get("events") or []:
                    fixed = event.get("fixed") if isinstance(event, dict) else None
                    if isinstance(fixed, str) and fixed not in fixes:
                        fixes.append(fixed)
    return fixes


def _record_scores(record: dict[str, Any]) -> list[tuple[str, float]]:
    scores = []
    for entry in record.get("severity") or []:
        if not isinstance(entry, dict) or not isinstance(entry.get("score"), str):
            continue
        computed = sev.vector_score(entry["score"])
        if computed is not None:
            scores.append(computed)
    return scores


def _record_label(record: dict[str, Any]) -> str | None:
    labels = []
    specific = record.get("database_specific")
    if isinstance(specific, dict):
        labels.append(sev.label_band(specific.get("severity")))
    for affected in record.get("affected") or []:
        for key in ("ecosystem_specific", "database_specific"):
            block = affected.get(key) if isinstance(affected, dict) else None
            if isinstance(block, dict):
                labels.append(sev.label_band(block.get("severity")))
    return sev.worst(labels)


def _groups(
    entry: dict[str, Any], records: list[tuple[int, dict[str, Any]]]
) -> list[dict[str, Any]]:
    """The entry's groups; records that no group names form a group of their own."""
    groups = [g for g in entry.get("groups") or [] if isinstance(g, dict) and g.get("ids")]
    grouped = {i for g in groups for i in g["ids"] if isinstance(i, str)}
    for _, record in records:
        if record["id"] not in grouped:
            groups.append({"ids": [record["id"]]})
    return groups


class OsvScannerParser(EvidenceParser):
    family = "vulnerability-scan"
    formats = ("osv-scanner-json",)

    def detect(self, doc: Document) -> str | None:
        obj = doc.json_object()
        return "osv-scanner-json" if obj is not None and _is_osv_scanner(obj) else None

    def parse(self, doc: Document, fmt: str, ctx: ParseContext) -> dict[str, Any]:
        obj = doc.json
        if not isinstance(obj, dict) or not _is_osv_scanner(obj):
            raise EvidenceError(f"{doc.name}: not an OSV-Scanner JSON report")
        packages: list[dict[str, Any]] = []
        seen: set[tuple[Any, ...]] = set()
        vulns: list[dict[str, Any]] = []
        targets: list[str] = []
        complete = False
        for i, source in enumerate(obj["results"]):
            if not isinstance(source, dict) or not isinstance(source.get("packages"), list):
                raise EvidenceError(f"{doc.name}: /results/{i} has no packages list")
            src = source.get("source") if isinstance(source.get("source"), dict) else {}
            if _str(src.get("path")) and src["path"] not in targets:
                targets.append(src["path"])
            for j, entry in enumerate(source["packages"]):
                base = f"/results/{i}/packages/{j}"
                if not isinstance(entry, dict) or not isinstance(entry.get("package"), dict):
                    raise EvidenceError(f"{doc.name}: {base} has no package")
                info = entry["package"]
                name = _str(info.get("name"))
                if name is None:
                    raise EvidenceError(f"{doc.name}: {base}/package has no name")
                version = _str(info.get("version")) or _str(info.get("commit"))
                ecosystem = _str(info.get("ecosystem"))
                package = {
                    "name": name,
                    "version": version,
                    "ecosystem": ecosystem,
                    "purl": osv_purl(name, version, ecosystem),
                }
                key = (name, version, ecosystem)
                if key not in seen:
                    seen.add(key)
                    packages.append(package)
                records = []
                for k, record in enumerate(entry.get("vulnerabilities") or []):
                    if not isinstance(record, dict) or not _str(record.get("id")):
                        raise EvidenceError(
                            f"{doc.name}: {base}/vulnerabilities/{k} has no vulnerability id"
                        )
                    records.append((k, record))
                if not records and not entry.get("license_violations"):
                    complete = True
                by_id = {record["id"]: (k, record) for k, record in records}
                for group in _groups(entry, records):
                    members = [by_id[i] for i in group["ids"] if i in by_id]
                    if not members:
                        continue
                    vulns.append(self._finding(group, members, package, base))
        return {
            "scanner": {"name": "osv-scanner", "version": None},
            "timestamp": None,
            "target": ", ".join(targets) if targets else None,
            "target_digests": [],
            "packages": packages,
            "packages_complete": complete,
            # A clean scan without --all-packages lists nothing: the JSON cannot tell.
            "scanned_packages": True,
            "unaudited": [],
            "warnings": [],
            "vulnerabilities": vulns,
        }

    @staticmethod
    def _finding(
        group: dict[str, Any],
        members: list[tuple[int, dict[str, Any]]],
        package: dict[str, Any],
        base: str,
    ) -> dict[str, Any]:
        ids = sorted(i for i in group["ids"] if isinstance(i, str))
        records = [record for _, record in members]
        aliases: list[str] = []
        for alias in [*ids[1:], *(group.get("aliases") or [])] + [
            a for r in records for a in (r.get("aliases") or [])
        ]:
            if isinstance(alias, str) and alias != ids[0] and alias not in aliases:
                aliases.append(alias)
        scores = [s for r in records for s in _record_scores(r)]
        best = sev.best_score(scores)
        group_score = sev.parse_score(group.get("max_severity"))
        if group_score is not None:
            cvss_score: float | None = group_score
            band: str | None = sev.score_band(group_score, best[0] if best else "3")
        elif best is not None:
            cvss_score, band = best[1], sev.score_band(best[1], best[0])
        else:
            cvss_score, band = None, sev.worst([_record_label(r) for r in records])
        return {
            "id": ids[0],
            "aliases": sorted(aliases),
            "package": package,
            "severity": band,
            "cvss_score": cvss_score,
            "fix_versions": _fix_versions(records, package["name"], package["ecosystem"]),
            "pointer": f"{base}/vulnerabilities/{members[0][0]}",
            # Vulnerabilities ignored by osv-scanner.toml are dropped from the JSON (the CLI
            # only prints "Filtered N vulnerabilities from output"): nothing to keep here.
            "suppressed_by_tool": False,
            "suppression_reason": None,
        }

    def tool(self, doc: Document, fmt: str) -> Tool | None:
        return Tool("osv-scanner")
