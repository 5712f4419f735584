"""OPA backends, the policy set and the Rego library's own tests."""

from __future__ import annotations

import json
import tarfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers import org_control, run_gatecheck
from opa_support import opa_binary, opa_server, require_opa

from gatecheck.engine.backends import make_engine
from gatecheck.engine.embedded import EmbeddedEngine
from gatecheck.engine.interface import REPORT_QUERY, Engine
from gatecheck.engine.opa_bundle import write_opa_bundle
from gatecheck.engine.policy import load_policy_set
from gatecheck.errors import EngineError, PolicyError, UsageError

INPUT = {
    "stage": "production",
    "effective_time": "2026-01-01T00:00:00Z",
    "effective_time_ns": 1767225600000000000,
    "release": {
        "name": "payments-api",
        "version": "1.4.0",
        "class": "major",
        "artifacts": [],
        "source": {"path": "evidence/r.json"},
    },
    "bundle": {"digest": "sha256:x", "evidence": []},
    "evidence": {},
}

BUILTIN = load_policy_set(include_tests=True)


@pytest.mark.parametrize(
    ("package", "rule", "file"),
    BUILTIN.test_rules(),
    ids=[f"{p.rsplit('.', 1)[-1]}.{r}" for p, r, _ in BUILTIN.test_rules()],
)
def test_builtin_rego_test(package: str, rule: str, file: str, builtin_rego_results: dict) -> None:
    result = builtin_rego_results[(package, rule)]
    assert result.status == "pass", f"{file}: {result.message}"


@pytest.fixture(scope="module")
def builtin_rego_results() -> dict:
    """Every built-in Rego test, run once through the embedded OPA."""
    return {(r.package, r.name): r for r in EmbeddedEngine().run_tests(BUILTIN)}


def test_policy_digest_is_stable_and_changes_with_any_file(tmp_path: Path) -> None:
    first = load_policy_set()
    assert first.digest == load_policy_set().digest
    org = tmp_path / "org"
    org.mkdir()
    (org / "acme.rego").write_text("package gatecheck.controls.acme\n\nimport rego.v1\n")
    with_org = load_policy_set([org])
    assert with_org.digest != first.digest
    (org / "acme.rego").write_text("package gatecheck.controls.acme\n\nimport rego.v1\n# edit\n")
    assert load_policy_set([org]).digest != with_org.digest
    assert any(f["path"] == "org/acme.rego" for f in with_org.files)


def test_data_overrides_change_the_digest(tmp_path: Path) -> None:
    data = tmp_path / "thresholds.json"
    data.write_text(json.dumps({"gatecheck": {"config": {"params": {"coverage_min": 0.5}}}}))
    policies = load_policy_set(data_paths=[data])
    assert policies.data["gatecheck"]["config"]["params"]["coverage_min"] == 0.5
    assert policies.digest != load_policy_set().digest


def test_conflicting_builtin_style_data_files_are_refused(tmp_path: Path) -> None:
    org = tmp_path / "org"
    org.mkdir()
    (org / "a.json").write_text(json.dumps({"gatecheck": {"config": {"params": {"x": 1}}}}))
    (org / "b.json").write_text(json.dumps({"gatecheck": {"config": {"params": {"x": 2}}}}))
    with pytest.raises(PolicyError, match="conflicts"):
        load_policy_set([org])


def test_embedded_engine_reports_opa_version() -> None:
    info = EmbeddedEngine().info()
    assert info.backend == "embedded"
    assert info.opa_version[0].isdigit()


def test_embedded_engine_evaluates_the_library() -> None:
    report = EmbeddedEngine().evaluate(load_policy_set(), INPUT, REPORT_QUERY)
    ids = [c["id"] for c in report["controls"]]
    assert "GC-REL-001" in ids and "GC-ART-001" in ids
    assert report["errors"] == []
    art_001 = next(c for c in report["controls"] if c["id"] == "GC-ART-001")
    assert art_001["enforcement"] == "fail"
    assert any("lists no artifacts" in v["msg"] for v in art_001["violations"])


def test_policy_compile_error_is_an_engine_error(tmp_path: Path) -> None:
    org = tmp_path / "broken"
    org.mkdir()
    (org / "broken.rego").write_text("package gatecheck.controls.broken\n\nallow if {\n")
    with pytest.raises(EngineError, match="broken/broken.rego"):
        EmbeddedEngine().evaluate(load_policy_set([org]), INPUT, REPORT_QUERY)


