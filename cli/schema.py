"""``gatecheck schema TYPE``: the JSON Schema of the bundle manifest and each record type."""

from __future__ import annotations

import json

import click


def _schemas() -> dict[str, type]:
    from gatecheck.bundles.manifest import BundleManifest
    from gatecheck.evidence.records import RECORD_TYPES

    return {"bundle-manifest": BundleManifest, **RECORD_TYPES}


@click.command()
@click.argument("type_name", metavar="TYPE", required=False)
def schema(type_name: str | None) -> None:
    """Print the JSON Schema of TYPE (without TYPE: list the types)."""
    schemas = _schemas()
    if type_name is None:
        click.echo("\n".join(sorted(schemas)))
        return
    model = schemas.get(type_name)
    if model is None:
        click.echo(
            f"gatecheck: error: unknown type {type_name!r}; known: {', '.join(sorted(schemas))}",
            err=True,
        )
        raise SystemExit(2)
    click.echo(json.dumps(model.model_json_schema(by_alias=True), indent=2, sort_keys=True))
