"""`gatecheck explain` and `gatecheck policy docs`: control documentation read from METADATA
through OPA, and with a bundle the evaluated result and the evidence values it cites."""

from __future__ import annotations

import functools
import json
import tempfile
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from formats_support import EFFECTIVE, realistic, realistic_config

from gatecheck.cli.main import cli
from gatecheck.engine.explain import resolve_pointer


class Result:
    def __init__(self, returncode: int, stdout: str, stderr: str) -> None:
        self.returncode, self.stdout, self.stderr = returncode, stdout, stderr


def run_gatecheck(*args: str, env: dict[str, str] | None = None) -> Result:
    """The CLI in-process (a subprocess per call would dominate this module's run time)."""
    result = CliRunner().invoke(cli, list(args), env=env, prog_name="gatecheck")
    return Result(result.exit_code, result.stdout, result.stderr)


@functools.cache
def unauthenticated() -> tuple[dict[str, Any], Path, Path]:
    """(report, bundle, config) of the realistic bundle's unsigned third-party evidence at
    production with `require_authenticated_evidence` off, so its facts count and are cited."""
    from gatecheck.engine.backends import make_engine
    from gatecheck.engine.config import Config
    from gatecheck.engine.evaluate import EvaluationRequest, evaluate
    from gatecheck.timeutil import parse_rfc3339

    _, bundle, _ = realistic()
    off = {"params": {"require_authenticated_evidence": False}}
    settings = {**realistic_config(), "stages": {"production": off}}
    config = Path(tempfile.mkdtemp(prefix="gatecheck-explain-")) / "gatecheck.json"
    config.write_text(json.dumps(settings), encoding="utf-8")
    request = EvaluationRequest(
        bundle=bundle,
        stage="production",
        effective=parse_rfc3339(EFFECTIVE),
        config=Config.model_validate(settings),
        config_dir=config.parent,
    )
    return evaluate(request, make_engine("embedded")), bundle, config


def test_explain_shows_the_controls_documentation() -> None:
    proc = run_gatecheck("explain", "gc-rel-001")
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert out.startswith("GC-REL-001: Release is classified")
    assert "enforcement: dev fail, staging fail, production fail, post-deploy off" in out
    assert "reads evidence: release-manifest" in out
    assert 'release_classes = ["standard", "major", "emergency"]' in out
    assert "remediation:" in out and "SOC 2: CC8.1" in out


