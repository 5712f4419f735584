"""npm artifacts are named by sha512: ``NAME@sha512:HEX`` is accepted wherever sha256 is
(``bundle init --artifact``, GC-ART-001, the SBOM subject match of GC-ART-003), through the CLI.

The digest is the sha512 of real bytes made here (an npm-style tarball), as ``npm pack``
reports it in ``integrity`` and npm provenance names it in its subject.
"""

from __future__ import annotations

import hashlib
import io
import json
import tarfile
from pathlib import Path
from typing import Any

from helpers import run_gatecheck
from trust_support import bundle_release


def tarball() -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        body = json.dumps({"name": "@acme/left-pad", "version": "1.3.0"}).encode()
        info = tarfile.TarInfo("package/package.json")
        info.size = len(body)
        tar.addfile(info, io.BytesIO(body))
    return buffer.getvalue()


SHA512 = hashlib.sha512(tarball()).hexdigest()


def sbom(digest_hex: str) -> dict[str, Any]:
    return {
        "bomFormat": "CycloneDX",
        "specVersion": "1.6",
        "version": 1,
        "metadata": {
            "timestamp": "2026-03-01T10:00:00Z",
            "component": {
                "type": "library",
                "name": "left-pad",
                "group": "@acme",
                "version": "1.3.0",
                "purl": "pkg:npm/%40acme/left-pad@1.3.0",
                "hashes": [{"alg": "SHA-512", "content": digest_hex}],
            },
        },
        "components": [
            {
                "type": "library",
                "name": "wordwrap",
                "version": "1.0.0",
                "purl": "pkg:npm/wordwrap@1.0.0",
                "licenses": [{"license": {"id": "MIT"}}],
            }
        ],
    }


def bundle_with(tmp_path: Path, artifact: str, sbom_hex: str) -> Path:
    root = tmp_path / "bundle"
    init = run_gatecheck(
        "bundle", "init", str(root), "--release", "left-pad@1.3.0", "--artifact", artifact
    )
    assert init.returncode == 0, init.stderr
    bom = tmp_path / "bom.json"
    bom.write_text(json.dumps(sbom(sbom_hex)), encoding="utf-8")
    assert run_gatecheck("bundle", "add", str(root), str(bom)).returncode == 0
    assert run_gatecheck("bundle", "seal", str(root)).returncode == 0
    return root


def results(root: Path) -> dict[str, dict[str, Any]]:
    proc = run_gatecheck(
        "evaluate", str(root), "--stage", "staging", "--at", "2026-03-01T12:00:00Z",
        "--format", "json",
    )  # fmt: skip
    assert proc.returncode in (0, 1), proc.stderr
    return {r["control"]: r for r in json.loads(proc.stdout)["results"]}


def test_bundle_init_accepts_a_scoped_npm_name_pinned_by_sha512(tmp_path: Path) -> None:
    root = bundle_with(tmp_path, f"@acme/left-pad@sha512:{SHA512.upper()}", SHA512)
    _, release = bundle_release(root)
    (artifact,) = release["artifacts"]
    assert (artifact["name"], artifact["digest"]) == ("@acme/left-pad", f"sha512:{SHA512}")
    by_control = results(root)
    assert by_control["GC-ART-001"]["status"] == "pass", by_control["GC-ART-001"]
    # The SBOM names the artifact's bytes by the same sha512: it describes the artifact.
    assert not any("no SBOM describes" in m for m in by_control["GC-ART-003"]["messages"])


def test_gc_art_003_an_sbom_of_other_bytes_does_not_describe_a_sha512_artifact(
    tmp_path: Path,
) -> None:
    other = hashlib.sha512(b"other bytes").hexdigest()
    root = bundle_with(tmp_path, f"@acme/left-pad@sha512:{SHA512}", other)
    art_003 = results(root)["GC-ART-003"]
    assert art_003["status"] == "fail"
    assert any("no SBOM describes artifact @acme/left-pad" in m for m in art_003["messages"])


def test_bundle_init_refuses_a_truncated_sha512(tmp_path: Path) -> None:
    proc = run_gatecheck(
        "bundle", "init", str(tmp_path / "b"), "--release", "left-pad@1.3.0",
        "--artifact", f"left-pad@sha512:{SHA512[:64]}",
    )  # fmt: skip
    assert proc.returncode == 2
    assert "NAME@sha512:<128 hex digits>" in proc.stderr
    assert proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr
