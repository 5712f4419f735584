"""JUnit XML test results, as pytest, Maven Surefire, jest-junit, go-junit-report and
cargo-nextest write them (root ``<testsuites>`` or ``<testsuite>``).

Counts come from the ``<testcase>`` elements: a suite's ``tests``/``failures``/``errors``/
``skipped`` attributes are summaries a producer (or a hand edit) can get wrong, so when cases
exist they are only compared, and a disagreement is recorded in ``mismatches`` for policies to
judge. Only a suite without any case element is counted from its attributes.

There is no JSON pointer into an XML file; items carry ``pointer`` as an XPath location path
with 1-based positions (``/testsuites/testsuite[2]/testcase[4]``), which names one element
exactly and works with any XPath tool.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from fnmatch import fnmatchcase
from typing import Any
from xml.etree.ElementTree import Element

from gatecheck.errors import ConfigError, EvidenceError
from gatecheck.evidence.interface import Document, EvidenceParser, ParseContext, Tool
from gatecheck.evidence.safe import int_attr, local_name
from gatecheck.timeutil import format_rfc3339

MAX_FAILED_CASES = 200
MAX_MESSAGE_CHARS = 500
COUNT_KEYS = ("tests", "failures", "errors", "skipped")
_SUITE_TAGS = ("testsuites", "testsuite")


def parse_timestamp(value: str | None) -> datetime | None:
    """ISO 8601 as JUnit producers write it. Many (pytest before 8, jest-junit, Surefire)
    write local time without an offset and the file does not say which zone that was; such
    naive times are taken as UTC, the only reading that does not guess a zone."""
    if not value or not value.strip():
        return None
    text = value.strip()
    if text[-1:] in ("Z", "z"):
        text = text[:-1] + "+00:00"
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def _duration(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        seconds = float(value.strip())
    except ValueError:
        return None
    return seconds if math.isfinite(seconds) and seconds >= 0 else None


def kind_patterns(config: Mapping[str, Any]) -> dict[str, list[str]]:
    """``junit_kind_patterns``: ``{kind: [glob, ...]}`` matched against suite and file names."""
    raw = config.get("junit_kind_patterns")
    if raw is None:
        return {}
    if not isinstance(raw, dict) or not all(
        isinstance(kind, str) and isinstance(globs, list) and all(isinstance(g, str) for g in globs)
        for kind, globs in raw.items()
    ):
        raise ConfigError(
            "junit_kind_patterns must map a suite kind to a list of glob strings, "
            'e.g. {"unit": ["tests/unit*", "*unit*.xml"]}'
        )
    return raw


def match_kind(patterns: dict[str, list[str]], *names: str | None) -> str | None:
    # Kinds are tried in sorted order so the result never depends on dict order.
    for name in names:
        if not name:
            continue
        for kind in sorted(patterns):
            if any(fnmatchcase(name, glob) for glob in patterns[kind]):
                return kind
    return None


def _children(elem: Element, tag: str) -> Iterator[tuple[Element, int]]:
    """Direct children named ``tag`` with their 1-based XPath position."""
    position = 0
    for child in elem:
        if isinstance(child.tag, str) and local_name(child.tag) == tag:
            position += 1
            yield child, position


def _outcome(case: Element) -> tuple[str, Element | None]:
    found: dict[str, Element] = {}
    for child in case:
        if isinstance(child.tag, str):
            found.setdefault(local_name(child.tag), child)
    for outcome in ("error", "failure", "skipped"):
        if outcome in found:
            return outcome, found[outcome]
    return "passed", None


def _message(elem: Element) -> str:
    text = (elem.get("message") or "").strip() or (elem.text or "").strip()
    return text[:MAX_MESSAGE_CHARS]


class _Collector:
    def __init__(self, doc: Document, ctx: ParseContext) -> None:
        self.doc = doc
        self.label_kind = ctx.labels.get("kind") or None
        self.patterns = kind_patterns(ctx.config)
        self.suites: list[dict[str, Any]] = []
        self.failed: list[dict[str, Any]] = []
        self.failed_count = 0
        self.mismatches: list[dict[str, Any]] = []
        self.timestamps: list[datetime] = []

    def kind_for(self, suite_name: str | None) -> str | None:
        if self.label_kind:
            return self.label_kind
        return match_kind(self.patterns, suite_name, self.doc.name)

    def walk(self, elem: Element, pointer: str) -> dict[str, int]:
        """Count the subtree under a <testsuites>/<testsuite> element; returns its totals."""
        stamp = parse_timestamp(elem.get("timestamp"))
        if stamp is not None:
            self.timestamps.append(stamp)
        child_suites = []
        positions: dict[str, int] = {}
        for child in elem:
            tag = local_name(child.tag) if isinstance(child.tag, str) else ""
            if tag in _SUITE_TAGS:
                positions[tag] = positions.get(tag, 0) + 1
                child_suites.append((child, f"{pointer}/{tag}[{positions[tag]}]"))
        cases = list(_children(elem, "testcase"))
        totals = dict.fromkeys(COUNT_KEYS, 0)
        summary_only = not cases and not child_suites and local_name(elem.tag) == "testsuite"
        if cases or summary_only:
            own = self.suite(elem, pointer, cases)
            for key in COUNT_KEYS:
                totals[key] += own[key]
        for child, child_pointer in child_suites:
            sub = self.walk(child, child_pointer)
            for key in COUNT_KEYS:
                totals[key] += sub[key]
        if not summary_only:
            # The element's own summary attributes, checked against what its cases say.
            self.compare(elem, pointer, totals)
        return totals

    def suite(
        self, elem: Element, pointer: str, cases: list[tuple[Element, int]]
    ) -> dict[str, int]:
        name = elem.get("name")
        counts = dict.fromkeys(COUNT_KEYS, 0)
        if cases:
            counts["tests"] = len(cases)
            for case, pos in cases:
                outcome, detail = _outcome(case)
                if outcome == "skipped":
                    counts["skipped"] += 1
                elif detail is not None:
                    counts["failures" if outcome == "failure" else "errors"] += 1
                    self.failed_count += 1
                    if len(self.failed) < MAX_FAILED_CASES:
                        self.failed.append(
                            {
                                "suite": name,
                                "name": case.get("name"),
                                "classname": case.get("classname") or None,
                                "kind": outcome,
                                "message": _message(detail),
                                "pointer": f"{pointer}/testcase[{pos}]",
                            }
                        )
            counted_from = "testcases"
        else:
            # A summary-only suite: its attributes are all the file says.
            for key in COUNT_KEYS:
                value = elem.get(key)
                if value is None:
                    continue
                number = int_attr(elem, key)
                if number is None or number < 0:
                    raise EvidenceError(
                        f"{self.doc.name}: {pointer} has {key}={value!r}, not a count"
                    )
                counts[key] = number
            counted_from = "attributes"
        self.suites.append(
            {
                "name": name,
                "kind": self.kind_for(name),
                **counts,
                "time": _duration(elem.get("time")),
                "timestamp": _rfc3339(parse_timestamp(elem.get("timestamp"))),
                "counted_from": counted_from,
                "pointer": pointer,
            }
        )
        return counts

    def compare(self, elem: Element, pointer: str, counted: dict[str, int]) -> None:
        for key in COUNT_KEYS:
            declared_text = elem.get(key)
            if declared_text is None:
                continue
            declared = int_attr(elem, key)
            if declared != counted[key]:
                self.mismatches.append(
                    {
                        "pointer": pointer,
                        "attribute": key,
                        "declared": declared if declared is not None else declared_text,
                        "counted": counted[key],
                    }
                )


def _rfc3339(moment: datetime | None) -> str | None:
    return format_rfc3339(moment) if moment is not None else None


class JUnitParser(EvidenceParser):
    family = "test-results"
    formats = ("junit-xml",)

    def detect(self, doc: Document) -> str | None:
        root = doc.xml_root()
        if root is not None and local_name(root.tag) in _SUITE_TAGS:
            return "junit-xml"
        return None

    def parse(self, doc: Document, fmt: str, ctx: ParseContext) -> dict[str, Any]:
        root = doc.xml
        root_name = local_name(root.tag)
        if root_name not in _SUITE_TAGS:
            raise EvidenceError(
                f"{doc.name}: not JUnit XML (root element <{root_name}>, "
                "expected <testsuites> or <testsuite>)"
            )
        collector = _Collector(doc, ctx)
        totals = collector.walk(root, f"/{root_name}")
        kinds = sorted({s["kind"] for s in collector.suites if s["kind"]})
        return {
            "kind": collector.label_kind or match_kind(collector.patterns, doc.name),
            "kinds": kinds,
            "totals": totals,
            "suites": collector.suites,
            "failed_cases": collector.failed,
            "failed_case_count": collector.failed_count,
            "mismatches": collector.mismatches,
            "timestamp": _rfc3339(min(collector.timestamps, default=None)),
        }

    def tool(self, doc: Document, fmt: str) -> Tool | None:
        root = doc.xml_root()
        if root is None:
            return None
        first = next((child for child, _ in _children(root, "testsuite")), root)
        schema = root.get("{http://www.w3.org/2001/XMLSchema-instance}noNamespaceSchemaLocation")
        if root.get("name") == "pytest tests" or first.get("name") == "pytest":
            return Tool("pytest")
        if root.get("name") == "nextest-run":
            return Tool("cargo-nextest")
        if root.get("name") == "jest tests":
            return Tool("jest-junit")
        if schema and "surefire" in schema:
            return Tool("maven-surefire")
        return None
