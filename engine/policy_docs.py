"""The control catalog as OPA sees it, and the Markdown reference generated from it.

Control documentation lives in each control package's METADATA (title, description,
remediation, frameworks, stages, params). The catalog is read through the engine, by
evaluating every package's ``info`` rule, so the reference shows exactly what a report would
use, organisation policies included, and never a second parse of Rego comments.
"""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path
from typing import Any

from gatecheck.digest import sha256_bytes
from gatecheck.engine.interface import Engine
from gatecheck.engine.policy import PolicyFile, PolicySet
from gatecheck.errors import EngineError, GatecheckError

CATALOG_QUERY = "gatecheck.docs.catalog"
# Only `info` rules are evaluated: OPA walks data.gatecheck.controls[name].info without
# evaluating deny/warn, so an empty input is enough and no evidence is needed.
_CATALOG_MODULE = """package gatecheck.docs

import rego.v1

catalog[info.id] := object.union(info, {"package": name}) if {
	some name
	info := data.gatecheck.controls[name].info
}
"""
_CATALOG_PATH = "gatecheck/docs.rego"
STAGES = ("dev", "staging", "production", "post-deploy")
FRAMEWORK_NAMES = {
    "soc2": "SOC 2",
    "iso27001": "ISO/IEC 27001:2022",
    "nist-800-53": "NIST SP 800-53 r5",
    "slsa-v1.0": "SLSA v1.0",
}
_INFO_KEYS = {"id", "title", "severity"}


def with_catalog_module(policies: PolicySet) -> PolicySet:
    module = PolicyFile(_CATALOG_PATH, sha256_bytes(_CATALOG_MODULE.encode()), _CATALOG_MODULE)
    return replace(policies, modules=[*policies.modules, module])


def control_catalog(engine: Engine, policies: PolicySet) -> dict[str, dict[str, Any]]:
    """Control ID -> its declared info (METADATA), for every control package in the set."""
    raw = engine.evaluate(with_catalog_module(policies), {}, CATALOG_QUERY)
    if not isinstance(raw, dict) or not raw:
        raise EngineError("the policy set declares no controls (no package has an info rule)")
    for control_id, info in raw.items():
        if not isinstance(info, dict) or not info.keys() >= _INFO_KEYS:
            raise EngineError(f"control {control_id}: its info lacks id, title or severity")
    return dict(sorted(raw.items()))


def try_control_catalog(engine: Engine, policies: PolicySet) -> dict[str, dict[str, Any]]:
    """As control_catalog, or {} when it cannot be read (renderers then use the report alone)."""
    try:
        return control_catalog(engine, policies)
    except GatecheckError:
        return {}


def framework_name(key: str) -> str:
    return FRAMEWORK_NAMES.get(key, key)


def _cell(text: Any) -> str:
    """Text safe inside a Markdown table cell."""
    return " ".join(str(text).split()).replace("|", "\\|")


def file_name(control_id: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]", "_", control_id) + ".md"


def param_value(data: dict[str, Any], name: str, stage: str | None = None) -> Any:
    """The value lib.param(name) yields: the stage profile's, else the default (None: unset)."""
    config = data.get("gatecheck", {}).get("config", {})
    if stage:
        stage_params = config.get("stages", {}).get(stage, {}).get("params", {})
        if name in stage_params:
            return stage_params[name]
    return config.get("params", {}).get(name)


def enforcement(info: dict[str, Any], data: dict[str, Any], stage: str) -> str:
    """Enforcement at ``stage``, as lib.enforcement computes it."""
    override = (
        data.get("gatecheck", {})
        .get("config", {})
        .get("stages", {})
        .get(stage, {})
        .get("enforce", {})
    )
    if info["id"] in override:
        return str(override[info["id"]])
    return str((info.get("stages") or {}).get(stage, "off"))


def _json_value(value: Any) -> str:
    import json

    return "`" + json.dumps(value, ensure_ascii=False) + "`" if value is not None else "(unset)"


