"""The configuration file is parsed once per run: the run settings and the policy
configuration read the same document, each its own copy."""

from __future__ import annotations

from pathlib import Path

import pytest

from gatecheck.engine import settings
from gatecheck.engine.config import load_config
from gatecheck.errors import ConfigError
from gatecheck.evidence import safe

EXAMPLE_CONFIG = Path(__file__).resolve().parent.parent / "examples" / "gatecheck.yaml"


@pytest.fixture
def yaml_parses(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    calls: list[str] = []
    load_yaml = safe.load_yaml

    def counted(raw: bytes, *, name: str) -> object:
        calls.append(name)
        return load_yaml(raw, name=name)

    monkeypatch.setattr(safe, "load_yaml", counted)
    monkeypatch.setattr(settings, "_last_parsed", [])
    return calls


def test_settings_then_policy_config_parse_the_file_once(yaml_parses: list[str]) -> None:
    found = settings.resolve(flags={"config": EXAMPLE_CONFIG}, environ={})
    config, base = load_config(EXAMPLE_CONFIG)
    assert yaml_parses == [str(EXAMPLE_CONFIG)]
    assert found.config_file == EXAMPLE_CONFIG and base == EXAMPLE_CONFIG.parent
    assert config.waivers or config.params or config.trust, "the example config read as empty"


def test_a_changed_file_is_parsed_again(tmp_path: Path, yaml_parses: list[str]) -> None:
    path = tmp_path / "gatecheck.yaml"
    path.write_text("params:\n  max_critical: 0\n")
    assert load_config(path)[0].params == {"max_critical": 0}
    path.write_text("params:\n  max_critical: 3\n")
    assert load_config(path)[0].params == {"max_critical": 3}
    assert len(yaml_parses) == 2


def test_each_reader_gets_its_own_copy(tmp_path: Path, yaml_parses: list[str]) -> None:
    path = tmp_path / "gatecheck.yaml"
    path.write_text("params:\n  limits: {a: 1}\n")
    first = settings.parse_config_file(path)
    first["params"]["limits"]["a"] = 99
    assert load_config(path)[0].params == {"limits": {"a": 1}}
    assert len(yaml_parses) == 1


def test_errors_are_unchanged_for_the_second_reader(tmp_path: Path, yaml_parses: list[str]) -> None:
    path = tmp_path / "gatecheck.yaml"
    path.write_text("- just\n- a list\n")
    with pytest.raises(ConfigError, match=r"must be a mapping"):
        settings.read_document(path)
    with pytest.raises(ConfigError, match=r"must be a mapping"):
        load_config(path)
    path.write_text("params: [unclosed\n")
    with pytest.raises(ConfigError, match=rf"config {path}: "):
        load_config(path)
