"""Evaluates one built-in control on normalized evidence with the embedded OPA, so the tests
can show what the shipped policies decide on the evidence the real tools produced.

Only the control's own package, the helper library and the default data are loaded, so the
result depends on nothing else in the library.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Any

from gatecheck.engine.embedded import EmbeddedEngine
from gatecheck.engine.policy import builtin_root, load_policy_set

EFFECTIVE = "2026-01-31T12:00:00Z"
EFFECTIVE_NS = 1769860800000000000
POLICY_FILES = ("lib/controls.rego", "data.json", "testing/test_results_params.json")


def evidence_item(facts: dict[str, Any], name: str, fmt: str, **labels: str) -> dict[str, Any]:
    """Parser facts with the source, tool and labels the framework adds around them."""
    source = {
        "path": f"evidence/{name}",
        "sha256": "0" * 64,
        "format": fmt,
        "name": name,
        "added_at": EFFECTIVE,
    }
    return {**facts, "source": source, "tool": None, "labels": labels}


def evaluate(
    control: str, evidence: dict[str, list[dict[str, Any]]], params: dict[str, Any] | None = None
) -> dict[str, Any]:
    """``data.gatecheck.controls.<control>`` for a production release of one artifact."""
    doc = {
        "stage": "production",
        "effective_time": EFFECTIVE,
        "effective_time_ns": EFFECTIVE_NS,
        "release": {
            "name": "ledger",
            "version": "1.0.0",
            "artifacts": [{"name": "ledger", "version": "1.0.0", "digest": "sha256:" + "a" * 64}],
            "source": {"path": "evidence/release.json"},
        },
        "bundle": {"digest": "sha256:" + "b" * 64, "evidence": []},
        "evidence": evidence,
    }
    overlay = {"gatecheck": {"config": {"params": params}}} if params else None
    with tempfile.TemporaryDirectory() as tmp:
        for rel in (*POLICY_FILES, f"testing/{control}.rego"):
            target = Path(tmp, rel)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(builtin_root() / rel, target)
        policies = load_policy_set([Path(tmp)], overlay=overlay, include_builtin=False)
    return EmbeddedEngine().evaluate(policies, doc, f"gatecheck.controls.{control}")