def test_explain_unknown_control_suggests_close_ids() -> None:
    proc = run_gatecheck("explain", "GC-REL-01")
    assert proc.returncode == 2
    assert "unknown control 'GC-REL-01'; did you mean GC-REL-001" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_explain_with_a_bundle_says_why_and_shows_cited_values() -> None:
    report, bundle, config = unauthenticated()
    failed = next(r for r in report["results"] if r["control"] == "GC-ART-002")
    assert failed["status"] == "fail"
    proc = run_gatecheck(
        "explain", "GC-ART-002", "--bundle", str(bundle), "--stage", "production",
        "--config", str(config), "--at", EFFECTIVE, "--format", "json",
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["result"]["status"] == "fail"
    assert doc["result"]["messages"] == failed["messages"]
    # the release manifest entry the finding cites, read back from the bundle
    cited = {(c["path"], c["pointer"]): c for c in doc["cited"]}
    ref = failed["violations"][0]["evidence"][0]
    value = cited[(ref["path"], ref["pointer"])]["value"]
    assert value["digest"] == report["release"]["artifacts"][0]["digest"]
    assert {e["type"] for e in doc["inputs"]} <= set(doc["control"]["evidence_types"])


def test_explain_text_says_why_a_control_failed_and_where() -> None:
    report, bundle, config = unauthenticated()
    failed = next(r for r in report["results"] if r["control"] == "GC-ART-002")
    ref = failed["violations"][0]["evidence"][0]
    proc = run_gatecheck(
        "explain", "GC-ART-002", "--bundle", str(bundle), "--stage", "production",
        "--config", str(config), "--at", EFFECTIVE,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert "FAIL (fail): enforced here, and these violations were found" in proc.stdout
    assert f"{ref['path']}#{ref['pointer']}" in proc.stdout
    assert "inputs the control reads:" in proc.stdout


def test_explain_on_unsigned_evidence_at_production_names_each_file(tmp_path: Path) -> None:
    from helpers import DATA, make_bundle

    scan = DATA / "vulnscan" / "pip-audit-2-vulns-with-desc.json"
    bundle = make_bundle(tmp_path / "bundle", [scan])
    proc = run_gatecheck(
        "explain", "GC-EVD-001", "--bundle", str(bundle), "--stage", "production",
        "--at", EFFECTIVE, "--format", "json",
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["result"]["status"] == "fail"
    messages = doc["result"]["messages"]
    assert any("pip-audit-2-vulns-with-desc.json" in m and "not signed" in m for m in messages)
    assert any("release-manifest" in m for m in messages)


def test_explain_on_the_example_says_which_signer_is_not_authorized() -> None:
    examples = Path(__file__).resolve().parent.parent / "examples"
    proc = run_gatecheck(
        "explain", "GC-EVD-001", "--bundle", str(examples / "variants" / "approval-signed-by-ci"),
        "--stage", "production", "--config", str(examples / "gatecheck.yaml"),
        "--at", "2026-11-27T10:00:00Z", "--format", "json",
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["result"]["status"] == "fail"
    (message,) = doc["result"]["messages"]
    assert "approval-r.haddad.yaml.dsse.json" in message
    assert "producer:ci-build" in message and "not authorize for approval" in message


def test_explain_with_a_bundle_needs_a_stage(tmp_path: Path) -> None:
    proc = run_gatecheck(
        "explain", "GC-REL-001", "--bundle", str(tmp_path), env={"GATECHECK_STAGE": ""}
    )
    assert proc.returncode == 2 and "--bundle needs --stage" in proc.stderr


def test_explain_reports_an_unreadable_bundle_as_error(tmp_path: Path) -> None:
    proc = run_gatecheck(
        "explain", "GC-REL-001", "--bundle", str(tmp_path / "missing"), "--stage", "production"
    )
    assert proc.returncode == 2
    assert "the evaluation could not be completed" in proc.stdout


def test_resolve_pointer_follows_rfc_6901() -> None:
    doc = {"a/b": {"m~n": [10, {"x": None}]}, "": 1}
    assert resolve_pointer(doc, "/a~1b/m~0n/1/x") is None
    assert resolve_pointer(doc, "/a~1b/m~0n/0") == 10
    assert resolve_pointer(doc, "/") == 1
    assert resolve_pointer(doc, "") is doc
    for bad in ("/a~1b/m~0n/2", "/missing", "a", "/a~1b/m~0n/-"):
        with pytest.raises(KeyError):
            resolve_pointer(doc, bad)


def test_policy_docs_writes_a_page_per_control_with_framework_mappings(tmp_path: Path) -> None:
    _, _, catalog = realistic()
    out = tmp_path / "controls"
    proc = run_gatecheck("policy", "docs", "-o", str(out))
    assert proc.returncode == 0, proc.stderr
    pages = sorted(p.name for p in out.iterdir())
    assert pages == sorted([f"{c}.md" for c in catalog] + ["README.md"])
    index = (out / "README.md").read_text(encoding="utf-8")
    for control_id, info in catalog.items():
        assert f"[{control_id}]({control_id}.md)" in index
        page = (out / f"{control_id}.md").read_text(encoding="utf-8")
        assert page.startswith(f"# {control_id}: {info['title']}")
        for framework, refs in info.get("frameworks", {}).items():
            assert all(str(ref) in page for ref in refs), (control_id, framework)
    assert "## Framework mappings" in index and "### SOC 2" in index
    rel = (out / "GC-REL-001.md").read_text(encoding="utf-8")
    assert "| production | fail |" in rel and "`release_classes`" in rel
