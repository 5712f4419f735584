"""``gatecheck bundle``: create, fill, seal, verify and pack evidence bundles."""

from __future__ import annotations

import re
from pathlib import Path

import click

from gatecheck.cli.common import fail, handle_errors

_RELEASE_RE = re.compile(r"^(?P<name>[^@\s]+)@(?P<version>\S+)$")
# sha512 too: npm names packages by it. The name may hold "@" (npm scopes: @acme/ui).
_ARTIFACT_RE = re.compile(
    r"^(?P<name>\S+)@(?P<digest>sha256:[0-9a-fA-F]{64}|sha512:[0-9a-fA-F]{128})$"
)


@click.group()
def bundle() -> None:
    """Create, fill, seal, verify and pack evidence bundles."""


@bundle.command()
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option("--release", "release_ref", required=True, metavar="NAME@VERSION")
@click.option("--class", "release_class", type=click.Choice(["standard", "major", "emergency"]))
@click.option(
    "--artifact",
    "artifacts",
    multiple=True,
    metavar="NAME@sha256:HEX",
    help="An artifact of the release, pinned by digest: NAME@sha256:HEX or, e.g. for npm, "
    "NAME@sha512:HEX (repeatable).",
)
@click.option(
    "--manifest",
    "manifest_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Start from a release manifest file (JSON or YAML).",
)
@handle_errors
def init(
    directory: Path,
    release_ref: str,
    release_class: str | None,
    artifacts: tuple[str, ...],
    manifest_file: Path | None,
) -> None:
    """Create a draft bundle with its release manifest."""
    from gatecheck.bundles.store import init_bundle

    match = _RELEASE_RE.match(release_ref)
    if not match:
        fail(f"--release {release_ref!r} must be NAME@VERSION, e.g. payments-api@1.4.0")
    specs = []
    for artifact in artifacts:
        am = _ARTIFACT_RE.match(artifact)
        if not am:
            fail(
                f"--artifact {artifact!r} must be NAME@sha256:<64 hex digits> "
                "or NAME@sha512:<128 hex digits>"
            )
        specs.append(
            {"name": am["name"], "version": match["version"], "digest": am["digest"].lower()}
        )
    init_bundle(
        directory,
        match["name"],
        match["version"],
        release_class=release_class,
        artifacts=specs,
        manifest_file=manifest_file,
    )
    click.echo(f"created draft bundle {directory} for {match['name']}@{match['version']}")


@bundle.command()
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--type", "family", help="Evidence type (default: detected from the content).")
@click.option(
    "--label",
    "labels",
    multiple=True,
    metavar="KEY=VALUE",
    help="Label recorded with the evidence, e.g. kind=unit for test results.",
)
@click.option(
    "--kind",
    help="Shorthand for --label kind=KIND (test suite kind: unit, integration, smoke, uat).",
)
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="Say who vouched for each file, judged against this configuration's trust policy.",
)
@handle_errors
def add(
    directory: Path,
    files: tuple[Path, ...],
    family: str | None,
    labels: tuple[str, ...],
    kind: str | None,
    config_path: Path | None,
) -> None:
    """Copy evidence files into a draft bundle (all or nothing).

    With --config, each file is also judged against the trust policy: the producer that
    vouched for it, or why nobody did (the gate judges again at evaluate)."""
    from gatecheck.bundles.store import add_evidence

    parsed: dict[str, str] = {}
    for label in labels:
        key, sep, value = label.partition("=")
        if not sep or not key:
            fail(f"--label {label!r} must be KEY=VALUE")
        parsed[key] = value
    if kind:
        parsed["kind"] = kind
    results = add_evidence(directory, list(files), family=family, labels=parsed)
    verdicts = _vouched(directory, [a.entry for a in results], config_path)
    for added in results:
        entry = added.entry
        tool = (
            f" by {entry.tool.name}"
            + (f" {entry.tool.version}" if entry.tool and entry.tool.version else "")
            if entry.tool
            else ""
        )
        note = f" (replaces {added.replaced})" if added.replaced else ""
        click.echo(
            f"added {entry.source_name} as {entry.type}/{entry.format}{tool} -> {entry.path}{note}"
        )
        if added.warning:
            click.echo(added.warning[:500], err=True)
        verdict = verdicts.get(entry.path)
        if verdict is not None and verdict.authenticated:
            who = f" ({verdict.identity})" if verdict.identity else ""
            click.echo(f"  vouched for by {verdict.producer}{who}")
        elif verdict is not None:
            click.echo(f"gatecheck: warning: {entry.source_name}: {verdict.reason}", err=True)


def _vouched(directory: Path, entries: list, config_path: Path | None) -> dict:
    """Verdicts by bundle path, when a configuration with a trust policy is given."""
    if config_path is None:
        return {}
    from gatecheck.engine.authenticity import judge_bundle_entries
    from gatecheck.engine.config import load_config
    from gatecheck.timeutil import now_utc

    config, base = load_config(config_path)
    trust = config.resolved_trust(base)
    verdicts = judge_bundle_entries(directory, entries, trust, now_utc())
    return {v.path: v for v in verdicts}


@bundle.command()
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@handle_errors
def seal(directory: Path) -> None:
    """Fix the manifest and record its digest; a sealed bundle refuses changes."""
    from gatecheck.bundles.store import seal_bundle

    manifest = seal_bundle(directory)
    click.echo(
        f"sealed {directory}: {len(manifest.evidence)} evidence files, digest {manifest.digest}"
    )


@bundle.command()
@click.argument("bundle_path", metavar="BUNDLE", type=click.Path(path_type=Path))
@handle_errors
def verify(bundle_path: Path) -> None:
    """Re-hash a sealed bundle (directory or .tar.gz); exit 2 naming any change."""
    from gatecheck.bundles.archive import OpenedBundle

    with OpenedBundle(bundle_path) as opened:
        manifest = opened.manifest
    click.echo(
        f"verified {bundle_path}: {manifest.release.name}@{manifest.release.version}, "
        f"{len(manifest.evidence)} evidence files, digest {manifest.digest}"
    )


@bundle.command()
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path))
@handle_errors
def pack(directory: Path, output: Path) -> None:
    """Write a sealed bundle as a deterministic .tar.gz."""
    from gatecheck.bundles.archive import pack_bundle

    if not output.name.endswith((".tar.gz", ".tgz")):
        fail(f"{output}: the archive name must end in .tar.gz")
    digest = pack_bundle(directory, output)
    click.echo(f"packed {directory} -> {output} (manifest digest {digest})")
