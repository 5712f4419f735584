"""What the effective policy data weakens at a stage, compared with the shipped library.

A gate is only as strict as its configuration: a ``--data`` file, a config file discovered in
the working directory or a ``GATECHECK_*`` variable can turn controls off or relax thresholds
without touching the bundle. Every such change is listed in the report with the file, variable
or flag it came from, so no output can show a pass without saying what it was measured
against. Values are resolved exactly as ``policies/lib/controls.rego`` resolves them: a
parameter is the stage profile's value, else the global one; enforcement is the stage
profile's override, else the control's METADATA default for the stage, else ``off``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gatecheck.digest import canonical_json
from gatecheck.engine.policy import BUILTIN_PREFIX, PolicySet, _load_data_document, merge_strict
from gatecheck.errors import PolicyError

if TYPE_CHECKING:
    from gatecheck.engine.evaluate import EvaluationRequest

ENFORCEMENT_RANK = {"off": 0, "warn": 1, "fail": 2}
SEVERITY_RANK = {"none": 0, "low": 1, "medium": 2, "high": 3, "critical": 4}
# Stages where a gate that enforces nothing is refused rather than passed.
ENFORCING_STAGES = ("production", "post-deploy")

# How a laxer value looks, per parameter.
BIGGER = "bigger"  # a number: more age, tolerance or unidentified components is laxer
# As BIGGER, for a map of values an organisation declares (RTO per service): declaring one
# where the library has none adds a check, so only raising a declared value is laxer.
DECLARED_BIGGER = "declared-bigger"
SMALLER = "smaller"  # a number: less coverage, fewer tests or approvers is laxer
SEVERITY_UP = "severity-up"  # a severity threshold: fails only at a higher severity
SEVERITY_DOWN = "severity-down"  # a severity assigned to unknowns: a lower one fails less
FEWER = "fewer"  # a list of things checked or denied: fewer entries is laxer
MORE = "more"  # a list of things trusted or accepted: more entries is laxer
FALSE = "false"  # a requirement switch: false is laxer

_REQUIREMENTS = {"*": {"min_approvers": SMALLER, "required_roles": FEWER}}
PARAM_DIRECTIONS: dict[str, Any] = {
    **dict.fromkeys(
        (
            "runbook_max_age_days",
            "backup_test_max_age_days",
            "pentest_max_age_days",
            "segmentation_max_age_days",
            "masking_max_age_days",
            "sbom_max_age_days",
            "approval_max_age_days",
            "scan_max_age_hours",
            "max_ephemeral_ttl_hours",
            "emergency_review_days",
            "postmortem_due_days",
            "ver_error_rate_tolerance",
            "ver_latency_tolerance",
            "perf_p95_tolerance",
            "perf_error_rate_tolerance",
            "sbom_max_unidentified",
            "sast_fail_security_severity",
            "waiver_max_days",
        ),
        BIGGER,
    ),
    **dict.fromkeys(("coverage_min", "critical_coverage_min", "min_tests"), SMALLER),
    **dict.fromkeys(
        ("vuln_fail_severity", "vuln_fix_available_fail_severity", "pentest_fail_severity"),
        SEVERITY_UP,
    ),
    "vuln_unknown_severity": SEVERITY_DOWN,
    **dict.fromkeys(
        (
            "license_deny",
            "required_test_kinds",
            "critical_paths",
            "regulated_tags",
            "masking_sensitive_classifications",
            "pentest_unresolved_statuses",
            "mutable_versions",
            "mutable_version_patterns",
            "parity_environments",
            "parity_keys",
            "ha_availability_levels",
            "ha_tiers",
            "deployment_freezes",
        ),
        FEWER,
    ),
    **dict.fromkeys(
        (
            "pre_approved_templates",
            "auto_approval_classes",
            "auto_approval_risks",
            "change_approval_kinds",
            "compliance_roles",
            "business_roles",
            "deploy_roles",
            "pentest_environments",
            "pentest_resolved_statuses",
            "rollback_test_environments",
            "alert_rule_kinds",
            "ha_strategies",
            "deployment_windows",
            "waiver_approver_roles",
        ),
        MORE,
    ),
    **dict.fromkeys(
        (
            "require_authenticated_evidence",
            "require_signed_approvals",
            "provenance_require_verified",
            "require_cmdb_export",
            "require_signed_masking",
        ),
        FALSE,
    ),
    "approval_requirements": _REQUIREMENTS,
    "approval_requirements_by_risk": _REQUIREMENTS,
    "change_approved_statuses": {"*": MORE},
    "approver_roles": {"*": MORE},
    "rto_seconds": {"*": DECLARED_BIGGER},
    "identity_aliases": {"*": MORE},
}

# Trust anchors every organisation must name (the library ships none): configuring them is
# not a weakening, and they enter the policy digest by content, so a replay under other
# anchors is refused.
TRUST_ANCHORS = frozenset({"trusted_signers", "trusted_builders", "trusted_masking_attestors"})

_MISSING = object()


@dataclass(frozen=True)
class Sources:
    """How the inputs that can change policy data reached the evaluation (for naming them)."""

    config_file: Path | None = None
    config_via: str = "--config"
    """``--config``, ``env GATECHECK_CONFIG`` or ``discovered in the working directory``."""
    data_via: str = "--data"
    """``--data``, ``env GATECHECK_DATA`` or ``data in config FILE``."""
    policy_via: str = "--policy"

    def config_label(self) -> str:
        if self.config_file is None:
            return "the configuration given to the evaluation"
        return f"{self.config_file} ({self.config_via})"


@dataclass
class Weakening:
    """The policy data of one evaluation, split into the layers it was merged from."""

    stage: str
    baseline: dict[str, Any]
    """The shipped library's data alone (the defaults)."""
    effective: dict[str, Any]
    layers: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    """(source label, data document) in merge order: later layers override earlier ones."""
    config_sources: list[str] = field(default_factory=list)

    @classmethod
    def of(cls, policies: PolicySet, request: EvaluationRequest) -> Weakening:
        sources: Sources = getattr(request, "sources", None) or Sources()
        baseline: dict[str, Any] = {}
        layers: list[tuple[str, dict[str, Any]]] = []
        data_count = len(request.data_files)
        extra = [f for f in policies.data_files if not f.path.startswith(BUILTIN_PREFIX + "/")]
        from_dirs, from_data = extra[: len(extra) - data_count], extra[len(extra) - data_count :]
        for file in policies.data_files:
            if file.path.startswith(BUILTIN_PREFIX + "/"):
                merge_strict(baseline, _load_data_document(file), file.path)
        dirs = _policy_dir_prefixes(request.policy_dirs)
        for file in from_dirs:
            prefix, _, rel = file.path.partition("/")
            where = dirs.get(prefix)
            label = f"{where / rel} ({sources.policy_via} {where})" if where else file.path
            layers.append((label, _load_data_document(file)))
        for path, file in zip(request.data_files, from_data, strict=True):
            layers.append((f"{path} ({sources.data_via})", _load_data_document(file)))
        overlay = request.config.data_overlay(request.config_dir)
        if overlay:
            layers.append((sources.config_label(), overlay))
        config_sources = [sources.config_label()] if sources.config_file or overlay else []
        config_sources += [f"{d} ({sources.policy_via})" for d in request.policy_dirs]
        config_sources += [f"{p} ({sources.data_via})" for p in request.data_files]
        return cls(request.stage, baseline, policies.data, layers, config_sources)

    def params(self) -> list[dict[str, Any]]:
        """Every parameter laxer than (or changed from) the library default at the stage."""
        names = sorted(set(_param_names(self.effective, self.stage)))
        items = []
        for name in names:
            if name in TRUST_ANCHORS:
                continue
            value, path = _param(self.effective, name, self.stage)
            default, _ = _param(self.baseline, name, self.stage)
            if _same(value, default):
                continue
            rule = PARAM_DIRECTIONS.get(name)
            for sub, new, old, direction in _compare(rule, value, default, []):
                items.append(
                    _item(
                        "param",
                        None,
                        ".".join([name, *sub]),
                        self.stage,
                        new,
                        old,
                        direction,
                        self._source([*path, *sub]),
                    )
                )
        return items

    def enforcement(self, controls: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Every control whose enforcement at the stage is laxer than its library default.

        ``controls`` are the engine's per-control entries (METADATA plus the enforcement
        ``lib.enforcement`` computed)."""
        override = _get(self.baseline, ["gatecheck", "config", "stages", self.stage, "enforce"])
        items = []
        for control in sorted(controls, key=lambda c: str(c.get("id"))):
            control_id = control.get("id")
            stages = control.get("stages")
            default = (override or {}).get(control_id) if isinstance(override, dict) else None
            if default is None:
                default = stages.get(self.stage, "off") if isinstance(stages, dict) else "off"
            value = control.get("enforcement")
            if value not in ENFORCEMENT_RANK or default not in ENFORCEMENT_RANK:
                continue
            if ENFORCEMENT_RANK[value] < ENFORCEMENT_RANK[default]:
                path = ["gatecheck", "config", "stages", self.stage, "enforce", str(control_id)]
                items.append(
                    _item(
                        "enforcement",
                        control_id,
                        None,
                        self.stage,
                        value,
                        default,
                        "laxer",
                        self._source(path),
                    )
                )
        return items

    def require_enforced(self, controls: list[dict[str, Any]]) -> None:
        """At production and post-deploy, a gate in which no control is enforced is an error."""
        if self.stage not in ENFORCING_STAGES:
            return
        if any(c.get("enforcement") == "fail" for c in controls):
            return
        raise PolicyError(
            f"no control is enforced at {self.stage}: all {len(controls)} are off or warn "
            "(the report's `weakened` names the files that turned them off); restore "
            "enforcement before promoting"
        )

    def _source(self, path: list[str]) -> str:
        """The last layer that sets ``path`` (or replaces a parent of it): the one that won."""
        for label, document in reversed(self.layers):
            if _sets(document, path):
                return label
        return "the policy set"


def _item(
    kind: str,
    control: Any,
    param: str | None,
    stage: str,
    value: Any,
    default: Any,
    direction: str,
    source: str,
) -> dict[str, Any]:
    return {
        "kind": kind,
        "control": control,
        "param": param,
        "stage": stage,
        "value": value,
        "default": default,
        "direction": direction,
        "source": source,
    }


def _policy_dir_prefixes(directories: list[Path]) -> dict[str, Path]:
    """Logical prefix -> ``--policy`` directory, named as ``load_policy_set`` names them."""
    seen, prefixes = {BUILTIN_PREFIX}, {}
    for directory in directories:
        prefix = directory.resolve().name or "policy"
        while prefix in seen:
            prefix += "_"
        seen.add(prefix)
        prefixes[prefix] = directory
    return prefixes


def _get(document: Any, path: list[str]) -> Any:
    for key in path:
        if not isinstance(document, dict) or key not in document:
            return None
        document = document[key]
    return document


def _sets(document: Any, path: list[str]) -> bool:
    for key in path:
        if not isinstance(document, dict):
            return True  # a non-object here replaces everything below it
        if key not in document:
            return False
        document = document[key]
    return True


def _param_names(data: dict[str, Any], stage: str) -> Iterator[str]:
    for where in (["params"], ["stages", stage, "params"]):
        found = _get(data, ["gatecheck", "config", *where])
        if isinstance(found, dict):
            yield from (str(k) for k in found)


def _param(data: dict[str, Any], name: str, stage: str) -> tuple[Any, list[str]]:
    """(value, data path) as ``lib.param`` resolves it; the value is _MISSING when unset."""
    stage_path = ["gatecheck", "config", "stages", stage, "params"]
    stage_params = _get(data, stage_path)
    if isinstance(stage_params, dict) and name in stage_params:
        return stage_params[name], [*stage_path, name]
    base_path = ["gatecheck", "config", "params"]
    base = _get(data, base_path)
    if isinstance(base, dict) and name in base:
        return base[name], [*base_path, name]
    return _MISSING, [*base_path, name]


def _same(a: Any, b: Any) -> bool:
    if a is _MISSING or b is _MISSING:
        return a is b
    return canonical_json(a) == canonical_json(b)


def _plain(value: Any) -> Any:
    return None if value is _MISSING else value


def _compare(
    rule: Any, value: Any, default: Any, sub: list[str]
) -> Iterator[tuple[list[str], Any, Any, str]]:
    """(sub-path, value, default, laxer|changed) for each difference that is not stricter."""
    if _same(value, default):
        return
    if isinstance(rule, dict) and isinstance(value, dict) and isinstance(default, dict):
        for key in sorted(set(value) | set(default), key=str):
            child = rule.get(key, rule.get("*"))
            yield from _compare(
                child, value.get(key, _MISSING), default.get(key, _MISSING), [*sub, str(key)]
            )
        return
    direction = _direction(rule, value, default)
    if direction in ("laxer", "changed"):
        yield sub, _plain(value), _plain(default), direction


def _direction(rule: Any, value: Any, default: Any) -> str:
    """laxer, stricter, same or changed (direction unknown or the types do not compare)."""
    if rule == DECLARED_BIGGER:
        if default is _MISSING:
            return "stricter"
        rule = BIGGER
    if rule in (BIGGER, SMALLER) and _number(value) and _number(default):
        if value == default:
            return "same"
        return "laxer" if (value > default) == (rule == BIGGER) else "stricter"
    if rule in (SEVERITY_UP, SEVERITY_DOWN) and value in SEVERITY_RANK and default in SEVERITY_RANK:
        delta = SEVERITY_RANK[value] - SEVERITY_RANK[default]
        if delta == 0:
            return "same"
        return "laxer" if (delta > 0) == (rule == SEVERITY_UP) else "stricter"
    if rule in (FEWER, MORE) and isinstance(value, list) and isinstance(default, list):
        new = {canonical_json(v) for v in value}
        old = {canonical_json(v) for v in default}
        if new == old:
            return "same"
        if new < old:
            return "laxer" if rule == FEWER else "stricter"
        if new > old:
            return "laxer" if rule == MORE else "stricter"
        return "changed"
    if rule == FALSE and isinstance(value, bool) and isinstance(default, bool):
        return "laxer" if default and not value else "stricter"
    return "changed"


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)
