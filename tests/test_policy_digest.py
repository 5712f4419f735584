"""Everything that can change a decision is inside the policy digest, and replay names it.

Each attempt keeps every path and alias in the configuration the same and changes what is
behind it (a key file, a root, a pattern, a waiver): the digest changes and a replay of the
report made before is refused, naming the part.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner
from cryptography.hazmat.primitives.asymmetric import ed25519
from helpers import DATA, make_bundle

from gatecheck.cli.main import cli
from gatecheck.evidence.signing.keys import key_id, public_key_pem

AT = "2026-03-05T10:00:00Z"


def _invoke(*args: Any):  # noqa: ANN202 - click Result
    return CliRunner().invoke(cli, [str(a) for a in args])


def new_key_pem() -> str:
    return public_key_pem(ed25519.Ed25519PrivateKey.generate())


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("digest")
    return make_bundle(
        root / "bundle", [DATA / "junit" / "jest-junit-2-passed.xml"], labels={"kind": "unit"}
    )


def base_config(directory: Path) -> dict[str, Any]:
    (directory / "keys").mkdir(exist_ok=True)
    for name in ("ci.pub", "release.pub"):
        (directory / "keys" / name).write_text(new_key_pem(), encoding="utf-8")
    return {
        "trust": {
            "producers": {
                "ci-build": {"types": ["test-results"], "keys": [{"path": "keys/ci.pub"}]}
            },
            "people": [{"id": "m.ferreira", "roles": ["ciso"], "aliases": ["ciso@example.org"]}],
        },
        "trusted_keys": [{"key_id": "release", "path": "keys/release.pub"}],
        "junit_kind_patterns": {"unit": ["jest*"]},
        "waivers": [
            {
                "id": "WVR-1",
                "control": "GC-TST-002",
                "scope": {"release": "payments-api", "version": "1.4.0"},
                "justification": "coverage tool migration",
                "approver": "ciso@example.org",
                "granted": "2026-03-01T00:00:00Z",
                "expires": "2026-04-01T00:00:00Z",
            }
        ],
    }


def evaluate(bundle: Path, config: Path, report: Path) -> dict[str, Any]:
    result = _invoke(
        "evaluate", bundle, "--stage", "staging", "--at", AT, "--config", config,
        "--format", "json", "--report", report,
    )  # fmt: skip
    assert result.exit_code in (0, 1), result.output
    return json.loads(report.read_text(encoding="utf-8"))


def replay(bundle: Path, config: Path, report: Path):  # noqa: ANN201 - click Result
    return _invoke("report", "replay", report, "--bundle", bundle, "--config", config)


def digest_of(bundle: Path, config: Path) -> str:
    """The policy digest an evaluation with ``config`` records (without evaluating)."""
    from gatecheck.engine.config import load_config
    from gatecheck.engine.evaluate import EvaluationRequest, load_policies

    loaded, directory = load_config(config)
    request = EvaluationRequest(bundle=bundle, stage="staging", config=loaded, config_dir=directory)
    return load_policies(request).digest


@pytest.fixture(scope="module")
def original(bundle: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    """A directory with the configuration, its key files and the report made with them,
    which replays identically."""
    directory = tmp_path_factory.mktemp("original")
    settings = base_config(directory)
    config = directory / "gatecheck.yaml"
    config.write_text(yaml.safe_dump(settings), encoding="utf-8")
    report = evaluate(bundle, config, directory / "report.json")
    assert replay(bundle, config, directory / "report.json").exit_code == 0
    return directory, report


def made(
    original: tuple[Path, dict], tmp_path: Path
) -> tuple[Path, dict[str, Any], Path, dict[str, Any]]:
    """A copy of the original directory: (config, settings, report path, report)."""
    directory, report = original
    shutil.copytree(directory, tmp_path, dirs_exist_ok=True)
    config = tmp_path / "gatecheck.yaml"
    settings = yaml.safe_load(config.read_text(encoding="utf-8"))
    return config, settings, tmp_path / "report.json", report


def test_the_report_records_the_anchors_by_key_bytes_never_by_path(
    original: tuple[Path, dict], tmp_path: Path
) -> None:
    _, _, _, report = made(original, tmp_path)
    anchors = report["policy"]["bindings"]["trust_anchors"]["keys"]
    ci = key_id(_load(tmp_path / "keys" / "ci.pub"))
    release = key_id(_load(tmp_path / "keys" / "release.pub"))
    assert anchors == {ci: ["producer:ci-build"], release: ["trusted_keys:release"]}
    assert "keys/" not in json.dumps(report["policy"])
    roots = report["policy"]["bindings"]["sigstore_roots"]
    assert [r["name"] for r in roots] == ["public-good"] and len(roots[0]["sha256"]) == 64


def _load(path: Path):  # noqa: ANN202 - a public key
    from gatecheck.evidence.signing.keys import load_public_key

    return load_public_key(path.read_text(encoding="utf-8"))


@pytest.mark.parametrize("which", ["ci.pub", "release.pub"])
def test_a_key_swapped_behind_the_same_path_changes_the_digest_and_replay_names_it(
    bundle: Path, original: tuple[Path, dict], tmp_path: Path, which: str
) -> None:
    config, _, path, report = made(original, tmp_path)
    old = key_id(_load(tmp_path / "keys" / which))
    (tmp_path / "keys" / which).write_text(new_key_pem(), encoding="utf-8")
    new = key_id(_load(tmp_path / "keys" / which))
    assert digest_of(bundle, config) != report["policy_digest"]
    result = replay(bundle, config, path)
    assert result.exit_code == 2
    message = result.stderr
    assert "the trust anchors differ" in message and message.count("\n") == 1
    assert f"key {new}" in message and "is not one of the report's" in message
    assert f"key {old}" in message and "of the report is missing" in message


@pytest.mark.parametrize(
    ("change", "named"),
    [
        (lambda s: s.update(sigstore_trusted_root=["public-good", "staging"]), "Sigstore roots"),
        (lambda s: s.update(junit_kind_patterns={"unit": ["*"]}), "junit_kind_patterns differ"),
        (lambda s: s["waivers"][0].update(expires="2026-04-02T00:00:00Z"), "the waivers differ"),
        (lambda s: s.update(waivers=[]), "the waivers differ"),
        (
            lambda s: s.update(stages={"staging": {"enforce": {"GC-TST-001": "warn"}}}),
            "the stage profiles differ",
        ),
        (lambda s: s.update(params={"coverage_min": 10}), "the params differ"),
        (
            lambda s: s["trust"]["people"][0]["aliases"].append("boss@example.org"),
            "the trust policy (producers, people, roles) differ",
        ),
    ],
)
def test_every_decision_input_is_in_the_digest_and_replay_names_it(
    bundle: Path, original: tuple[Path, dict], tmp_path: Path, change: Any, named: str
) -> None:
    config, settings, path, report = made(original, tmp_path)
    change(settings)
    config.write_text(yaml.safe_dump(settings), encoding="utf-8")
    assert digest_of(bundle, config) != report["policy_digest"]
    result = replay(bundle, config, path)
    assert result.exit_code == 2 and named in result.stderr, result.output
    assert result.stderr.count("\n") == 1


def test_a_staging_root_added_by_path_is_named_with_its_content_digest(
    bundle: Path, original: tuple[Path, dict], tmp_path: Path
) -> None:
    config, settings, path, _ = made(original, tmp_path)
    root = tmp_path / "root.json"
    root.write_bytes(
        (Path(__file__).parent / "data" / "sigstore" / "trusted_root.staging.json").read_bytes()
    )
    settings["sigstore_trusted_root"] = "root.json"
    config.write_text(yaml.safe_dump(settings), encoding="utf-8")
    result = replay(bundle, config, path)
    assert result.exit_code == 2
    assert f"the Sigstore roots differ: {root}" in result.stderr
    assert "the report's public-good is missing" in result.stderr
