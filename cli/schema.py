"""``gatecheck schema TYPE``: the JSON Schema of the bundle manifest, the configuration (with
its trust policy) and each record type; ``--facts``: of the facts each record type and each
tool-format family (sbom, vulnerability-scan, sast, ...) becomes in the policy input."""

from __future__ import annotations

import json
from typing import Any

import click

from gatecheck.errors import UsageError

JSON_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"


def _schemas() -> dict[str, type]:
    from gatecheck.bundles.manifest import BundleManifest
    from gatecheck.engine.config import Config
    from gatecheck.evidence.records.models import RECORD_TYPES

    return {"bundle-manifest": BundleManifest, "config": Config, **RECORD_TYPES}


def json_schema(type_name: str, *, facts: bool = False) -> dict[str, Any]:
    """The published schema of ``type_name``, with its dialect and a stable ``$id``; with
    ``facts``, the schema of the facts a record type or evidence family becomes in the policy
    input."""
    if facts:
        from gatecheck.evidence.facts_schemas import facts_schemas

        known = facts_schemas()
        if type_name not in known:
            raise UsageError(
                f"no facts schema for {type_name!r}; known: {', '.join(sorted(known))}"
            )
        body = known[type_name]
        return {
            "$schema": JSON_SCHEMA_DIALECT,
            "$id": f"https://gatecheck.dev/{type_name}/facts/v1",
            **body,
        }
    schemas = _schemas()
    model = schemas.get(type_name)
    if model is None:
        raise UsageError(f"unknown type {type_name!r}; known: {', '.join(sorted(schemas))}")
    # by_alias: files use the wire names (apiVersion, class, from, type), not Python's.
    body = model.model_json_schema(by_alias=True)
    return {"$schema": JSON_SCHEMA_DIALECT, "$id": f"https://gatecheck.dev/{type_name}/v1", **body}


@click.command()
@click.argument("type_name", metavar="TYPE", required=False)
@click.option(
    "--facts",
    is_flag=True,
    help="The schema of the facts a record type or evidence family (sbom, sast, ...) becomes "
    "in the policy input (every field present, null when absent) instead of the file's schema.",
)
def schema(type_name: str | None, facts: bool) -> None:
    """Print the JSON Schema of TYPE (without TYPE: list the types)."""
    if type_name is None:
        if facts:
            from gatecheck.evidence.facts_schemas import facts_schemas

            click.echo("\n".join(sorted(facts_schemas())))
        else:
            click.echo("\n".join(sorted(_schemas())))
        return
    click.echo(json.dumps(json_schema(type_name, facts=facts), indent=2, sort_keys=True))
