"""`gatecheck policy build --config`: the bundle carries the configuration's parameters, stage
profiles and trust policy as `evaluate --config` uses them, and `--engine server` refuses a
server whose bundle carries another configuration, saying so."""

from __future__ import annotations

import json
import shutil
import tarfile
import urllib.request
from pathlib import Path
from typing import Any

import pytest
import yaml
from helpers import org_control, run_gatecheck
from opa_support import opa_server

from gatecheck.engine.backends import make_engine
from gatecheck.engine.config import load_config
from gatecheck.engine.evaluate import EvaluationRequest, load_policies
from gatecheck.engine.interface import REPORT_QUERY
from gatecheck.engine.opa_bundle import config_digest
from gatecheck.engine.policy import load_policy_set
from gatecheck.errors import EngineError

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "payments-api-1.4.0"
EXAMPLE_CONFIG = ROOT / "examples" / "gatecheck.yaml"
AT = "2026-11-27T10:00:00Z"


def build(out: Path, *args: str) -> Any:
    proc = run_gatecheck("policy", "build", "-o", str(out), *args)
    return proc


def bundle_files(path: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    """(manifest, data.json) of a bundle."""
    with tarfile.open(path) as tar:
        manifest = json.load(tar.extractfile(".manifest"))  # type: ignore[arg-type]
        data = json.load(tar.extractfile("data.json"))  # type: ignore[arg-type]
    return manifest, data


def evaluated_policies(config_file: Path) -> Any:
    """The policy set `gatecheck evaluate --config config_file` evaluates."""
    config, config_dir = load_config(config_file)
    request = EvaluationRequest(
        bundle=EXAMPLE, stage="production", config=config, config_dir=config_dir
    )
    return load_policies(request)


def example_config(directory: Path, name: str = "gatecheck.yaml", **params: Any) -> Path:
    """The example configuration (with ``params`` changed) and its keys, in ``directory``."""
    config = yaml.safe_load(EXAMPLE_CONFIG.read_text(encoding="utf-8"))
    config["params"].update(params)
    directory.mkdir(parents=True, exist_ok=True)
    keys = directory / "keys"
    if not keys.exists():
        shutil.copytree(EXAMPLE_CONFIG.parent / "keys", keys)
    path = directory / name
    text = json.dumps(config) if name.endswith(".json") else yaml.safe_dump(config)
    path.write_text(text, encoding="utf-8")
    return path


def test_the_bundle_carries_the_config_document_evaluate_uses(tmp_path: Path) -> None:
    out = tmp_path / "configured.tar.gz"
    proc = build(out, "--config", str(EXAMPLE_CONFIG))
    assert proc.returncode == 0, proc.stderr
    manifest, data = bundle_files(out)
    expected = evaluated_policies(EXAMPLE_CONFIG)
    assert data["gatecheck"]["config"] == expected.data["gatecheck"]["config"]
    assert data["gatecheck"]["config"]["params"]["rto_seconds"] == {"payments": 3600}
    assert "people" in data["gatecheck"]["config"]["trust"]
    assert manifest["revision"] == expected.revision
    digest = config_digest(expected.data)
    assert manifest["metadata"] == {"gatecheck": {"config_digest": digest}}
    assert f"revision {expected.revision}, config {EXAMPLE_CONFIG} ({digest})" in proc.stdout
    plain = tmp_path / "plain.tar.gz"
    assert build(plain).returncode == 0
    plain_manifest, plain_data = bundle_files(plain)
    assert plain_manifest["revision"] == load_policy_set().revision != manifest["revision"]
    assert plain_data["gatecheck"]["config"]["params"]["rto_seconds"] != {"payments": 3600}
    assert plain_manifest["metadata"]["gatecheck"]["config_digest"] != digest


def test_one_parameter_changes_revision_and_digest_and_spelling_does_not(tmp_path: Path) -> None:
    other_config = example_config(tmp_path / "other", coverage_min=0.5)
    first, again, changed, as_json = (tmp_path / f"{n}.tar.gz" for n in "abcd")
    assert build(first, "--config", str(EXAMPLE_CONFIG)).returncode == 0
    assert build(again, "--config", str(EXAMPLE_CONFIG)).returncode == 0
    assert first.read_bytes() == again.read_bytes()
    assert build(changed, "--config", str(other_config)).returncode == 0
    assert bundle_files(changed)[1]["gatecheck"]["config"]["params"]["coverage_min"] == 0.5
    assert bundle_files(changed)[0] != bundle_files(first)[0]
    # The same configuration spelled as JSON, elsewhere: the same document, the same bundle.
    spelled = example_config(tmp_path / "elsewhere", "gatecheck.json")
    assert build(as_json, "--config", str(spelled)).returncode == 0
    assert as_json.read_bytes() == first.read_bytes()


def test_a_bad_config_is_refused_in_one_line_and_nothing_is_written(tmp_path: Path) -> None:
    out = tmp_path / "never.tar.gz"
    misspelt = tmp_path / "misspelt.yaml"
    misspelt.write_text("params: {coverage_min: 0.8}\nstage: {production: {}}\n")
    proc = build(out, "--config", str(misspelt))
    assert proc.returncode == 2 and not out.exists()
    assert proc.stderr.splitlines() == [
        f"gatecheck: error: config {misspelt}: stage: Extra inputs are not permitted"
    ]
    unreadable_key = tmp_path / "key.yaml"
    unreadable_key.write_text(
        "trust:\n  people:\n  - id: a\n    roles: [security]\n    keys: [{path: gone.pub}]\n"
    )
    proc = build(out, "--config", str(unreadable_key))
    assert proc.returncode == 2 and not out.exists()
    assert len(proc.stderr.splitlines()) == 1 and "gone.pub" in proc.stderr
    proc = build(out, "--config", str(tmp_path / "absent.yaml"))
    assert proc.returncode == 2 and not out.exists() and "absent.yaml" in proc.stderr


@pytest.fixture(scope="module")
def configured_server(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """``opa run --server`` serving a bundle built with the example configuration."""
    bundle = tmp_path_factory.mktemp("configured") / "policies.tar.gz"
    proc = build(bundle, "--config", str(EXAMPLE_CONFIG))
    assert proc.returncode == 0, proc.stderr
    with opa_server(bundle) as url:
        yield url


def evaluate_cli(*args: str) -> Any:
    base = ["evaluate", str(EXAMPLE), "--stage", "production", "--at", AT, "--format", "json"]
    return run_gatecheck(*base, *args)


@pytest.mark.opa_server
def test_a_server_with_the_configured_bundle_decides_as_embedded(configured_server: str) -> None:
    config = ["--config", str(EXAMPLE_CONFIG)]
    served = evaluate_cli(*config, "--engine", "server", "--opa-url", configured_server)
    local = evaluate_cli(*config)
    assert served.returncode == local.returncode == 0, served.stderr
    served_report, local_report = json.loads(served.stdout), json.loads(local.stdout)
    assert served_report["engine"]["backend"] == "server"
    assert served_report["results"] == local_report["results"]
    assert served_report["policy"]["digest"] == local_report["policy"]["digest"]
    # Any OPA client reads the configuration's parameters from the server.
    url = f"{configured_server}/v1/data/gatecheck/config/params/trusted_builders"
    with urllib.request.urlopen(url, timeout=10) as response:
        answer = json.load(response)
    assert (
        answer["result"] == yaml.safe_load(EXAMPLE_CONFIG.read_text())["params"]["trusted_builders"]
    )


@pytest.mark.opa_server
def test_another_config_is_refused_naming_what_differs(
    configured_server: str, tmp_path: Path
) -> None:
    other_config = example_config(tmp_path, coverage_min=0.5)
    server = ["--engine", "server", "--opa-url", configured_server]
    changed = evaluate_cli("--config", str(other_config), *server)
    assert changed.returncode == 2
    (line,) = changed.stderr.splitlines()
    assert line.startswith(f"gatecheck: error: OPA server {configured_server} serves another ")
    assert "differs from this evaluation's" in line and "in params (coverage_min);" in line
    assert "gatecheck policy build --config FILE" in line
    assert json.loads(changed.stdout)["decision"] == "error"
    without = evaluate_cli(*server)
    assert without.returncode == 2
    (line,) = without.stderr.splitlines()
    assert "serves another configuration" in line and "params (critical_paths" in line


@pytest.mark.opa_server
def test_the_same_config_with_other_modules_is_a_policy_set_mismatch(
    configured_server: str, tmp_path: Path
) -> None:
    org = tmp_path / "org"
    org.mkdir()
    (org / "extra.rego").write_text(org_control(), encoding="utf-8")
    config, config_dir = load_config(EXAMPLE_CONFIG)
    policies = load_policy_set([org], [], config.data_overlay(config_dir))
    engine = make_engine("server", opa_url=configured_server)
    with pytest.raises(EngineError, match="does not serve this policy set") as raised:
        engine.evaluate(policies, {}, REPORT_QUERY)
    assert "configuration" not in str(raised.value)
