"""A configuration checked as ``gatecheck evaluate`` would check it, before a pipeline does.

Every rule is the evaluation's own, called here rather than restated: the configuration
model, the trust policy and its keys, the trusted keys and Sigstore roots, the policy set with
the configuration's overlay, the parameters evaluate reads per stage
(``WaiverRules.of``, ``authenticator_for``) and every waiver's rules (``WaiverRules.check``).
What stops evaluate is an error. What evaluate accepts but ignores is a warning: a waiver
expired or not yet granted at the effective time, and one for a control that no policy of
the set declares (it matches no result, so evaluate lists it as unused).

Unlike evaluate, the check goes on past a problem, so one run lists them all; only a problem
that leaves nothing to check further (a model error, an unreadable trust policy, a policy
set that does not load) ends it early. A waiver is named by its first failing rule, the one
evaluate would report.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from gatecheck.engine.config import STAGES, Waiver, read_config
from gatecheck.engine.policy import PolicySet
from gatecheck.errors import GatecheckError
from gatecheck.timeutil import format_rfc3339

ERROR, WARNING = "error", "warning"
# Control ID -> its METADATA, for the policy set (engine/policy_docs.py control_catalog).
Catalog = Callable[[PolicySet], dict[str, Any]]


@dataclass(frozen=True)
class Problem:
    severity: str
    """``error`` (evaluate would end in error) or ``warning`` (evaluate goes on)."""
    message: str
    """One line, naming the waiver, parameter or file."""
    waiver: str | None = None
    """The waiver's id, when the problem is one waiver's and it has one."""
    control: str | None = None
    """The waived control, for a waiver's problem."""
    stages: tuple[str, ...] = ()
    """The checked stages it arises at; empty when the stage does not matter."""
    order: int = field(default=-1, compare=False)
    """The waiver's place in the configuration (-1: the configuration's own): listing order."""

    def as_dict(self) -> dict[str, Any]:
        return {
            "severity": self.severity,
            "waiver": self.waiver,
            "control": self.control,
            "stages": list(self.stages),
            "message": self.message,
        }


@dataclass
class ConfigCheck:
    at: datetime
    """The effective time waivers were judged at."""
    stages: tuple[str, ...]
    problems: list[Problem] = field(default_factory=list)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == ERROR]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == WARNING]

    def as_dict(self) -> dict[str, Any]:
        return {
            "at": format_rfc3339(self.at),
            "stages": list(self.stages),
            "errors": len(self.errors),
            "warnings": len(self.warnings),
            "problems": [p.as_dict() for p in self.problems],
        }

    def add(
        self,
        severity: str,
        message: str,
        waiver: tuple[int, Waiver] | None = None,
        stage: str | None = None,
    ) -> None:
        """Record a problem once; the same one at another stage only adds that stage.
        ``waiver``: the waiver's place in the configuration and the waiver."""
        order, about = waiver or (-1, None)
        found = Problem(
            severity,
            " ".join(message.split()),
            about.id if about else None,
            about.control if about else None,
            (stage,) if stage else (),
            order,
        )
        for index, known in enumerate(self.problems):
            if (known.severity, known.message, known.waiver) == (
                found.severity,
                found.message,
                found.waiver,
            ):
                stages = (*known.stages, stage) if stage else known.stages
                self.problems[index] = replace(known, stages=stages)
                return
        self.problems.append(found)


def check_config(
    config_file: Path | None,
    *,
    at: datetime,
    stages: tuple[str, ...] = STAGES,
    policy_dirs: list[Path] | None = None,
    data_files: list[Path] | None = None,
    catalog: Catalog | None = None,
) -> ConfigCheck:
    """Every problem ``gatecheck evaluate --config CONFIG_FILE`` would meet at ``stages`` and
    time ``at``, before any evidence is read. ``catalog`` (when given) reads the policy set's
    control IDs, against which waived controls are checked. A file that cannot be read or
    parsed raises ConfigError, as it does for evaluate."""
    result = ConfigCheck(at, tuple(stages))
    config, config_dir, model_problems = read_config(config_file)
    for message in model_problems:
        result.add(ERROR, message)
    if config is None:
        return result
    try:
        trust = config.resolved_trust(config_dir)
    except GatecheckError as exc:
        result.add(ERROR, exc.diagnostics())
        return result  # the overlay, approvers and key ids all come from it
    try:
        config.bindings(config_dir)  # trusted_keys and Sigstore roots, read as evaluate reads them
    except GatecheckError as exc:
        result.add(ERROR, exc.diagnostics())
    from gatecheck.engine.evaluate import EvaluationRequest, authenticator_for
    from gatecheck.engine.policy import load_policy_set
    from gatecheck.engine.waivers import WaiverRules

    try:
        policies = load_policy_set(
            policy_dirs or [], data_files or [], config.data_overlay(config_dir)
        )
    except GatecheckError as exc:
        result.add(ERROR, exc.diagnostics())
        return result  # parameters and waiver rules are read from its data
    for stage in stages:
        request = EvaluationRequest(
            bundle=Path(), stage=stage, config=config, config_dir=config_dir
        )
        try:
            authenticator_for(request, policies, at)
        except GatecheckError as exc:
            result.add(ERROR, exc.diagnostics(), stage=stage)
        try:
            rules = WaiverRules.of(trust, policies.data, stage)
        except GatecheckError as exc:
            result.add(ERROR, exc.diagnostics(), stage=stage)
            continue
        for waiver in enumerate(config.waivers):
            try:
                rules.check(waiver[1])
            except GatecheckError as exc:
                result.add(ERROR, exc.diagnostics(), waiver, stage)
    _check_times(result, config.waivers, at)
    if catalog is not None and config.waivers:
        _check_controls(result, config.waivers, policies, catalog)
    # Errors first; within each, the configuration's own, then each waiver in file order.
    result.problems.sort(key=lambda p: (p.severity != ERROR, p.order))
    return result


def _check_times(result: ConfigCheck, waivers: list[Waiver], at: datetime) -> None:
    """A waiver expired or not yet granted at ``at`` has no effect (WaiverBook.at)."""
    from gatecheck.engine.waivers import EXPIRED, PENDING, waiver_state

    when = format_rfc3339(at)
    for index, waiver in enumerate(waivers):
        try:
            state = waiver_state(waiver, at)
        except GatecheckError:
            continue  # an unreadable time is the waiver's error already
        if state == PENDING:
            result.add(
                WARNING,
                f"{waiver.label}: granted {waiver.granted}, after {when}: it waives nothing "
                "until then (evaluate lists it as unused)",
                (index, waiver),
            )
        elif state == EXPIRED:
            result.add(
                WARNING,
                f"{waiver.label}: expired {waiver.expires} (before {when}): evaluate ignores "
                "it and lists it as expired",
                (index, waiver),
            )


def _check_controls(
    result: ConfigCheck, waivers: list[Waiver], policies: PolicySet, catalog: Catalog
) -> None:
    """A waiver matches results by exact control ID; one the set lacks can waive nothing."""
    try:
        known = catalog(policies)
    except GatecheckError as exc:
        result.add(WARNING, f"waived controls not checked: {exc.diagnostics()}")
        return
    for index, waiver in enumerate(waivers):
        if waiver.control in known:
            continue
        close = difflib.get_close_matches(waiver.control.upper(), list(known), n=3, cutoff=0.6)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        result.add(
            WARNING,
            f"{waiver.label}: control {waiver.control!r} is not in the policy set, so the "
            f"waiver can waive nothing (evaluate lists it as unused){hint}",
            (index, waiver),
        )
