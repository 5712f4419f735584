"""GC-ENV-001 through ``gatecheck evaluate``: a masking attestation that lists no fields fails;
a classification written ``pii `` or ``PII`` is ``pii``; environments are classified by the
``environments`` policy data, not by how they are spelt.

Inputs: the gatecheck records in tests/data/governance (a data-clone list and a masking
attestation), changed as a careless or hostile producer would write them.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml
from helpers import make_bundle, run_gatecheck

DATA = Path(__file__).parent / "data" / "governance"
AT = "2026-03-04T12:00:00Z"


def masking(**changes: Any) -> dict[str, Any]:
    record = yaml.safe_load((DATA / "masking-attestation.yaml").read_text(encoding="utf-8"))
    record.update(changes)
    return record


def clones(**changes: Any) -> dict[str, Any]:
    record = json.loads((DATA / "data-clones.json").read_text(encoding="utf-8"))
    record["clones"] = [{**record["clones"][0], **changes}]
    return record


def env_001(tmp_path: Path, clone_list: dict[str, Any], attestation: dict[str, Any]) -> Any:
    files = []
    for name, record in (("clones.json", clone_list), ("masking.yaml", attestation)):
        path = tmp_path / name
        path.write_text(json.dumps(record, default=str), encoding="utf-8")
        files.append(path)
    bundle = make_bundle(tmp_path / "bundle", files)
    proc = run_gatecheck(
        "evaluate", str(bundle), "--stage", "staging", "--at", AT, "--format", "json"
    )
    assert proc.returncode in (0, 1), proc.stderr
    report = json.loads(proc.stdout)
    return next(r for r in report["results"] if r["control"] == "GC-ENV-001")


def test_the_recorded_clone_and_its_attestation_pass(tmp_path: Path) -> None:
    assert env_001(tmp_path, clones(), masking())["status"] == "pass"


def test_masking_attestation_listing_no_fields_fails(tmp_path: Path) -> None:
    result = env_001(tmp_path, clones(), masking(fields=[]))
    assert result["status"] == "fail"
    assert any("lists no fields" in m for m in result["messages"]), result


def test_classification_with_a_trailing_space_is_still_pii(tmp_path: Path) -> None:
    fields = masking()["fields"] + [{"name": "phone", "classification": "pii ", "masked": False}]
    result = env_001(tmp_path, clones(), masking(fields=fields))
    assert result["status"] == "fail"
    assert any("field phone (pii ) is not masked" in m for m in result["messages"]), result


def test_environment_spelt_otherwise_is_classified_through_policy_data(tmp_path: Path) -> None:
    """The adversary renames production "Prod-EU": unclassified, so the control fails
    rather than reading the copy as non-production."""
    result = env_001(
        tmp_path,
        clones(**{"from": "Prod-EU"}),
        masking(source_environment="Prod-EU", fields=[]),
    )
    assert result["status"] == "fail"
    assert any(
        'environment "Prod-EU"' in m and "has no class in the environments parameter" in m
        for m in result["messages"]
    ), result
