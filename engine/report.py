"""The compliance report: everything an auditor needs to check and replay a decision."""

from __future__ import annotations

from typing import Any

from gatecheck import __version__

REPORT_TYPE = "https://gatecheck.dev/report/v1"


def release_summary(release: dict[str, Any] | None) -> dict[str, Any] | None:
    if not release:
        return None
    return {
        "name": release.get("name"),
        "version": release.get("version"),
        "class": release.get("class"),
        "risk": release.get("risk"),
        "change_id": release.get("change_id"),
        "artifacts": [
            {"name": a.get("name"), "version": a.get("version"), "digest": a.get("digest")}
            for a in release.get("artifacts") or []
        ],
    }


def build_report(
    *,
    decision: str,
    stage: str,
    effective_time: str,
    created_at: str,
    release: dict[str, Any] | None = None,
    bundle: dict[str, Any] | None = None,
    policy: dict[str, Any] | None = None,
    engine: dict[str, Any] | None = None,
    results: list[dict[str, Any]] | None = None,
    summary: dict[str, int] | None = None,
    waivers: dict[str, list[dict[str, Any]]] | None = None,
    disabled: list[str] | None = None,
    auto_approved: bool = False,
    authenticity: dict[str, Any] | None = None,
    error: str | None = None,
    weakened: list[dict[str, Any]] | None = None,
    config_sources: list[str] | None = None,
) -> dict[str, Any]:
    return {
        "report_type": REPORT_TYPE,
        "gatecheck_version": __version__,
        "decision": decision,
        "auto_approved": auto_approved,
        "stage": stage,
        "effective_time": effective_time,
        "created_at": created_at,
        "release": release_summary(release),
        "bundle_digest": (bundle or {}).get("digest"),
        "bundle": bundle,
        "policy_digest": (policy or {}).get("digest"),
        "policy": policy,
        "engine": engine,
        "results": results or [],
        "summary": summary or {},
        "waivers": waivers or {"applied": [], "expired": [], "unused": []},
        "disabled_controls": disabled or [],
        "authenticity": authenticity,
        "error": error,
        # What the effective policy data relaxes at this stage against the library defaults,
        # and the files, variables and flags that supplied configuration (engine/weakening.py).
        "weakened": weakened or [],
        "config_sources": config_sources or [],
    }
