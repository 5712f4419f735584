"""Replaying a report: re-evaluate its bundle at its effective time and stage, and compare.

A replay is only meaningful with the same inputs, so it refuses before evaluating when the
bundle is not the report's bundle, or when any policy or data file differs from the report's
list (each changed, missing or extra file is named), or when the effective data differs
(e.g. another ``--config`` overlay), naming the part: parameters, stage profiles, the trust
policy, trust anchors (each key by id), Sigstore roots, JUnit kind patterns, waivers. Otherwise it evaluates again and compares, per control,
the whole result (status, messages, evidence, waivers), then the decision, summary, waivers
and disabled controls. Only the report's creation time may differ.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from gatecheck.digest import canonical_json
from gatecheck.engine.config import Waiver, load_config
from gatecheck.engine.evaluate import EvaluationRequest, evaluate, load_policies
from gatecheck.engine.interface import Engine
from gatecheck.engine.policy import BINDING_NAMES, PolicySet
from gatecheck.errors import BundleError, ReportError
from gatecheck.timeutil import parse_rfc3339

# Report fields besides per-control results that a replay must reproduce exactly.
_COMPARED_FIELDS = (
    "decision",
    "auto_approved",
    "stage",
    "effective_time",
    "release",
    "bundle_digest",
    "policy_digest",
    "summary",
    "waivers",
    "disabled_controls",
    "error",
)


class ReplayRefused(ReportError):
    """The inputs given are not the report's inputs, so a replay would prove nothing."""


@dataclass
class ControlComparison:
    control: str
    original: str | None
    """Status in the report (None: the control is not in the report)."""
    replayed: str | None
    identical: bool
    differences: list[str] = field(default_factory=list)
    """Which result fields differ (status, messages, evidence...)."""


@dataclass
class ReplayResult:
    original: dict[str, Any]
    replayed: dict[str, Any]
    controls: list[ControlComparison]
    field_differences: list[str]

    @property
    def identical(self) -> bool:
        return not self.field_differences and all(c.identical for c in self.controls)


def policy_differences(recorded: Any, current: list[dict[str, str]]) -> list[str]:
    """Each policy/data file whose digest differs, or that is missing or extra, by name."""
    if not isinstance(recorded, list):
        return ["the report lists no policy files"]
    want: dict[str, str] = {}
    for entry in recorded:
        if isinstance(entry, Mapping) and isinstance(entry.get("path"), str):
            want[entry["path"]] = str(entry.get("sha256"))
    have = {entry["path"]: entry["sha256"] for entry in current}
    problems = []
    for path in sorted(set(want) | set(have)):
        if path not in have:
            problems.append(f"{path} is missing (the report was made with it)")
        elif path not in want:
            problems.append(f"{path} is extra (the report was made without it)")
        elif have[path] != want[path]:
            problems.append(
                f"{path} differs (sha256 {have[path][:16]}..., the report's {want[path][:16]}...)"
            )
    return problems


def _anchor_keys(bindings: Any) -> dict[str, list[str]]:
    if not isinstance(bindings, Mapping):
        return {}
    anchors = bindings.get("trust_anchors")
    keys = anchors.get("keys") if isinstance(anchors, Mapping) else None
    return dict(keys) if isinstance(keys, Mapping) else {}


def _root_digests(bindings: Any) -> dict[str, str]:
    roots = bindings.get("sigstore_roots") if isinstance(bindings, Mapping) else None
    return {str(r.get("name")): str(r.get("sha256")) for r in roots or [] if isinstance(r, Mapping)}


def _anchor_detail(recorded: Any, current: Mapping[str, Any]) -> str:
    want, have = _anchor_keys(recorded), _anchor_keys(current)
    details = [
        f"key {kid} ({', '.join(have[kid])}) is not one of the report's"
        for kid in sorted(set(have) - set(want))
    ]
    details += [
        f"key {kid} ({', '.join(map(str, want[kid]))}) of the report is missing"
        for kid in sorted(set(want) - set(have))
    ]
    details += [
        f"key {kid} is trusted for {', '.join(have[kid])}, in the report for "
        f"{', '.join(map(str, want[kid]))}"
        for kid in sorted(set(want) & set(have))
        if list(have[kid]) != list(want[kid])
    ]
    return "; ".join(details) or "a Sigstore identity or its root differs"


def _root_detail(recorded: Any, current: Mapping[str, Any]) -> str:
    want, have = _root_digests(recorded), _root_digests(current)
    details = [
        f"{name} (sha256 {have[name][:16]}...) "
        + ("is not one of the report's" if name not in want else "has other content")
        for name in sorted(have)
        if want.get(name) != have[name]
    ]
    details += [f"the report's {name} is missing" for name in sorted(set(want) - set(have))]
    return "; ".join(details) or "their order differs"


def _waiver_name(waiver: Mapping[str, Any]) -> str:
    """As errors name a waiver (``Waiver.label``); a recorded one this version no longer
    reads by its id or control."""
    try:
        return Waiver.model_validate(waiver).label
    except ValidationError:
        return f"waiver {waiver.get('id') or 'for ' + str(waiver.get('control'))}"


def _waivers(bindings: Any) -> dict[str, bytes]:
    """Each waiver by name -> its canonical JSON (what it grants, to compare)."""
    waivers = bindings.get("waivers") if isinstance(bindings, Mapping) else None
    return {_waiver_name(w): canonical_json(w) for w in waivers or [] if isinstance(w, Mapping)}


