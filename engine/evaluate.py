"""One evaluation, end to end: verify the bundle, build the input, run OPA, apply waivers,
decide, report. Every failure along the way becomes decision ``error``; nothing here can
turn an incomplete evaluation into a pass."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gatecheck.engine.config import Config
from gatecheck.engine.interface import REPORT_QUERY, Engine
from gatecheck.engine.policy import PolicySet, load_policy_set
from gatecheck.engine.weakening import Sources, Weakening
from gatecheck.errors import ConfigError, GatecheckError
from gatecheck.timeutil import format_rfc3339, now_utc

if TYPE_CHECKING:
    from gatecheck.engine.authenticity import Authenticator


@dataclass
class EvaluationRequest:
    bundle: Path
    stage: str
    effective: datetime | None = None
    policy_dirs: list[Path] = field(default_factory=list)
    data_files: list[Path] = field(default_factory=list)
    config: Config = field(default_factory=Config)
    config_dir: Path = field(default_factory=Path.cwd)
    sources: Sources = field(default_factory=Sources)
    """Where the config and data came from, named in the report's ``weakened`` items."""
    policies: PolicySet | None = None
    """The policy set of these directories, data files and configuration, already loaded
    (policy impact evaluates many bundles under one snapshot of its candidate); None: load it."""


@dataclass
class Phases:
    """Wall time per phase in seconds (for benchmarks and --verbose)."""

    timings: dict[str, float] = field(default_factory=dict)


def load_policies(request: EvaluationRequest) -> PolicySet:
    return load_policy_set(
        request.policy_dirs,
        request.data_files,
        request.config.data_overlay(request.config_dir),
        bindings=request.config.bindings(request.config_dir),
    )


def authenticator_for(
    request: EvaluationRequest, policies: PolicySet, effective: datetime
) -> Authenticator:
    from gatecheck.engine.authenticity import REQUIRE_PARAM, Authenticator, stage_param

    required = stage_param(policies.data, request.stage, REQUIRE_PARAM, False)
    if not isinstance(required, bool):
        raise ConfigError(f"parameter {REQUIRE_PARAM} must be true or false, not {required!r}")
    return Authenticator(
        request.config.resolved_trust(request.config_dir), required=required, effective=effective
    )


def evaluate(
    request: EvaluationRequest, engine: Engine, phases: Phases | None = None
) -> dict[str, Any]:
    """The report for ``request``; decision ``error`` (with ``error``) when anything fails."""
    engine.warm(request.policy_dirs)  # the embedded engine's worker starts while they load
    try:
        return _evaluate(request, engine, phases)
    finally:
        engine.close()


def _evaluate(request: EvaluationRequest, engine: Engine, phases: Phases | None) -> dict[str, Any]:
    import contextlib
    import time

    from gatecheck.engine.report import build_report
    from gatecheck.engine.waivers import WaiverRules

    phases = phases or Phases()
    effective = request.effective or now_utc()
    context: dict[str, Any] = {
        "stage": request.stage,
        "effective_time": format_rfc3339(effective),
    }

    def mark(name: str, start: float) -> float:
        now = time.perf_counter()
        phases.timings[name] = phases.timings.get(name, 0.0) + now - start
        return now

    try:
        t = time.perf_counter()
        policies = request.policies if request.policies is not None else load_policies(request)
        context["policy"] = {
            "digest": policies.digest,
            "files": policies.files,
            "bindings": policies.bindings,
            "parts": policies.parts(),
        }
        weakening = Weakening.of(policies, request)
        context["config_sources"] = weakening.config_sources
        context["weakened"] = weakening.params()
        rules = WaiverRules.of(
            request.config.resolved_trust(request.config_dir), policies.data, request.stage
        )
        for waiver in request.config.waivers:
            rules.check(waiver)  # before any evidence is read: a bad waiver is a config error
        pending = engine.start(policies, REPORT_QUERY)  # compiles while evidence is read
        t = mark("policies", t)
        with contextlib.ExitStack() as cleanup:
            cleanup.callback(pending.cancel)
            # Imported once the worker has the policies: it compiles meanwhile.
            from gatecheck.bundles.archive import OpenedBundle
            from gatecheck.engine.decision import decide
            from gatecheck.engine.inputdoc import build_input
            from gatecheck.engine.waivers import WaiverBook

            opened = cleanup.enter_context(OpenedBundle(request.bundle))
            manifest = opened.manifest
            context["bundle"] = {
                "digest": manifest.digest,
                "evidence": [
                    {"path": e.path, "type": e.type, "format": e.format, "sha256": e.sha256}
                    for e in manifest.evidence
                ],
            }
            t = mark("verify", t)
            input_doc = build_input(
                opened.root,
                manifest,
                stage=request.stage,
                effective=effective,
                evidence_config=request.config.evidence_config(request.config_dir),
                authenticator=authenticator_for(request, policies, effective),
            )
            context["authenticity"] = input_doc["authenticity"]
            context["release"] = input_doc["release"]
            t = mark("normalize", t)
            context["engine"] = engine.info().as_dict()
            raw = pending.finish(input_doc)
            t = mark("evaluate", t)
        book = WaiverBook.at(request.config.waivers, effective, input_doc["release"], rules)
        rollback = policies.data.get("gatecheck", {}).get("config", {}).get("rollback_controls", [])
        outcome = decide(raw, stage=request.stage, waivers=book, rollback_controls=rollback)
        context["weakened"] = weakening.enforcement(raw["controls"]) + context["weakened"]
        weakening.require_enforced(raw["controls"])
        report = build_report(
            decision=outcome.decision,
            created_at=format_rfc3339(now_utc()),
            results=outcome.results,
            summary=outcome.summary,
            waivers=book.report(),
            disabled=outcome.disabled,
            auto_approved=outcome.auto_approved,
            **context,
        )
        mark("decide", t)
        return report
    except GatecheckError as exc:
        return build_report(
            decision="error",
            created_at=format_rfc3339(now_utc()),
            error=exc.diagnostics(),
            **context,
        )
    except Exception as exc:  # noqa: BLE001 - fail closed: a bug must end in error, not a crash
        # e.g. an engine answer that is not UTF-8, a parser tripping over hostile content that
        # slipped past its guard. The report still says error and names the failure.
        import os

        if os.environ.get("GATECHECK_DEBUG"):
            raise
        detail = " ".join(str(exc).split())[:300]
        return build_report(
            decision="error",
            created_at=format_rfc3339(now_utc()),
            error=f"internal error: {type(exc).__name__}: {detail} "
            "(set GATECHECK_DEBUG=1 for a traceback)",
            **context,
        )
