"""engine/weakening.py: which controls and parameters a configuration relaxes, against the
shipped library, resolved as the Rego library resolves them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from gatecheck.engine.backends import make_engine
from gatecheck.engine.config import Config
from gatecheck.engine.evaluate import EvaluationRequest, load_policies
from gatecheck.engine.policy import PolicyFile, PolicySet
from gatecheck.engine.weakening import Sources, Weakening, _param
from gatecheck.errors import PolicyError


def weakening(
    tmp_path: Path,
    config: dict[str, Any] | None = None,
    data: list[dict[str, Any]] | None = None,
    stage: str = "production",
    sources: Sources | None = None,
) -> Weakening:
    files = []
    for i, document in enumerate(data or []):
        path = tmp_path / f"data-{i}.json"
        path.write_text(json.dumps(document))
        files.append(path)
    request = EvaluationRequest(
        bundle=tmp_path,
        stage=stage,
        data_files=files,
        config=Config.model_validate(config or {}),
        sources=sources or Sources(),
    )
    return Weakening.of(load_policies(request), request)


def by_param(items: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {i["param"]: i for i in items if i["kind"] == "param"}


def test_library_defaults_alone_weaken_nothing(tmp_path: Path) -> None:
    for stage in ("dev", "staging", "production", "post-deploy"):
        assert weakening(tmp_path, stage=stage).params() == []


@pytest.mark.parametrize(
    ("name", "laxer", "stricter"),
    [
        ("coverage_min", 0.5, 0.95),
        ("critical_coverage_min", 0.1, 1.0),
        ("min_tests", 0, 10),
        ("sbom_max_age_days", 365, 7),
        ("scan_max_age_hours", 48, 12),
        ("ver_latency_tolerance", 0.5, 0.05),
        ("sbom_max_unidentified", 3, 0),
        ("vuln_fail_severity", "critical", "medium"),
        ("vuln_unknown_severity", "low", "critical"),
        ("license_deny", ["SSPL-1.0"], ["SSPL-1.0", "AGPL-3.0-only", "AGPL-3.0-or-later", "GPL"]),
        ("pre_approved_templates", ["std-deploy"], []),
        ("provenance_require_verified", False, True),
    ],
)
def test_each_classified_param_is_laxer_one_way_and_unlisted_the_other(
    tmp_path: Path, name: str, laxer: Any, stricter: Any
) -> None:
    item = by_param(weakening(tmp_path, {"params": {name: laxer}}).params())[name]
    assert item["direction"] == "laxer"
    assert item["value"] == laxer and item["stage"] == "production"
    if stricter != item["default"]:
        assert name not in by_param(weakening(tmp_path, {"params": {name: stricter}}).params())


def test_trust_anchors_are_configuration_not_weakening(tmp_path: Path) -> None:
    params = {
        "trusted_builders": ["https://ci.example/builder"],
        "trusted_signers": [{"key_id": "ab"}],
    }
    assert not weakening(tmp_path, {"params": params}).params()


def test_declaring_an_rto_where_the_library_has_none_is_not_weakening(tmp_path: Path) -> None:
    assert not weakening(tmp_path, {"params": {"rto_seconds": {"payments": 3600}}}).params()


def test_switches_where_false_is_laxer(tmp_path: Path) -> None:
    # The library's default is false: turning it on is stricter, not listed.
    strict = weakening(tmp_path, {"params": {"require_signed_approvals": True}})
    assert by_param(strict.params()) == {}
    # Turned on by a --data file, then off again by the config overlay: the overlay wins.
    items = by_param(
        weakening(
            tmp_path,
            {"params": {"provenance_require_verified": False}},
            data=[{"gatecheck": {"config": {"params": {"provenance_require_verified": True}}}}],
        ).params()
    )
    assert items["provenance_require_verified"]["direction"] == "laxer"
    assert items["provenance_require_verified"]["source"].startswith("the configuration")


def test_nested_approval_requirements_are_compared_per_entry(tmp_path: Path) -> None:
    config = {"params": {"approval_requirements": {"major": {"min_approvers": 1}}}}
    items = by_param(weakening(tmp_path, config).params())
    assert set(items) == {"approval_requirements.major.min_approvers"}
    item = items["approval_requirements.major.min_approvers"]
    assert (item["value"], item["default"], item["direction"]) == (1, 2, "laxer")
    roles = {"params": {"approval_requirements": {"major": {"required_roles": ["security"]}}}}
    item = by_param(weakening(tmp_path, roles).params())[
        "approval_requirements.major.required_roles"
    ]
    assert item["direction"] == "laxer" and item["default"] == ["service-owner", "security"]


def test_unclassified_or_mixed_changes_are_listed_as_changed(tmp_path: Path) -> None:
    config = {
        "params": {
            "release_classes": ["standard"],
            "license_deny": ["SSPL-1.0", "GPL-3.0-only"],  # one dropped, one added
            "my_org_threshold": 3,  # no library default at all
        }
    }
    items = by_param(weakening(tmp_path, config).params())
    assert {n: i["direction"] for n, i in items.items()} == {
        "release_classes": "changed",
        "license_deny": "changed",
        "my_org_threshold": "changed",
    }
    assert items["my_org_threshold"]["default"] is None


def test_stage_profiles_resolve_as_lib_param_does(tmp_path: Path) -> None:
    # The library sets vuln_fail_severity to critical at staging only: the same global value
    # is laxer at production and equal to the default at staging.
    config = {"params": {"vuln_fail_severity": "critical"}}
    assert "vuln_fail_severity" in by_param(weakening(tmp_path, config).params())
    assert by_param(weakening(tmp_path, config, stage="staging").params()) == {}
    # A stage profile applies to its stage only.
    staged = {"stages": {"production": {"params": {"coverage_min": 0.1}}}}
    item = by_param(weakening(tmp_path, staged).params())["coverage_min"]
    assert item["value"] == 0.1
    assert by_param(weakening(tmp_path, staged, stage="dev").params()) == {}


def test_the_param_values_compared_are_the_ones_opa_resolves(tmp_path: Path) -> None:
    """The Python resolution mirrors lib.param: ask OPA for every parameter at every stage."""
    data = [
        {
            "gatecheck": {
                "config": {
                    "params": {"coverage_min": 0.4, "vuln_fail_severity": "low"},
                    "stages": {
                        "staging": {"params": {"coverage_min": 0.2}},
                        "dev": {"params": {"vuln_fail_severity": None}},
                    },
                }
            }
        }
    ]
    module = (
        "package gatecheck.weakcheck\n\nimport rego.v1\n\nimport data.gatecheck.lib\n\n"
        "params[name] := [lib.param(name)] if {\n\tsome name in input.names\n}\n"
    )
    engine = make_engine("embedded")
    for stage in ("dev", "staging", "production", "post-deploy"):
        found = weakening(tmp_path, data=data, stage=stage)
        names = sorted(found.effective["gatecheck"]["config"]["params"])
        policies = load_policies(
            EvaluationRequest(bundle=tmp_path, stage=stage, data_files=[tmp_path / "data-0.json"])
        )
        checked = PolicySet(
            modules=[*policies.modules, PolicyFile("weakcheck.rego", "0" * 64, module)],
            data_files=policies.data_files,
            data=policies.data,
        )
        opa = engine.evaluate(checked, {"stage": stage, "names": names}, "gatecheck.weakcheck")
        for name in names:
            assert _param(found.effective, name, stage)[0] == opa["params"][name][0], (stage, name)
        items = by_param(found.params())
        assert items["coverage_min"]["value"] == (0.2 if stage == "staging" else 0.4)
        # "low" is stricter than the default "high"; staging keeps the library's "critical";
        # dev's null has no direction.
        assert ("vuln_fail_severity" in items) == (stage == "dev")
        if stage == "dev":
            assert items["vuln_fail_severity"]["direction"] == "changed"


def controls(**levels: tuple[str, str]) -> list[dict[str, Any]]:
    """Engine-style control entries: id -> (METADATA default at production, effective)."""
    return [
        {"id": cid.replace("_", "-"), "stages": {"production": d}, "enforcement": e}
        for cid, (d, e) in levels.items()
    ]


def test_enforcement_laxer_than_metadata_default_is_listed_with_its_source(
    tmp_path: Path,
) -> None:
    found = weakening(
        tmp_path,
        {"stages": {"production": {"enforce": {"GC-B": "off"}}}},
        data=[{"gatecheck": {"config": {"stages": {"production": {"enforce": {"GC-A": "warn"}}}}}}],
        sources=Sources(config_file=Path("/repo/pyproject.toml"), config_via="discovered"),
    )
    items = found.enforcement(
        controls(
            GC_A=("fail", "warn"),
            GC_B=("warn", "off"),
            GC_C=("off", "fail"),  # stricter: not listed
            GC_D=("fail", "fail"),
        )
    )
    assert [(i["control"], i["value"], i["default"]) for i in items] == [
        ("GC-A", "warn", "fail"),
        ("GC-B", "off", "warn"),
    ]
    assert items[0]["source"] == f"{tmp_path / 'data-0.json'} (--data)"
    assert items[1]["source"] == "/repo/pyproject.toml (discovered)"
    assert all(i["kind"] == "enforcement" and i["param"] is None for i in items)


def test_a_gate_enforcing_nothing_is_refused_at_production_and_post_deploy(
    tmp_path: Path,
) -> None:
    nothing = controls(GC_A=("fail", "warn"), GC_B=("fail", "off"))
    for stage in ("production", "post-deploy"):
        with pytest.raises(PolicyError, match=f"no control is enforced at {stage}"):
            weakening(tmp_path, stage=stage).require_enforced(nothing)
    for stage in ("dev", "staging"):
        weakening(tmp_path, stage=stage).require_enforced(nothing)
    weakening(tmp_path).require_enforced(controls(GC_A=("fail", "fail"), GC_B=("fail", "off")))


def test_config_sources_name_each_input_and_how_it_was_given(tmp_path: Path) -> None:
    found = weakening(
        tmp_path,
        {"params": {"coverage_min": 0.1}},
        data=[{}],
        sources=Sources(
            config_file=Path("/repo/gatecheck.toml"),
            config_via="discovered in the working directory",
            data_via="env GATECHECK_DATA",
        ),
    )
    assert found.config_sources == [
        "/repo/gatecheck.toml (discovered in the working directory)",
        f"{tmp_path / 'data-0.json'} (env GATECHECK_DATA)",
    ]
    assert by_param(found.params())["coverage_min"]["source"] == (
        "/repo/gatecheck.toml (discovered in the working directory)"
    )
