"""The built-in library implements the whole control catalog, and its reference docs are
current."""

from __future__ import annotations

import filecmp
import subprocess
import sys
from pathlib import Path

from gatecheck.engine.embedded import EmbeddedEngine
from gatecheck.engine.policy import load_policy_set
from gatecheck.engine.policy_docs import control_catalog

ROOT = Path(__file__).resolve().parent.parent

# Public contract: these IDs never change meaning.
CATALOG = (
    [f"GC-REL-{i:03}" for i in range(1, 7)]
    + [f"GC-ENV-{i:03}" for i in range(1, 6)]
    + [f"GC-ART-{i:03}" for i in range(1, 10)]
    + [f"GC-PIPE-{i:03}" for i in range(1, 6)]
    + [f"GC-CHG-{i:03}" for i in range(1, 7)]
    + [f"GC-TST-{i:03}" for i in range(1, 7)]
    + [f"GC-VER-{i:03}" for i in range(1, 5)]
    + [f"GC-RBK-{i:03}" for i in range(1, 6)]
    + ["GC-EVD-001"]
)


def test_every_catalog_control_is_implemented_once() -> None:
    catalog = control_catalog(EmbeddedEngine(), load_policy_set())
    assert sorted(catalog) == sorted(CATALOG)


def test_control_reference_docs_are_generated_from_the_current_library(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "gatecheck", "policy", "docs", "-o", str(tmp_path)],
        check=True,
        capture_output=True,
    )
    committed = ROOT / "docs" / "controls"
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == sorted(p.name for p in committed.iterdir())
    _, mismatch, errors = filecmp.cmpfiles(tmp_path, committed, names, shallow=False)
    assert not mismatch and not errors, (
        f"docs/controls is stale ({mismatch}); regenerate: gatecheck policy docs -o docs/controls"
    )
