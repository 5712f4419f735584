"""SARIF parser benchmark: a large SARIF 2.1.0 log through read + detect + parse + normalize.

Generates a SARIF 2.1.0 log shaped like a real analyzer's (bandit-style rules with
security-severity properties, results referring to rules by index and id, physical locations
with regions, artifact-indexed locations, some suppressions, two runs), then times gatecheck
reading the bytes, detecting the format and normalizing every result. Target: <= 1 s for
10,000 results.

    python benchmarks/bench_sarif.py [--results 10000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

TARGET_S = 1.0
RULES = 60


def _rule(i: int) -> dict[str, Any]:
    return {
        "id": f"B{100 + i}",
        "name": f"check_{i}",
        "shortDescription": {"text": f"Check number {i}"},
        "defaultConfiguration": {"level": ("note", "warning", "error")[i % 3]},
        "messageStrings": {"default": {"text": "Issue {0} found in {1}"}},
        "properties": {"security-severity": f"{(i % 100) / 10:.1f}", "tags": ["security"]},
        "helpUri": f"https://example.invalid/rules/B{100 + i}",
    }


def _result(i: int) -> dict[str, Any]:
    rule = i % RULES
    result: dict[str, Any] = {
        "ruleId": f"B{100 + rule}",
        "ruleIndex": rule,
        "locations": [
            {
                "physicalLocation": {
                    "artifactLocation": {"uri": f"src/pkg{i % 40}/module_{i % 500}.py"}
                    if i % 4
                    else {"index": i % 40},
                    "region": {"startLine": 1 + i % 900, "startColumn": 5, "endLine": 2 + i % 900},
                }
            }
        ],
        "properties": {"issue_confidence": "HIGH", "issue_severity": "MEDIUM"},
    }
    if i % 3:
        result["message"] = {"text": f"Possible issue number {i} in this expression."}
    else:
        result["message"] = {"id": "default", "arguments": [str(i), f"module_{i % 500}"]}
    if i % 5 == 0:
        result["level"] = "error"
    if i % 17 == 0:
        result["suppressions"] = [
            {"kind": "inSource", "status": "accepted", "justification": "reviewed: constant input"}
        ]
    if i % 11 == 0:
        result["properties"]["security-severity"] = "8.1"
    return result


def make_log(path: Path, count: int) -> None:
    half = count // 2
    runs = []
    for r, (start, stop) in enumerate(((0, half), (half, count))):
        runs.append(
            {
                "tool": {
                    "driver": {
                        "name": f"analyzer-{r}",
                        "version": "1.9.4",
                        "rules": [_rule(i) for i in range(RULES)],
                    }
                },
                "invocations": [{"executionSuccessful": True, "toolExecutionNotifications": []}],
                "artifacts": [{"location": {"uri": f"src/pkg{i}/__init__.py"}} for i in range(40)],
                "results": [_result(i) for i in range(start, stop)],
            }
        )
    log = {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": runs,
    }
    path.write_text(json.dumps(log, indent=1), encoding="utf-8")


def measure(path: Path) -> tuple[float, int]:
    from gatecheck.evidence import registry
    from gatecheck.evidence.interface import Document, ParseContext

    start = time.perf_counter()
    doc = Document.from_path(path)
    parser, fmt = registry.detect(doc)
    facts = parser.parse(doc, fmt, ParseContext())
    elapsed = time.perf_counter() - start
    assert (parser.family, fmt) == ("sast", "sarif")
    return elapsed, len(facts["results"])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--results", type=int, default=10_000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "large.sarif"
        make_log(path, args.results)
        size_mb = path.stat().st_size / 1e6
        # Import the parsers once outside the timing, as a running gatecheck has them loaded.
        from gatecheck.evidence import registry

        registry.parsers()
        timings = []
        for _ in range(args.repeat):
            elapsed, parsed = measure(path)
            assert parsed == args.results, parsed
            timings.append(elapsed)
    best = min(timings)
    print(
        f"SARIF {args.results} results ({size_mb:.1f} MB): read+detect+parse+normalize "
        f"best {best:.3f} s, runs {', '.join(f'{t:.3f}' for t in timings)} s "
        f"(target <= {TARGET_S:g} s)"
    )
    return 0 if best <= TARGET_S else 1


if __name__ == "__main__":
    sys.exit(main())
