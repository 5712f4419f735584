"""Code coverage reports: Cobertura XML, coverage.py JSON, LCOV and JaCoCo XML.

Every format is reduced to the same facts: per-file and total line (and, where measured,
branch) counts. The counts are computed from the per-line data wherever the file has it; the
summary figures a report states about itself are kept in ``declared`` and any disagreement is
listed in ``mismatches``, so a hand-edited header cannot lift coverage over a threshold.

Paths are kept as the report gives them, with backslashes turned into forward slashes so that
one ``critical_paths`` glob matches reports made on Windows and elsewhere.

Locations: JSON items carry an RFC 6901 ``pointer``; XML items an XPath location path with
1-based positions (``/coverage/packages[1]/package[2]/classes[1]/class[1]``); LCOV files the
1-based ``line`` of their ``SF:`` record.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from xml.etree.ElementTree import Element

from gatecheck.errors import EvidenceError
from gatecheck.evidence.interface import Document, EvidenceParser, ParseContext, Tool
from gatecheck.evidence.safe import int_attr, local_name
from gatecheck.evidence.testing.junit import parse_timestamp
from gatecheck.timeutil import format_rfc3339

# Rates in report headers are rounded (coverage.py and coverlet write 4 decimals).
RATE_TOLERANCE = 0.0005
_CONDITION = re.compile(r"\((\d+)\s*/\s*(\d+)\)")


def normalize_path(path: str) -> str:
    return path.replace("\\", "/")


def _rate(covered: int | None, valid: int | None) -> float | None:
    if covered is None or not valid:
        return None
    return covered / valid


def _epoch(value: str | None) -> str | None:
    """Cobertura and JaCoCo stamp reports with Unix time; Java tools in milliseconds,
    coverlet in seconds. Anything after 5138 (1e11 s) must be milliseconds."""
    if value is None:
        return None
    try:
        number = int(value.strip())
    except ValueError:
        return None
    if number <= 0:
        return None
    seconds = number / 1000 if number >= 10**11 else number
    try:
        return format_rfc3339(datetime.fromtimestamp(seconds, tz=UTC))
    except (OverflowError, OSError, ValueError):
        return None


def _xpath_children(elem: Element, tag: str, base: str) -> list[tuple[Element, str]]:
    found = []
    for child in elem:
        if isinstance(child.tag, str) and local_name(child.tag) == tag:
            found.append((child, f"{base}/{tag}[{len(found) + 1}]"))
    return found


def _int_attr(elem: Element, key: str, name: str, where: str) -> int:
    number = int_attr(elem, key)
    if number is None:
        raise EvidenceError(f"{name}: {where} has {key}={elem.get(key)!r}, not an integer")
    return number


def _opt_float(elem: Element, key: str) -> float | None:
    value = elem.get(key)
    if value is None:
        return None
    try:
        return float(value.strip())
    except ValueError:
        return None


@dataclass
class FileCoverage:
    """One source file: per-line data in ``lines``/``branches``, plus ``counts`` for the
    parts of the report that give only totals (coverage.py JSON statements, a JaCoCo source
    file without line elements, an LCOV record without DA/BRDA lines)."""

    path: str
    location: dict[str, Any]
    lines: dict[int, int] = field(default_factory=dict)
    branches: dict[Any, int] = field(default_factory=dict)
    counts: Counter[str] = field(default_factory=Counter)
    has_branch_data: bool = False
    """Whether the report measured branches for this file (zero branches is then 0, not null)."""

    def add_line(self, number: int, hits: int) -> None:
        self.lines[number] = max(self.lines.get(number, 0), hits)

    def add_counts(self, valid: int, covered: int, *, branches: bool = False) -> None:
        kind = "branches" if branches else "lines"
        self.counts[f"{kind}_valid"] += valid
        self.counts[f"{kind}_covered"] += covered
        self.has_branch_data = self.has_branch_data or branches

    def summary(self) -> dict[str, Any]:
        lines_valid = len(self.lines) + self.counts["lines_valid"]
        lines_covered = sum(1 for h in self.lines.values() if h > 0) + self.counts["lines_covered"]
        branches_valid: int | None = None
        branches_covered: int | None = None
        if self.branches or self.has_branch_data:
            branches_valid = len(self.branches) + self.counts["branches_valid"]
            branches_covered = (
                sum(1 for taken in self.branches.values() if taken > 0)
                + self.counts["branches_covered"]
            )
        return {
            "path": self.path,
            "lines_valid": lines_valid,
            "lines_covered": lines_covered,
            "line_rate": _rate(lines_covered, lines_valid),
            "branches_valid": branches_valid,
            "branches_covered": branches_covered,
            "branch_rate": _rate(branches_covered, branches_valid),
            **self.location,
        }


def _result(
    files: list[FileCoverage],
    *,
    tool: Tool | None,
    timestamp: str | None,
    declared: dict[str, Any],
    mismatches: list[dict[str, Any]],
) -> dict[str, Any]:
    entries = [f.summary() for f in files]
    lines_valid = sum(e["lines_valid"] or 0 for e in entries)
    lines_covered = sum(e["lines_covered"] or 0 for e in entries)
    with_branches = [e for e in entries if e["branches_valid"] is not None]
    branches_valid = sum(e["branches_valid"] for e in with_branches) if with_branches else None
    branches_covered = sum(e["branches_covered"] for e in with_branches) if with_branches else None
    totals = {
        "lines_valid": lines_valid,
        "lines_covered": lines_covered,
        "line_rate": _rate(lines_covered, lines_valid),
        "branches_valid": branches_valid,
        "branches_covered": branches_covered,
        "branch_rate": _rate(branches_covered, branches_valid),
    }
    declared = {k: declared.get(k) for k in totals}
    for key, stated in declared.items():
        if stated is None or totals[key] is None:
            continue
        differs = (
            abs(stated - totals[key]) > RATE_TOLERANCE
            if key.endswith("_rate")
            else stated != totals[key]
        )
        if differs:
            mismatches.append({"what": key, "declared": stated, "computed": totals[key]})
    return {
        "tool": tool.as_dict() if tool else None,
        "timestamp": timestamp,
        "totals": totals,
        "declared": declared,
        "mismatches": mismatches,
        "file_count": len(entries),
        "files": entries,
    }


# --- Cobertura -------------------------------------------------------------------------


def _cobertura_tool(doc: Document, root: Element) -> Tool | None:
    # ElementTree drops comments; coverage.py names itself in one near the top.
    head = doc.head
    if b"Generated by coverage.py" in head:
        return Tool("coverage.py", root.get("version"))
    if b"cobertura.sourceforge.net" in head:
        return Tool("cobertura", root.get("version"))
    return None


def _parse_cobertura(doc: Document, root: Element) -> dict[str, Any]:
    files: dict[str, FileCoverage] = {}
    for packages, packages_xp in _xpath_children(root, "packages", "/coverage"):
        for package, package_xp in _xpath_children(packages, "package", packages_xp):
            for classes, classes_xp in _xpath_children(package, "classes", package_xp):
                for cls, cls_xp in _xpath_children(classes, "class", classes_xp):
                    _cobertura_class(doc.name, cls, cls_xp, files)
    declared = {
        "lines_valid": int_attr(root, "lines-valid"),
        "lines_covered": int_attr(root, "lines-covered"),
        "line_rate": _opt_float(root, "line-rate"),
        "branches_valid": int_attr(root, "branches-valid"),
        "branches_covered": int_attr(root, "branches-covered"),
        "branch_rate": _opt_float(root, "branch-rate"),
    }
    return _result(
        list(files.values()),
        tool=_cobertura_tool(doc, root),
        timestamp=_epoch(root.get("timestamp")),
        declared=declared,
        mismatches=[],
    )


def _cobertura_class(name: str, cls: Element, xpath: str, files: dict[str, FileCoverage]) -> None:
    filename = cls.get("filename") or cls.get("name")
    if not filename:
        raise EvidenceError(f"{name}: {xpath} has no filename")
    path = normalize_path(filename)
    # Several classes can share one file (coverlet, nested Java classes): merge by line number.
    entry = files.setdefault(path, FileCoverage(path, {"pointer": xpath}, has_branch_data=True))
    # Lines are listed per class and again per method: every <line> once per number.
    for line in cls.iter():
        if not isinstance(line.tag, str) or local_name(line.tag) != "line":
            continue
        number = _int_attr(line, "number", name, f"{xpath}//line")
        entry.add_line(number, _int_attr(line, "hits", name, f"{xpath}//line[@number={number}]"))
        if (line.get("branch") or "").lower() == "true":
            match = _CONDITION.search(line.get("condition-coverage") or "")
            if match:
                covered, valid = int(match.group(1)), int(match.group(2))
                for i in range(valid):
                    key = (number, i)
                    entry.branches[key] = max(entry.branches.get(key, 0), int(i < covered))


# --- JaCoCo ----------------------------------------------------------------------------


def _jacoco_counters(elem: Element, name: str, xpath: str) -> dict[str, tuple[int, int]]:
    counters = {}
    for counter, counter_xp in _xpath_children(elem, "counter", xpath):
        kind = counter.get("type") or ""
        counters[kind] = (
            _int_attr(counter, "missed", name, counter_xp),
            _int_attr(counter, "covered", name, counter_xp),
        )
    return counters


def _parse_jacoco(doc: Document, root: Element) -> dict[str, Any]:
    files: list[FileCoverage] = []
    sessions = []
    # Aggregate reports nest packages in (possibly nested) <group> elements, one per module.
    stack: list[tuple[Element, str, str | None]] = [(root, "/report", None)]
    while stack:
        elem, xpath, group = stack.pop(0)
        for session, _ in _xpath_children(elem, "sessioninfo", xpath):
            sessions.append(session)
        for package, package_xp in _xpath_children(elem, "package", xpath):
            files.extend(_jacoco_package(doc.name, package, package_xp, group))
        for child, child_xp in _xpath_children(elem, "group", xpath):
            child_name = child.get("name") or ""
            stack.append((child, child_xp, f"{group}/{child_name}" if group else child_name))
    starts = [s for s in (int_attr(session, "start") for session in sessions) if s]
    report = _jacoco_counters(root, doc.name, "/report")
    line_missed, line_covered = report.get("LINE", (None, None))
    branch_missed, branch_covered = report.get("BRANCH", (None, None))
    declared = {
        "lines_valid": None if line_missed is None else line_missed + (line_covered or 0),
        "lines_covered": line_covered,
        "branches_valid": None if branch_missed is None else branch_missed + (branch_covered or 0),
        "branches_covered": branch_covered,
    }
    return _result(
        files,
        tool=Tool("jacoco"),
        timestamp=_epoch(str(min(starts))) if starts else None,
        declared=declared,
        mismatches=[],
    )


def _jacoco_package(
    name: str, package: Element, xpath: str, group: str | None
) -> list[FileCoverage]:
    prefix = (package.get("name") or "").strip("/")
    found = []
    for source, source_xp in _xpath_children(package, "sourcefile", xpath):
        filename = source.get("name") or ""
        location: dict[str, Any] = {"pointer": source_xp}
        if group is not None:
            location["group"] = group
        entry = FileCoverage(
            normalize_path(f"{prefix}/{filename}" if prefix else filename),
            location,
            has_branch_data=True,
        )
        for line, _ in _xpath_children(source, "line", source_xp):
            number = _int_attr(line, "nr", name, f"{source_xp}/line")
            where = f"{source_xp}/line[@nr={number}]"
            missed_i, covered_i = (_int_attr(line, k, name, where) for k in ("mi", "ci"))
            # A line is covered when at least one of its instructions ran.
            if missed_i + covered_i > 0:
                entry.add_line(number, covered_i)
            missed_b = _int_attr(line, "mb", name, where) if line.get("mb") else 0
            covered_b = _int_attr(line, "cb", name, where) if line.get("cb") else 0
            for i in range(missed_b + covered_b):
                entry.branches[(number, i)] = int(i < covered_b)
        if not entry.lines:
            counters = _jacoco_counters(source, name, source_xp)
            missed, covered = counters.get("LINE", (0, 0))
            entry.add_counts(missed + covered, covered)
            missed, covered = counters.get("BRANCH", (0, 0))
            entry.add_counts(missed + covered, covered, branches=True)
        found.append(entry)
    return found


# --- coverage.py JSON ------------------------------------------------------------------


def _pointer_token(key: str) -> str:
    return key.replace("~", "~0").replace("/", "~1")


def _json_int(value: Any, name: str, pointer: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise EvidenceError(f"{name}: {pointer} is not a non-negative integer")
    return value


def _json_list(value: Any, name: str, pointer: str) -> list[Any]:
    if not isinstance(value, list):
        raise EvidenceError(f"{name}: {pointer} is not a list")
    return value


def _naive_as_utc(value: Any) -> str | None:
    # coverage.py writes datetime.now().isoformat(): local time with no zone. The zone is not
    # recorded anywhere, so the time is read as UTC rather than guessed (as for JUnit).
    moment = parse_timestamp(value) if isinstance(value, str) else None
    return format_rfc3339(moment) if moment is not None else None


def _parse_coveragepy(doc: Document, obj: dict[str, Any]) -> dict[str, Any]:
    name = doc.name
    meta = obj["meta"]
    measured_branches = meta.get("branch_coverage") is True
    files: list[FileCoverage] = []
    mismatches: list[dict[str, Any]] = []
    for path, entry in obj["files"].items():
        pointer = f"/files/{_pointer_token(path)}"
        if not isinstance(entry, dict) or not isinstance(entry.get("summary"), dict):
            raise EvidenceError(f"{name}: {pointer} has no summary")
        summary = entry["summary"]
        # The JSON lists executed and missing lines but not the statements themselves
        # (executed_lines may include non-statement lines such as a docstring's last line),
        # so the statement count comes from the file summary and the missing lines from
        # the per-line list.
        statements = _json_int(summary.get("num_statements"), name, f"{pointer}/summary")
        missing = {
            _json_int(n, name, f"{pointer}/missing_lines")
            for n in _json_list(entry.get("missing_lines"), name, f"{pointer}/missing_lines")
        }
        if len(missing) > statements:
            raise EvidenceError(
                f"{name}: {pointer} lists {len(missing)} missing lines "
                f"but only {statements} statements"
            )
        cov = FileCoverage(normalize_path(path), {"pointer": pointer})
        cov.add_counts(statements, statements - len(missing))
        covered_branches = None
        if measured_branches:
            executed_b = _json_list(
                entry.get("executed_branches"), name, f"{pointer}/executed_branches"
            )
            missing_b = _json_list(
                entry.get("missing_branches"), name, f"{pointer}/missing_branches"
            )
            covered_branches = len(executed_b)
            cov.add_counts(len(executed_b) + len(missing_b), covered_branches, branches=True)
        for key, computed in (
            ("covered_lines", statements - len(missing)),
            ("covered_branches", covered_branches),
        ):
            stated = summary.get(key)
            if computed is not None and isinstance(stated, int) and stated != computed:
                mismatches.append(
                    {
                        "what": key,
                        "path": cov.path,
                        "pointer": f"{pointer}/summary/{key}",
                        "declared": stated,
                        "computed": computed,
                    }
                )
        files.append(cov)
    totals = obj.get("totals") if isinstance(obj.get("totals"), dict) else {}

    def stated(key: str) -> int | None:
        value = totals.get(key)
        return value if isinstance(value, int) and not isinstance(value, bool) else None

    declared = {
        "lines_valid": stated("num_statements"),
        "lines_covered": stated("covered_lines"),
        "branches_valid": stated("num_branches"),
        "branches_covered": stated("covered_branches"),
    }
    version = meta.get("version")
    return _result(
        files,
        tool=Tool("coverage.py", version if isinstance(version, str) else None),
        timestamp=_naive_as_utc(meta.get("timestamp")),
        declared=declared,
        mismatches=mismatches,
    )


def _is_coveragepy(obj: dict[str, Any]) -> bool:
    meta = obj.get("meta")
    return (
        isinstance(meta, dict)
        and isinstance(meta.get("format"), int)
        and isinstance(obj.get("files"), dict)
        and "version" in meta
    )


# --- LCOV ------------------------------------------------------------------------------

_LCOV_STARTS = (b"TN:", b"SF:", b"VER:", b"#")


def looks_like_lcov(doc: Document) -> bool:
    """Conservative: the first meaningful line opens an LCOV record, and the file has an
    ``SF:`` line and an ``end_of_record`` line."""
    head = doc.head.removeprefix(b"\xef\xbb\xbf")
    first = next((line.strip() for line in head.splitlines() if line.strip()), b"")
    if not first.startswith(_LCOV_STARTS):
        return False
    raw = b"\n" + doc.raw
    return (b"\nSF:" in raw or b"\rSF:" in raw) and b"end_of_record" in raw


def _lcov_int(text: str, name: str, lineno: int, what: str) -> int:
    try:
        return int(text.strip())
    except ValueError:
        raise EvidenceError(f"{name}: line {lineno}: {what} {text!r} is not an integer") from None


@dataclass
class _LcovRecord:
    """One SF: ... end_of_record block; a file may have several (one per test name)."""

    entry: FileCoverage
    start: int
    lines: dict[int, int] = field(default_factory=dict)
    branch_records: int = 0
    stated: dict[str, int] = field(default_factory=dict)

    def close(self, mismatches: list[dict[str, Any]]) -> None:
        # LF/LH/BRF/BRH are summaries: used only for a record without DA/BRDA lines,
        # otherwise checked against them.
        stated = self.stated
        if self.lines:
            hit = sum(1 for h in self.lines.values() if h > 0)
            for tag, computed in (("LF", len(self.lines)), ("LH", hit)):
                if tag in stated and stated[tag] != computed:
                    mismatches.append(
                        {
                            "what": tag,
                            "path": self.entry.path,
                            "line": self.start,
                            "declared": stated[tag],
                            "computed": computed,
                        }
                    )
        elif "LF" in stated:
            self.entry.add_counts(stated["LF"], stated.get("LH", 0))
        if not self.branch_records and "BRF" in stated:
            self.entry.add_counts(stated["BRF"], stated.get("BRH", 0), branches=True)


def _parse_lcov(doc: Document) -> dict[str, Any]:
    name = doc.name
    files: dict[str, FileCoverage] = {}
    mismatches: list[dict[str, Any]] = []
    record: _LcovRecord | None = None
    for lineno, raw_line in enumerate(doc.text.splitlines(), start=1):
        line = raw_line.strip()
        if not line or line.startswith("#"):
            continue
        tag, sep, value = line.partition(":")
        if line == "end_of_record":
            if record is None:
                raise EvidenceError(f"{name}: line {lineno}: end_of_record without SF:")
            record.close(mismatches)
            record = None
            continue
        if not sep:
            raise EvidenceError(f"{name}: line {lineno}: {line[:40]!r} is not an LCOV record")
        if tag == "SF":
            if record is not None:
                raise EvidenceError(
                    f"{name}: line {lineno}: SF: inside the record of line {record.start} "
                    "(missing end_of_record)"
                )
            path = normalize_path(value.strip())
            record = _LcovRecord(
                files.setdefault(path, FileCoverage(path, {"line": lineno})), lineno
            )
            continue
        if tag in ("TN", "VER"):
            continue
        if record is None:
            # Line, branch and function data belong to a source file's record.
            raise EvidenceError(f"{name}: line {lineno}: {tag}: outside an SF: record")
        entry = record.entry
        if tag == "DA":
            parts = value.split(",")
            if len(parts) < 2:
                raise EvidenceError(f"{name}: line {lineno}: DA needs line,hits")
            number = _lcov_int(parts[0], name, lineno, "line number")
            hits = _lcov_int(parts[1], name, lineno, "hit count")
            record.lines[number] = record.lines.get(number, 0) + hits
            entry.lines[number] = entry.lines.get(number, 0) + hits
        elif tag == "BRDA":
            parts = value.split(",")
            if len(parts) < 4:
                raise EvidenceError(f"{name}: line {lineno}: BRDA needs line,block,branch,taken")
            number = _lcov_int(parts[0], name, lineno, "line number")
            taken_text = parts[-1].strip()
            taken = 0 if taken_text == "-" else _lcov_int(taken_text, name, lineno, "taken")
            # coverage.py writes branch ids such as "jump to line 3": keep them as text.
            key = (number, parts[1].strip(), ",".join(parts[2:-1]).strip())
            entry.branches[key] = entry.branches.get(key, 0) + taken
            record.branch_records += 1
        elif tag in ("LF", "LH", "BRF", "BRH"):
            record.stated[tag] = _lcov_int(value, name, lineno, tag)
    if record is not None:
        raise EvidenceError(
            f"{name}: record for {record.entry.path} (line {record.start}) has no "
            "end_of_record; the file is truncated"
        )
    return _result(
        list(files.values()), tool=None, timestamp=None, declared={}, mismatches=mismatches
    )


# --- the parser ------------------------------------------------------------------------


class CoverageParser(EvidenceParser):
    family = "coverage"
    formats = ("cobertura-xml", "coveragepy-json", "lcov", "jacoco-xml")

    def detect(self, doc: Document) -> str | None:
        if doc.looks_like_xml():
            root = doc.xml_root()
            if root is None:
                return None
            tag = local_name(root.tag)
            children = {local_name(c.tag) for c in root if isinstance(c.tag, str)}
            if tag == "coverage" and ("packages" in children or "line-rate" in root.attrib):
                return "cobertura-xml"
            if tag == "report" and children & {"sessioninfo", "package", "group"}:
                return "jacoco-xml"
            return None
        if doc.looks_like_json():
            obj = doc.json_object()
            return "coveragepy-json" if obj is not None and _is_coveragepy(obj) else None
        return "lcov" if looks_like_lcov(doc) else None

    def parse(self, doc: Document, fmt: str, ctx: ParseContext) -> dict[str, Any]:
        if fmt == "lcov":
            if not looks_like_lcov(doc):
                raise EvidenceError(f"{doc.name}: not an LCOV tracefile (no SF:/end_of_record)")
            return _parse_lcov(doc)
        if fmt == "coveragepy-json":
            obj = doc.json
            if not isinstance(obj, dict) or not _is_coveragepy(obj):
                raise EvidenceError(f"{doc.name}: not a coverage.py JSON report (no meta/files)")
            return _parse_coveragepy(doc, obj)
        root = doc.xml
        tag = local_name(root.tag)
        if fmt == "cobertura-xml":
            if tag != "coverage":
                raise EvidenceError(
                    f"{doc.name}: not Cobertura XML (root element <{tag}>, expected <coverage>)"
                )
            return _parse_cobertura(doc, root)
        if fmt == "jacoco-xml":
            if tag != "report":
                raise EvidenceError(
                    f"{doc.name}: not JaCoCo XML (root element <{tag}>, expected <report>)"
                )
            return _parse_jacoco(doc, root)
        raise EvidenceError(f"{doc.name}: unsupported coverage format {fmt!r}")

    def tool(self, doc: Document, fmt: str) -> Tool | None:
        if fmt == "jacoco-xml":
            return Tool("jacoco")
        if fmt == "coveragepy-json":
            obj = doc.json_object() or {}
            meta = obj.get("meta") if isinstance(obj.get("meta"), dict) else {}
            version = meta.get("version")
            return Tool("coverage.py", version if isinstance(version, str) else None)
        if fmt == "cobertura-xml":
            root = doc.xml_root()
            return _cobertura_tool(doc, root) if root is not None else None
        return None