def test_builtin_error_is_an_engine_error_not_a_silent_pass(tmp_path: Path) -> None:
    org = tmp_path / "org"
    org.mkdir()
    (org / "bad.rego").write_text(org_control('time.parse_rfc3339_ns("not a time") > 0'))
    with pytest.raises(EngineError, match="parse_rfc3339_ns"):
        EmbeddedEngine().evaluate(load_policy_set([org]), INPUT, REPORT_QUERY)


def test_runaway_policy_is_stopped_at_the_timeout(tmp_path: Path) -> None:
    org = tmp_path / "org"
    org.mkdir()
    (org / "slow.rego").write_text(
        "package gatecheck.controls.slow\n\nimport rego.v1\n\n"
        "spin := count([x | some a in numbers.range(1, 3000); some b in numbers.range(1, 3000); x := a * b])\n"
    )
    with pytest.raises(EngineError, match="did not finish within 0.5 s"):
        EmbeddedEngine(timeout=0.5).evaluate(load_policy_set([org]), INPUT, REPORT_QUERY)


def test_undefined_document_is_an_engine_error() -> None:
    with pytest.raises(EngineError, match="undefined"):
        EmbeddedEngine().evaluate(load_policy_set(), INPUT, "gatecheck.main.nothing_here")


def test_unknown_engine_and_server_without_url_are_usage_errors() -> None:
    with pytest.raises(UsageError):
        make_engine("regorus")
    with pytest.raises(UsageError, match="--opa-url"):
        make_engine("server")


def test_opa_engine_without_binary_says_how_to_get_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(EngineError, match="OPA binary"):
        make_engine("opa")


def test_policy_build_writes_an_opa_bundle_with_the_digest_as_revision(tmp_path: Path) -> None:
    policies = load_policy_set()
    out = tmp_path / "policies.tar.gz"
    write_opa_bundle(policies, out)
    with tarfile.open(out) as tar:
        manifest = json.load(tar.extractfile(".manifest"))  # type: ignore[arg-type]
        names = tar.getnames()
    assert manifest["revision"] == policies.digest
    assert "policies/builtin/main.rego" in names and "data.json" in names
    write_opa_bundle(policies, tmp_path / "again.tar.gz")
    assert out.read_bytes() == (tmp_path / "again.tar.gz").read_bytes()


@pytest.mark.opa_binary
def test_opa_binary_runs_the_builtin_tests() -> None:
    require_opa()
    results = make_engine("opa").run_tests(BUILTIN)
    assert results and all(r.status == "pass" for r in results), [
        r for r in results if r.status != "pass"
    ]


@pytest.mark.opa_binary
def test_opa_binary_reports_its_version() -> None:
    path = require_opa()
    info = make_engine("opa").info()
    assert (info.backend, info.detail) == ("opa", path)
    assert info.opa_version[0].isdigit()


