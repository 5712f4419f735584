"""``gatecheck explain CONTROL``: what a control checks, and with a bundle why it passed or
failed there."""

from __future__ import annotations

import json
import sys
import textwrap
from pathlib import Path
from typing import Any

import click

from gatecheck.cli.common import engine_options, handle_errors, make_engine_from, policy_set_options
from gatecheck.cli.config_cmd import apply_settings

STAGES = ("dev", "staging", "production", "post-deploy")


def _wrap(text: str, indent: str = "  ") -> list[str]:
    return textwrap.wrap(
        " ".join(str(text).split()), width=96, initial_indent=indent, subsequent_indent=indent
    ) or [indent.rstrip()]


def _documentation(ex: Any) -> list[str]:
    from gatecheck.engine.policy_docs import framework_name

    info = ex.info
    lines = [f"{info['id']}: {info['title']}", f"  severity: {info['severity']}"]
    lines.append(
        "  enforcement: " + ", ".join(f"{stage} {level}" for stage, level in ex.enforcement.items())
    )
    if info.get("description"):
        lines += [""] + _wrap(info["description"])
    if info.get("evidence_types"):
        lines += ["", f"  reads evidence: {', '.join(info['evidence_types'])}"]
    if ex.params:
        where = f"at stage {ex.stage}" if ex.stage else "defaults"
        lines.append(f"  parameters ({where}):")
        for name, value in ex.params.items():
            shown = json.dumps(value, ensure_ascii=False) if value is not None else "(unset)"
            lines.append(f"    {name} = {shown}")
    if info.get("remediation"):
        lines += ["", "  remediation:"] + _wrap(info["remediation"], "    ")
    frameworks = info.get("frameworks") or {}
    if frameworks:
        lines += ["", "  frameworks:"]
        lines += [
            f"    {framework_name(k)}: {', '.join(map(str, v))}"
            for k, v in sorted(frameworks.items())
        ]
    return lines


def _why(ex: Any) -> list[str]:
    report = ex.report or {}
    lines = ["", f"At stage {ex.stage}, effective {report.get('effective_time')}:"]
    if report.get("decision") == "error":
        return lines + [f"  the evaluation could not be completed: {report.get('error')}"]
    result = ex.result
    if result is None:
        return lines + [
            f"  not evaluated: {ex.info['id']} is off at this stage "
            f"(enforcement {ex.enforcement.get(ex.stage or '', 'off')})"
        ]
    status = result["status"]
    reason = {
        "pass": "no rule of the control found a violation in the evidence below",
        "fail": "enforced here, and these violations were found",
        "warn": "found these problems; they are advisory here and do not block",
        "waived": "every violation is covered by a valid waiver",
        "not_applicable": "its precondition does not hold",
    }.get(status, "")
    lines.append(f"  {status.upper()} ({result.get('enforcement')}): {reason}")
    for message in result.get("messages") or []:
        lines += _wrap(f"- {message}", "    ")
    if ex.cited:
        lines.append("  cited evidence:")
        for cited in ex.cited:
            where = f"{cited.path}#{cited.pointer}" if cited.pointer else cited.path
            lines.append(f"    {where}")
            if cited.found:
                lines.append(f"      = {cited.short()}")
            elif cited.note:
                lines.append(f"      ({cited.note})")
    lines.append(
        "  inputs the control reads:"
        if ex.inputs
        else "  inputs: none of the types the control reads is in the bundle"
    )
    for entry in ex.inputs:
        lines.append(
            f"    {entry.get('type')}  {entry.get('path')}  {entry.get('format')}  "
            f"sha256:{entry.get('sha256')}"
        )
    return lines


@click.command()
@click.argument("control")
@click.option(
    "--bundle",
    "bundle_path",
    type=click.Path(path_type=Path),
    help="Evaluate this bundle and explain the control's result for it.",
)
@click.option(
    "--stage",
    type=click.Choice(STAGES),
    envvar="GATECHECK_STAGE",
    help="Stage whose profile applies (required with --bundle).",
)
@policy_set_options
@click.option("--at", metavar="RFC3339", help="Effective time (default: now).")
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@engine_options
@handle_errors
@apply_settings
def explain(
    control: str,
    bundle_path: Path | None,
    stage: str | None,
    policy_dirs: tuple[Path, ...],
    data_files: tuple[Path, ...],
    config_file: Path | None,
    at: str | None,
    fmt: str,
    **engine_opts: object,
) -> None:
    """Show what CONTROL checks (from its METADATA); with --bundle and --stage, also why it
    passed or failed for that bundle and the evidence values it cites."""
    from gatecheck.engine.config import load_config
    from gatecheck.engine.evaluate import EvaluationRequest
    from gatecheck.engine.explain import explain as run
    from gatecheck.errors import UsageError
    from gatecheck.timeutil import parse_rfc3339

    if bundle_path is not None and not stage:
        raise UsageError("--bundle needs --stage (or GATECHECK_STAGE)")
    config, config_dir = load_config(config_file)
    request = EvaluationRequest(
        bundle=bundle_path or Path(),
        stage=stage or "",
        effective=parse_rfc3339(at, what="--at") if at else None,
        policy_dirs=list(policy_dirs),
        data_files=list(data_files),
        config=config,
        config_dir=config_dir,
    )
    ex = run(control, make_engine_from(engine_opts), request, with_bundle=bundle_path is not None)
    if fmt == "json":
        sys.stdout.write(json.dumps(ex.as_dict(), indent=2, ensure_ascii=False, default=str) + "\n")
    else:
        lines = _documentation(ex)
        if ex.report is not None:
            lines += _why(ex)
        click.echo("\n".join(lines))
    if ex.report is not None and ex.report.get("decision") == "error":
        sys.exit(2)
