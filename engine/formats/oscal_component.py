"""The control catalog as an OSCAL component-definition, built with compliance-trestle's models.

One component, "gatecheck policy library", with one control-implementation per framework the
controls' METADATA maps to. Each implemented-requirement is one (framework requirement,
gatecheck control) pair: its control-id is the requirement as an OSCAL control id (NIST's
catalog form for SP 800-53, ``label`` keeps the METADATA's spelling), its description the
gatecheck control's description and remediation, its props the gatecheck control id, severity
and enforcement per stage, and its set-parameters the control's parameters with the values the
policy data gives them (each one JSON text). UUIDs are uuid5 over the policy digest and the
pair, so the same policy set always gives the same document.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from gatecheck.engine.formats._oscal import (
    framework_source,
    line,
    one_value,
    oscal_control_id,
    prop,
    require_trestle,
    stable_uuid,
    validation_message,
)
from gatecheck.errors import PolicyError

COMPONENT_TITLE = "gatecheck policy library"
STAGES = ("dev", "staging", "production", "post-deploy")


def _set_parameters(info: dict[str, Any], data: dict[str, Any]) -> list[Any] | None:
    from trestle.oscal.common import SetParameter

    from gatecheck.engine.policy_docs import param_value

    out = []
    for name in info.get("params") or []:
        value = param_value(data, name)
        if value is None:
            continue  # unset: the control falls back to its own default, nothing to state
        out.append(
            SetParameter(
                param_id=name,
                values=[one_value(value)],
                remarks=f"gatecheck parameter `{name}` (policy data gatecheck.config.params, "
                "as JSON); stage profiles may override it.",
            )
        )
    return out or None


def _requirement(
    key: str, ref: str, info: dict[str, Any], data: dict[str, Any], digest: str
) -> Any:
    from trestle.oscal.component import ImplementedRequirement

    from gatecheck.engine.policy_docs import enforcement

    control = str(info["id"])
    description = " ".join(str(info.get("description") or info["title"]).split())
    remediation = " ".join(str(info.get("remediation") or "").split())
    text = f"{control}: {line(info['title'])}\n\n{description}"
    if remediation:
        text += f"\n\nRemediation: {remediation}"
    props = [
        prop("label", ref),
        prop("control-id", control),
        prop("severity", info.get("severity") or "unknown"),
        prop("package", f"gatecheck.controls.{info.get('package') or '?'}"),
    ]
    props += [prop("enforcement", enforcement(info, data, s), class_=s) for s in STAGES]
    props += [prop("evidence-type", t) for t in info.get("evidence_types") or []]
    return ImplementedRequirement(
        uuid=stable_uuid(digest, "implemented-requirement", key, ref, control),
        control_id=oscal_control_id(key, ref),
        description=text,
        props=props,
        set_parameters=_set_parameters(info, data),
    )


def build(
    catalog: dict[str, dict[str, Any]],
    data: dict[str, Any],
    policy_digest: str,
    version: str,
    modified: datetime | None = None,
) -> Any:
    """The trestle ComponentDefinition of ``catalog`` (constructing it validates it)."""
    require_trestle()
    from trestle.oscal import OSCAL_VERSION
    from trestle.oscal.common import Link, Metadata
    from trestle.oscal.component import (
        ComponentDefinition,
        ControlImplementation,
        DefinedComponent,
    )

    from gatecheck.engine.policy_docs import framework_name

    by_framework: dict[str, list[tuple[str, dict[str, Any]]]] = {}
    for _, info in sorted(catalog.items()):
        for key, refs in sorted((info.get("frameworks") or {}).items()):
            by_framework.setdefault(key, []).extend((str(ref), info) for ref in refs)
    implementations = [
        ControlImplementation(
            uuid=stable_uuid(policy_digest, "control-implementation", key),
            source=framework_source(key),
            description=f"{framework_name(key)} requirements the gatecheck controls implement, "
            "from each control's METADATA (frameworks).",
            props=[prop("framework", key)],
            implemented_requirements=[
                _requirement(key, ref, info, data, policy_digest)
                for ref, info in sorted(pairs, key=lambda p: (p[0], str(p[1]["id"])))
            ],
        )
        for key, pairs in sorted(by_framework.items())
    ]
    component = DefinedComponent(
        uuid=stable_uuid(policy_digest, "component"),
        type="software",
        title=COMPONENT_TITLE,
        description="The OPA/Rego controls gatecheck evaluates against a release's sealed "
        f"evidence bundle: {len(catalog)} controls, " + ", ".join(sorted(catalog)) + ".",
        purpose="Release gate: pass, fail or error for a release at a promotion stage.",
        props=[prop("policy-digest", policy_digest), prop("control-count", len(catalog))],
        links=[Link(href=f"urn:gatecheck:policy-set:{policy_digest}", rel="reference")],
        control_implementations=implementations or None,
    )
    return ComponentDefinition(
        uuid=stable_uuid(policy_digest, "component-definition"),
        metadata=Metadata(
            title=f"{COMPONENT_TITLE}: control catalog",
            last_modified=modified or datetime.now(UTC),
            version=version,
            oscal_version=OSCAL_VERSION,
            props=[prop("policy-digest", policy_digest)],
        ),
        components=[component],
    )


def render(
    catalog: dict[str, dict[str, Any]],
    data: dict[str, Any],
    policy_digest: str,
    version: str,
    modified: datetime | None = None,
) -> str:
    from pydantic import ValidationError

    try:
        model = build(catalog, data, policy_digest, version, modified)
    except ValidationError as exc:
        # Organisation METADATA the OSCAL schema cannot hold: one line, never a traceback.
        raise PolicyError(f"cannot write the catalog as OSCAL: {validation_message(exc)}") from None
    return model.oscal_serialize_json(pretty=True) + "\n"