@pytest.fixture(scope="module")
def bundle_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``opa run --server`` serving ``gatecheck policy build`` output (bundle mode)."""
    require_opa()
    bundle = tmp_path_factory.mktemp("opa-bundle") / "policies.tar.gz"
    proc = run_gatecheck("policy", "build", "-o", str(bundle))
    assert proc.returncode == 0, proc.stderr
    with opa_server(bundle) as url:
        yield url


def all_backends(upload_url: str, bundle_url: str) -> dict[str, Engine]:
    return {
        "embedded": EmbeddedEngine(),
        "opa": make_engine("opa"),
        "server-upload": make_engine("server", opa_url=upload_url, server_mode="upload"),
        "server-bundle": make_engine("server", opa_url=bundle_url, server_mode="bundle"),
    }


@pytest.mark.opa_binary
@pytest.mark.opa_server
def test_all_backends_give_identical_reports(opa_upload_server: str, bundle_server: str) -> None:
    policies = load_policy_set()
    answers = {
        name: engine.evaluate(policies, INPUT, REPORT_QUERY)
        for name, engine in all_backends(opa_upload_server, bundle_server).items()
    }
    assert answers["embedded"]["controls"], "the library evaluated to no controls"
    for name, answer in answers.items():
        assert answer == answers["embedded"], f"{name} differs from embedded"


@pytest.mark.opa_server
def test_server_engine_reports_the_servers_opa_version(opa_upload_server: str) -> None:
    info = make_engine("server", opa_url=opa_upload_server, server_mode="upload").info()
    assert info.backend == "server" and info.detail == opa_upload_server
    assert info.opa_version == make_engine("opa").info().opa_version


@pytest.mark.opa_server
def test_bundle_mode_refuses_a_server_serving_another_revision(
    bundle_server: str, tmp_path: Path
) -> None:
    data = tmp_path / "thresholds.json"
    data.write_text(json.dumps({"gatecheck": {"config": {"params": {"coverage_min": 0.5}}}}))
    other = load_policy_set(data_paths=[data])
    engine = make_engine("server", opa_url=bundle_server, server_mode="bundle")
    with pytest.raises(EngineError, match=f"need bundle revision {other.digest}"):
        engine.evaluate(other, INPUT, REPORT_QUERY)


@pytest.mark.opa_server
def test_bundle_mode_refuses_a_server_without_the_bundle(opa_upload_server: str) -> None:
    engine = make_engine("server", opa_url=opa_upload_server, server_mode="bundle")
    with pytest.raises(EngineError, match="does not serve this policy set"):
        engine.evaluate(load_policy_set(), INPUT, REPORT_QUERY)


@pytest.mark.opa_server
def test_upload_mode_removes_modules_of_an_earlier_upload(
    opa_upload_server: str, tmp_path: Path
) -> None:
    org = tmp_path / "org"
    org.mkdir()
    (org / "extra.rego").write_text(org_control("true"))
    engine = make_engine("server", opa_url=opa_upload_server, server_mode="upload")
    with_org = engine.evaluate(load_policy_set([org]), INPUT, REPORT_QUERY)
    assert "ORG-1" in [c["id"] for c in with_org["controls"]]
    # The same server, now given the library alone, must not still evaluate ORG-1.
    alone = engine.evaluate(load_policy_set(), INPUT, REPORT_QUERY)
    assert alone == EmbeddedEngine().evaluate(load_policy_set(), INPUT, REPORT_QUERY)


def test_builtin_error_is_an_engine_error_on_every_backend(
    tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """Strict builtin errors everywhere: the server's REST API drops them unless asked."""
    org = tmp_path / "org"
    org.mkdir()
    (org / "bad.rego").write_text(org_control("time.parse_rfc3339_ns(input.release.version) > 0"))
    policies = load_policy_set([org])
    engines: dict[str, Engine] = {"embedded": EmbeddedEngine()}
    if opa_binary():
        upload_url = request.getfixturevalue("opa_upload_server")
        engines["opa"] = make_engine("opa")
        engines["server"] = make_engine("server", opa_url=upload_url, server_mode="upload")
    for name, engine in engines.items():
        with pytest.raises(EngineError, match="parse_rfc3339_ns") as raised:
            engine.evaluate(policies, INPUT, REPORT_QUERY)
        assert "1.4.0" in str(raised.value), name
    if not opa_binary():
        require_opa()  # reports the skip of the other backends


@pytest.mark.opa_binary
def test_a_compile_error_names_its_module_and_line_on_both_local_backends(tmp_path: Path) -> None:
    org = tmp_path / "org"
    org.mkdir()
    (org / "broken.rego").write_text(
        "package gatecheck.controls.broken\n\nimport rego.v1\n\n"
        'f := startswith("a")\n'  # line 5: one argument of two
    )
    policies = load_policy_set([org])
    require_opa()
    for engine in (EmbeddedEngine(), make_engine("opa")):
        with pytest.raises(EngineError) as raised:
            engine.evaluate(policies, INPUT, REPORT_QUERY)
        message = str(raised.value)
        assert "org/broken.rego:5" in message and "rego_type_error" in message, message
        assert "gatecheck-opa-" not in message and "\n" not in message  # no private path


@pytest.mark.opa_binary
def test_opa_binary_test_results_name_the_policy_sets_own_files(tmp_path: Path) -> None:
    org = tmp_path / "org"
    org.mkdir()
    (org / "x_test.rego").write_text(
        "package gatecheck.controls.x_test\n\nimport rego.v1\n\ntest_fails if {\n\tfalse\n}\n"
    )
    require_opa()
    results = make_engine("opa").run_tests(load_policy_set([org], include_tests=True))
    (result,) = [r for r in results if r.package.endswith("x_test")]
    assert (result.status, result.file) == ("fail", "org/x_test.rego")


def test_server_engine_refuses_an_unreachable_server() -> None:
    engine = make_engine("server", opa_url="http://127.0.0.1:9", timeout=2)
    with pytest.raises(EngineError, match="OPA server"):
        engine.evaluate(load_policy_set(), INPUT, REPORT_QUERY)