def control_page(info: dict[str, Any], data: dict[str, Any]) -> str:
    lines = [f"# {info['id']}: {info['title']}", ""]
    lines += [
        f"Severity: **{info['severity']}**  ",
        f"Package: `gatecheck.controls.{info.get('package', '?')}`",
        "",
    ]
    if info.get("description"):
        lines += [" ".join(str(info["description"]).split()), ""]
    lines += ["## Enforcement by stage", "", "| Stage | Enforcement |", "|---|---|"]
    lines += [f"| {stage} | {enforcement(info, data, stage)} |" for stage in STAGES]
    lines.append("")
    evidence_types = info.get("evidence_types") or []
    if evidence_types:
        lines += ["## Evidence", ""]
        lines += [f"- `{kind}`" for kind in evidence_types]
        lines.append("")
    params = info.get("params") or []
    if params:
        lines += [
            "## Parameters",
            "",
            "| Parameter | Default | Production | Staging |",
            "|---|---|---|---|",
        ]
        for name in params:
            lines.append(
                f"| `{name}` | {_cell(_json_value(param_value(data, name)))} "
                f"| {_cell(_json_value(param_value(data, name, 'production')))} "
                f"| {_cell(_json_value(param_value(data, name, 'staging')))} |"
            )
        lines.append("")
    if info.get("remediation"):
        lines += ["## Remediation", "", " ".join(str(info["remediation"]).split()), ""]
    frameworks = info.get("frameworks") or {}
    if frameworks:
        lines += ["## Framework mappings", "", "| Framework | Requirements |", "|---|---|"]
        for key, refs in sorted(frameworks.items()):
            lines.append(f"| {framework_name(key)} | {_cell(', '.join(map(str, refs)))} |")
        lines.append("")
    return "\n".join(lines)


def index_page(catalog: dict[str, dict[str, Any]], data: dict[str, Any], policy_digest: str) -> str:
    lines = [
        "# gatecheck control reference",
        "",
        "Generated by `gatecheck policy docs` from the controls' METADATA; do not edit by hand.",
        f"Policy set digest: `{policy_digest}`.",
        "",
        "| Control | Title | Severity | production | staging | dev | post-deploy |",
        "|---|---|---|---|---|---|---|",
    ]
    for control_id, info in catalog.items():
        stages = " | ".join(
            enforcement(info, data, s) for s in ("production", "staging", "dev", "post-deploy")
        )
        lines.append(
            f"| [{control_id}]({file_name(control_id)}) | {_cell(info['title'])} "
            f"| {info['severity']} | {stages} |"
        )
    by_framework: dict[str, dict[str, list[str]]] = {}
    for control_id, info in catalog.items():
        for key, refs in (info.get("frameworks") or {}).items():
            for ref in refs:
                by_framework.setdefault(key, {}).setdefault(str(ref), []).append(control_id)
    if by_framework:
        lines += ["", "## Framework mappings", ""]
        for key in sorted(by_framework):
            lines += [f"### {framework_name(key)}", "", "| Requirement | Controls |", "|---|---|"]
            for ref, ids in sorted(by_framework[key].items()):
                links = ", ".join(f"[{i}]({file_name(i)})" for i in ids)
                lines.append(f"| {_cell(ref)} | {links} |")
            lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def write_docs(
    catalog: dict[str, dict[str, Any]], policies: PolicySet, directory: Path
) -> list[Path]:
    """Write README.md (index and framework mappings) and one page per control."""
    from gatecheck.bundles.fsutil import atomic_write

    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise GatecheckError(f"cannot create {directory}: {exc.strerror or exc}") from None
    written = []
    pages = {"README.md": index_page(catalog, policies.data, policies.digest)}
    for control_id, info in catalog.items():
        pages[file_name(control_id)] = control_page(info, policies.data)
    for name, text in pages.items():
        path = directory / name
        try:
            atomic_write(path, text.encode("utf-8"))
        except OSError as exc:
            raise GatecheckError(f"cannot write {path}: {exc.strerror or exc}") from None
        written.append(path)
    return written
