"""``bundle add`` says on stderr, in one line, when it stores an SBOM it already knows
GC-ART-003 will fail (schema-invalid, or a spec version gatecheck does not support), so the
user learns it when adding the file, not at the gate. Inputs: real SBOMs from tests/data/sbom
(sources in tests/data/SOURCES.md), changed the way a wrong producer setting would."""

from __future__ import annotations

import json
from pathlib import Path

from helpers import run_gatecheck

DATA = Path(__file__).parent / "data" / "sbom"
TRIVY_CDX = DATA / "cdx-1.6-trivy-npm-with-vulnerabilities.json"
LARAVEL_XML = DATA / "cdx-1.4-laravel-7.12.0-cyclonedx-php-composer.xml"


def draft(tmp_path: Path) -> Path:
    root = tmp_path / "bundle"
    assert run_gatecheck("bundle", "init", str(root), "--release", "x@1.0.0").returncode == 0
    return root


def add(root: Path, path: Path) -> tuple[int, str, str]:
    proc = run_gatecheck("bundle", "add", str(root), str(path))
    return proc.returncode, proc.stdout, proc.stderr


def test_a_valid_sbom_is_added_without_a_warning(tmp_path: Path) -> None:
    code, stdout, stderr = add(draft(tmp_path), TRIVY_CDX)
    assert code == 0 and "as sbom/cyclonedx-json" in stdout
    assert stderr == ""


def test_an_unsupported_spec_version_is_stored_with_one_warning_line(tmp_path: Path) -> None:
    bom = json.loads(TRIVY_CDX.read_text(encoding="utf-8"))
    bom["specVersion"] = "1.3"
    path = tmp_path / "bom-1.3.json"
    path.write_text(json.dumps(bom), encoding="utf-8")
    root = draft(tmp_path)
    code, stdout, stderr = add(root, path)
    assert code == 0 and "as sbom/cyclonedx-json" in stdout
    assert stderr.count("\n") == 1
    assert stderr.startswith("warning: bom-1.3.json: stored, but this SBOM is invalid: ")
    assert "'1.3' is not supported (supported: 1.4, 1.5, 1.6)" in stderr
    assert "GC-ART-003 will fail it" in stderr
    manifest = json.loads((root / "manifest.json").read_text(encoding="utf-8"))
    assert any(e["type"] == "sbom" for e in manifest["evidence"])


def test_a_schema_invalid_sbom_warns_with_the_first_error_and_a_count(tmp_path: Path) -> None:
    bom = json.loads(TRIVY_CDX.read_text(encoding="utf-8"))
    bom["version"] = "one"  # an integer in every CycloneDX schema
    bom["serialNumber"] = "not-a-urn"
    path = tmp_path / "bom.json"
    path.write_text(json.dumps(bom), encoding="utf-8")
    code, _, stderr = add(draft(tmp_path), path)
    assert code == 0
    assert stderr.count("\n") == 1 and "Traceback" not in stderr
    assert "this SBOM is invalid: /" in stderr and "(and 1 more)" in stderr


def test_an_unsupported_xml_namespace_version_warns(tmp_path: Path) -> None:
    text = LARAVEL_XML.read_text(encoding="utf-8").replace(
        "http://cyclonedx.org/schema/bom/1.4", "http://cyclonedx.org/schema/bom/1.2"
    )
    path = tmp_path / "bom-1.2.xml"
    path.write_text(text, encoding="utf-8")
    code, _, stderr = add(draft(tmp_path), path)
    assert code == 0
    assert "CycloneDX 1.2 is not supported" in stderr and stderr.count("\n") == 1