def _waiver_detail(recorded: Any, current: Mapping[str, Any]) -> str:
    want, have = _waivers(recorded), _waivers(current)
    details = [f"{name} is not one of the report's" for name in sorted(set(have) - set(want))]
    details += [f"the report's {name} is missing" for name in sorted(set(want) - set(have))]
    details += [
        f"{name} grants something else than in the report"
        for name in sorted(set(want) & set(have))
        if want[name] != have[name]
    ]
    return "; ".join(details) or "their order differs"


_DETAILS = {
    BINDING_NAMES["trust_anchors"]: _anchor_detail,
    BINDING_NAMES["sigstore_roots"]: _root_detail,
    BINDING_NAMES["waivers"]: _waiver_detail,
}


def part_change(name: str, recorded_bindings: Any, current_bindings: Mapping[str, Any]) -> str:
    """One line saying how the part ``name`` differs from the report's: what changed for the
    parts whose content the report records (``policy.bindings``: trust anchors, Sigstore
    roots, waivers), only that it differs for the others (it records their digests)."""
    detail = _DETAILS.get(name)
    if detail is None:
        return f"the {name} differ"
    return f"the {name} differ: {detail(recorded_bindings, current_bindings)}"


def part_differences(recorded: Any, policies: PolicySet) -> list[str]:
    """Each part of the policy digest that differs from the report's, by name."""
    if not isinstance(recorded, Mapping) or not isinstance(recorded.get("parts"), Mapping):
        return []
    want, have = recorded["parts"], policies.parts()
    return [
        part_change(name, recorded.get("bindings"), policies.bindings)
        for name in sorted(set(want) | set(have))
        if want.get(name) != have.get(name)
    ]


def _results_by_control(report: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    results = {}
    for result in report.get("results") or []:
        if isinstance(result, Mapping) and isinstance(result.get("control"), str):
            results[result["control"]] = dict(result)
    return results


def compare(original: Mapping[str, Any], replayed: Mapping[str, Any]) -> ReplayResult:
    before = _results_by_control(original)
    after = _results_by_control(replayed)
    controls = []
    for control in sorted(set(before) | set(after)):
        old, new = before.get(control), after.get(control)
        if old is None or new is None:
            controls.append(
                ControlComparison(
                    control,
                    old.get("status") if old else None,
                    new.get("status") if new else None,
                    identical=False,
                    differences=["only in the report" if new is None else "only in the replay"],
                )
            )
            continue
        differing = sorted(
            key
            for key in set(old) | set(new)
            if canonical_json(old.get(key)) != canonical_json(new.get(key))
        )
        controls.append(
            ControlComparison(
                control, old.get("status"), new.get("status"), not differing, differing
            )
        )
    fields = [
        name
        for name in _COMPARED_FIELDS
        if canonical_json(original.get(name)) != canonical_json(replayed.get(name))
    ]
    return ReplayResult(dict(original), dict(replayed), controls, fields)


def replay(
    report: Mapping[str, Any],
    *,
    bundle: Path,
    engine: Engine,
    policy_dirs: list[Path] | None = None,
    data_files: list[Path] | None = None,
    config_file: Path | None = None,
) -> ReplayResult:
    """Re-evaluate ``report``'s bundle with the given policies; ReplayRefused when the inputs
    are not the report's."""
    from gatecheck.bundles.archive import OpenedBundle

    stage = report.get("stage")
    effective_text = report.get("effective_time")
    if not isinstance(stage, str) or not isinstance(effective_text, str):
        raise ReplayRefused("the report has no stage or effective time to replay at")
    effective = parse_rfc3339(effective_text, what="the report's effective_time")
    config, config_dir = load_config(config_file)
    request = EvaluationRequest(
        bundle=bundle,
        stage=stage,
        effective=effective,
        policy_dirs=list(policy_dirs or []),
        data_files=list(data_files or []),
        config=config,
        config_dir=config_dir,
    )
    try:
        with OpenedBundle(bundle) as opened:
            digest = opened.manifest.digest
    except BundleError as exc:
        raise ReplayRefused(f"cannot replay: {exc.diagnostics()}") from None
    if digest != report.get("bundle_digest"):
        raise ReplayRefused(
            f"cannot replay: bundle {bundle} (manifest digest {digest}) is not the report's "
            f"bundle ({report.get('bundle_digest')})"
        )
    policies = load_policies(request)
    recorded = report.get("policy") or {}
    problems = policy_differences(
        recorded.get("files") if isinstance(recorded, Mapping) else None, policies.files
    )
    if problems:
        raise ReplayRefused(
            "cannot replay: the policy set is not the report's: "
            + "; ".join(problems)
            + " (pass the same --policy, --data and --config as the original evaluation)"
        )
    if policies.digest != report.get("policy_digest"):
        named = part_differences(recorded, policies)
        if named:
            raise ReplayRefused(
                "cannot replay: " + "; ".join(named) + " (policy digest "
                f"{policies.digest}, the report's {report.get('policy_digest')}); pass the "
                "--config and --data the original evaluation used"
            )
        raise ReplayRefused(
            f"cannot replay: the policy files match but the effective data differs (policy "
            f"digest {policies.digest}, the report's {report.get('policy_digest')}); pass the "
            "--config and --data the original evaluation used"
        )
    return compare(report, evaluate(request, engine))
