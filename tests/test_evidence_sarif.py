"""SARIF 2.1.0 parser: real logs from several producers, bandit run for real, spec defaults."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from helpers import run_gatecheck
from trust_support import make_signed_bundle

from gatecheck.errors import EvidenceError
from gatecheck.evidence import registry
from gatecheck.evidence.interface import Document, ParseContext

DATA = Path(__file__).parent / "data" / "sarif"

INSECURE_SAMPLE = """\
import hashlib
import subprocess


def run(cmd):
    return subprocess.call(cmd, shell=True)


def digest(data):
    return hashlib.md5(data).hexdigest()


def load(expr):
    return eval(expr)


def reviewed(expr):
    return eval(expr)  # nosec B307
"""


def parse_bytes(raw: bytes, name: str = "scan.sarif") -> dict[str, Any]:
    doc = Document(raw, name)
    parser, fmt = registry.detect(doc)
    assert (parser.family, fmt) == ("sast", "sarif")
    return parser.parse(doc, fmt, ParseContext())


def parse_file(name: str) -> dict[str, Any]:
    return parse_bytes((DATA / name).read_bytes(), name)


def parse_obj(obj: Any) -> dict[str, Any]:
    return parse_bytes(json.dumps(obj).encode())


def resolve(document: Any, pointer: str) -> Any:
    for token in pointer.split("/")[1:]:
        document = document[int(token)] if isinstance(document, list) else document[token]
    return document


def log(
    results: list[dict[str, Any]], rules: list[dict[str, Any]] | None = None, **run: Any
) -> dict[str, Any]:
    driver: dict[str, Any] = {"name": "probe", "version": "1.0"}
    if rules is not None:
        driver["rules"] = rules
    return {"version": "2.1.0", "runs": [{"tool": {"driver": driver}, "results": results, **run}]}


@pytest.fixture(scope="module")
def bandit_sarif(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], bytes]:
    work = tmp_path_factory.mktemp("bandit")
    (work / "insecure.py").write_text(INSECURE_SAMPLE)
    out = work / "bandit.sarif"
    proc = subprocess.run(
        [sys.executable, "-m", "bandit", "-q", "-f", "sarif", "-o", str(out), "insecure.py"],
        cwd=work,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 1, proc.stderr  # bandit's "issues found"
    raw = out.read_bytes()
    return parse_bytes(raw, "bandit.sarif"), raw


def test_bandit_findings_keep_their_levels_rules_and_lines(bandit_sarif: Any) -> None:
    sast, raw = bandit_sarif
    assert sast["tools"][0]["name"] == "Bandit"
    assert sast["execution_successful"] is True and sast["errors"] == []
    found = {(r["rule_id"], r["locations"][0]["start_line"]): r for r in sast["results"]}
    assert found[("B602", 6)]["level"] == "error"  # shell=True, HIGH severity
    assert found[("B324", 10)]["level"] == "error"  # md5
    assert found[("B307", 14)]["level"] in ("warning", "error")
    # The reviewed eval carries "# nosec": bandit leaves it out of the log.
    assert ("B307", 18) not in found
    assert all(r["locations"][0]["uri"] == "insecure.py" for r in sast["results"])
    assert all(r["suppressed"] is False for r in sast["results"])
    original = json.loads(raw)
    for result in sast["results"]:
        assert resolve(original, result["pointer"])["ruleId"] == result["rule_id"]


def test_bandit_findings_fail_the_static_analysis_control(
    bandit_sarif: Any, tmp_path: Path
) -> None:
    _, raw = bandit_sarif
    log_file = tmp_path / "bandit.sarif"
    log_file.write_bytes(raw)
    bundle, _, config = make_signed_bundle(tmp_path / "bundle", [(log_file, "sast")])
    proc = run_gatecheck(
        "evaluate",
        str(bundle),
        "--stage",
        "production",
        "--config",
        str(config),
        "--format",
        "json",
    )
    assert proc.returncode == 1, proc.stderr
    report = json.loads(proc.stdout)
    assert [e["producer"] for e in report["authenticity"]["evidence"] if e["type"] == "sast"] == [
        "ci-build"
    ]
    art006 = next(r for r in report["results"] if r["control"] == "GC-ART-006")
    assert art006["status"] == "fail"
    scopes = sorted(
        (v["scope"]["vulnerability"], v["scope"]["component"]) for v in art006["violations"]
    )
    assert scopes == [("B324", "insecure.py"), ("B602", "insecure.py")]
    assert any("B602 at insecure.py:6" in m and "(level error)" in m for m in art006["messages"])


def test_eslint_null_rules_are_tolerated_and_recorded() -> None:
    sast = parse_file("eslint-8.57.0-parse-error.sarif")
    assert sast["tools"] == [{"name": "ESLint", "version": "8.57.0"}]
    assert sast["results"] == []
    run = sast["runs"][0]
    assert run["format_issues"] == [
        "/runs/0/tool/driver/rules is null (the schema requires an array); read as no rules"
    ]
    # The parse error makes the run a failed execution, with the tool's own message.
    assert sast["execution_successful"] is False
    assert sast["errors"] == [
        {
            "message": "Parsing error: 'with' in strict mode",
            "pointer": "/runs/0/invocations/0/toolConfigurationNotifications/0",
        }
    ]


def test_results_without_level_default_to_warning() -> None:
    sast = parse_file("semgrep-oss-1.78.0-6-findings.sarif")
    assert sast["tools"] == [{"name": "Semgrep OSS", "version": "1.78.0"}]  # semanticVersion
    assert len(sast["results"]) == 6
    assert {r["level"] for r in sast["results"]} == {"warning"}
    first = sast["results"][0]
    assert first["message"] == "Hardcoded password detected"
    assert first["locations"] == [
        {"uri": "test_file.py", "uri_base_id": "%SRCROOT%", "start_line": 14}
    ]
    assert sast["execution_successful"] is True


def test_security_severity_comes_from_the_rule_properties() -> None:
    sast = parse_file("trivy-alpine-310-image.sarif")
    assert sast["execution_successful"] is None  # the log records no invocation
    severities = {(r["rule_id"], r["security_severity"]) for r in sast["results"]}
    assert severities == {("CVE-2019-1549", 5.3), ("CVE-2019-1551", 5.3)}


def test_clean_and_converted_logs_read_fully() -> None:
    assert parse_file("semgrep-oss-1.66.2-no-findings.sarif")["results"] == []
    pmd = parse_file("pmd-6.55.0.sarif")
    assert [r["rule_id"] for r in pmd["results"]] == [
        "UnusedPrivateField",
        "UnconditionalIfStatement",
    ]
    cppcheck = parse_file("cppcheck-1.66-via-sarif-sdk-converter.sarif")
    assert len(cppcheck["results"]) == 188
    assert cppcheck["tools"] == [{"name": "CppCheck", "version": "1.66.0"}]


def test_level_falls_back_to_rule_default_then_warning_and_non_fail_kinds_to_none() -> None:
    rules = [{"id": "R1", "defaultConfiguration": {"level": "error"}}, {"id": "R2"}]
    sast = parse_obj(
        log(
            [
                {"ruleId": "R1", "ruleIndex": 0, "message": {"text": "a"}},
                {"ruleId": "R1", "message": {"text": "by id"}},
                {"ruleId": "R1/sub", "message": {"text": "hierarchical id"}},
                {"ruleId": "R2", "message": {"text": "b"}},
                {"ruleId": "R1", "kind": "pass", "message": {"text": "c"}},
                {"ruleId": "R1", "level": "note", "message": {"text": "d"}},
            ],
            rules,
        )
    )
    assert [r["level"] for r in sast["results"]] == [
        "error",
        "error",
        "error",
        "warning",
        "none",
        "note",
    ]


@pytest.mark.parametrize(
    ("suppressions", "suppressed", "justified"),
    [
        ([], False, False),
        ([{"kind": "inSource"}], True, False),  # no status: accepted
        (
            [{"kind": "external", "status": "accepted", "justification": "false positive"}],
            True,
            True,
        ),
        ([{"kind": "external", "status": "accepted", "justification": "  "}], True, False),
        ([{"kind": "external", "status": "underReview", "justification": "x"}], False, False),
        ([{"kind": "external", "status": "rejected", "justification": "x"}], False, False),
        (
            [
                {"kind": "inSource", "justification": "ok"},
                {"kind": "external", "status": "rejected"},
            ],
            False,
            False,
        ),
    ],
)
def test_suppressed_only_with_an_accepted_and_uncontested_suppression(
    suppressions: list[dict[str, str]], suppressed: bool, justified: bool
) -> None:
    sast = parse_obj(log([{"ruleId": "R", "message": {"text": "m"}, "suppressions": suppressions}]))
    result = sast["results"][0]
    assert (result["suppressed"], result["suppression_justified"]) == (suppressed, justified)
    assert len(result["suppressions"]) == len(suppressions)


def test_security_severity_on_the_result_overrides_the_rule() -> None:
    rules = [{"id": "R", "properties": {"security-severity": "9.1"}}]
    sast = parse_obj(
        log(
            [
                {"ruleId": "R", "message": {"text": "a"}},
                {
                    "ruleId": "R",
                    "message": {"text": "b"},
                    "properties": {"security-severity": "4.0"},
                },
                {
                    "ruleId": "R",
                    "message": {"text": "c"},
                    "properties": {"security-severity": "high"},
                },
            ],
            rules,
        )
    )
    assert [r["security_severity"] for r in sast["results"]] == [9.1, 4.0, 9.1]
    assert "security-severity 'high' is not a score" in sast["runs"][0]["format_issues"][0]


def test_message_strings_artifact_indexes_and_extension_rules_are_resolved() -> None:
    obj = log(
        [
            {
                "rule": {"id": "X1", "index": 0, "toolComponent": {"index": 0}},
                "message": {"id": "default", "arguments": ["eval", "7"]},
                "locations": [
                    {
                        "physicalLocation": {
                            "artifactLocation": {"index": 0},
                            "region": {"startLine": 7},
                        }
                    }
                ],
            }
        ],
        [],
        artifacts=[{"location": {"uri": "src/app.py", "uriBaseId": "SRCROOT"}}],
    )
    obj["runs"][0]["tool"]["extensions"] = [
        {
            "name": "plugin",
            "rules": [
                {
                    "id": "X1",
                    "defaultConfiguration": {"level": "error"},
                    "messageStrings": {"default": {"text": "{0} used at line {1}"}},
                }
            ],
        }
    ]
    (result,) = parse_obj(obj)["results"]
    assert result["rule_id"] == "X1"
    assert result["level"] == "error"
    assert result["message"] == "eval used at line 7"
    assert result["locations"] == [{"uri": "src/app.py", "uri_base_id": "SRCROOT", "start_line": 7}]


@pytest.mark.parametrize(
    ("template", "args", "text"),
    [
        ("{0} used at line {1}", ["eval", "7"], "eval used at line 7"),
        ("{{literal}} {0}", ["x"], "{literal} x"),
        ("{0} and {1}", ["{1}", "b"], "{1} and b"),  # an argument is never re-read
        ("missing {2}", ["a"], "missing {2}"),
    ],
)
def test_message_placeholders_follow_the_sarif_rules(
    template: str, args: list[str], text: str
) -> None:
    rules = [{"id": "R", "messageStrings": {"m": {"text": template}}}]
    result = {"ruleId": "R", "message": {"id": "m", "arguments": args}}
    assert parse_obj(log([result], rules))["results"][0]["message"] == text


def test_several_runs_are_kept_apart() -> None:
    first = json.loads((DATA / "pmd-6.55.0.sarif").read_text())["runs"][0]
    second = json.loads((DATA / "eslint-8.57.0-parse-error.sarif").read_text())["runs"][0]
    sast = parse_obj({"version": "2.1.0", "runs": [first, second]})
    assert [t["name"] for t in sast["tools"]] == ["PMD", "ESLint"]
    assert [r["execution_successful"] for r in sast["runs"]] == [True, False]
    assert sast["execution_successful"] is False
    assert {r["run"] for r in sast["results"]} == {0}
    assert sast["errors"][0]["pointer"].startswith("/runs/1/")


def test_failed_execution_without_notifications_is_still_an_error() -> None:
    sast = parse_obj(log([], invocations=[{"executionSuccessful": False}]))
    assert sast["execution_successful"] is False
    assert sast["errors"] == [
        {
            "message": "the tool reported executionSuccessful: false",
            "pointer": "/runs/0/invocations/0/executionSuccessful",
        }
    ]


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b'{"version": "2.0.0", "runs": []}', "SARIF version '2.0.0' is not supported"),
        (
            b'{"version": "2.1.0", "runs": [{"tool": {"driver": {}}, "results": []}]}',
            "/runs/0/tool/driver has no name",
        ),
        (
            b'{"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "t"}}, "results": 3}]}',
            "/runs/0/results is not an array",
        ),
        (b'{"version": "2.1.0", "runs": [', "not valid JSON"),
    ],
)
def test_unreadable_logs_raise_one_line_errors(raw: bytes, message: str) -> None:
    doc = Document(raw, "bad.sarif")
    with pytest.raises(EvidenceError, match=message.replace("(", r"\(")):
        parser, fmt = registry.detect(doc)
        parser.parse(doc, fmt, ParseContext())
