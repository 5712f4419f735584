"""Bundles: init/add/seal/verify, tamper detection, deterministic packing, safe unpacking."""

from __future__ import annotations

import io
import json
import tarfile
import threading
from pathlib import Path

import pytest
from helpers import DIGEST, make_bundle

from gatecheck.bundles import archive
from gatecheck.bundles.archive import OpenedBundle, pack_bundle, unpack_bundle
from gatecheck.bundles.manifest import BundleManifest
from gatecheck.bundles.store import (
    add_evidence,
    init_bundle,
    read_manifest,
    seal_bundle,
    verify_bundle,
)
from gatecheck.errors import BundleError, EvidenceError, TamperError

CORPUS_PIP_AUDIT = Path(__file__).parent / "data" / "vulnscan"


def pip_audit_report(tmp_path: Path, name: str = "audit.json", vulns: list | None = None) -> Path:
    path = tmp_path / name
    path.write_text(
        json.dumps(
            {
                "dependencies": [{"name": "idna", "version": "3.7", "vulns": vulns or []}],
                "fixes": [],
            }
        ),
        encoding="utf-8",
    )
    return path


def test_init_writes_draft_with_release_manifest(tmp_path: Path) -> None:
    root = tmp_path / "b"
    init_bundle(
        root,
        "payments-api",
        "1.4.0",
        release_class="major",
        artifacts=[{"name": "payments-api", "digest": DIGEST}],
    )
    manifest = read_manifest(root)
    assert manifest.state == "draft"
    assert [e.type for e in manifest.evidence] == ["release-manifest"]
    release = json.loads((root / manifest.evidence[0].path).read_text())
    assert release["class"] == "major" and release["artifacts"][0]["digest"] == DIGEST


def test_init_refuses_non_empty_directory(tmp_path: Path) -> None:
    (tmp_path / "x").write_text("hello")
    with pytest.raises(BundleError, match="not empty"):
        init_bundle(tmp_path, "a", "1.0.0")


def test_add_detects_type_and_records_tool(tmp_path: Path, cyclonedx_sbom: Path) -> None:
    root = make_bundle(tmp_path / "b", seal=False)
    [added] = add_evidence(root, [cyclonedx_sbom])
    entry = added.entry
    assert (entry.type, entry.format) == ("sbom", "cyclonedx-json")
    assert entry.tool is not None and entry.tool.name
    assert entry.path == f"evidence/{entry.sha256}.json"
    assert (root / entry.path).read_bytes() == cyclonedx_sbom.read_bytes()


def test_add_refuses_unknown_file_and_leaves_bundle_unchanged(
    tmp_path: Path, cyclonedx_sbom: Path
) -> None:
    root = make_bundle(tmp_path / "b", seal=False)
    before = (root / "manifest.json").read_bytes()
    unknown = tmp_path / "notes.json"
    unknown.write_text('{"hello": "world"}')
    with pytest.raises(EvidenceError, match="unknown evidence format"):
        add_evidence(root, [cyclonedx_sbom, unknown])
    assert (root / "manifest.json").read_bytes() == before
    assert len(list((root / "evidence").iterdir())) == 1


def test_add_refuses_malformed_json_with_the_reason(tmp_path: Path) -> None:
    root = make_bundle(tmp_path / "b", seal=False)
    bad = tmp_path / "bom.json"
    bad.write_text('{"bomFormat": "CycloneDX", "specVersion": "1.6", "bomFormat": "x"}')
    with pytest.raises(EvidenceError, match="duplicate key 'bomFormat'"):
        add_evidence(root, [bad])


def test_add_refuses_the_same_file_twice(tmp_path: Path) -> None:
    root = make_bundle(tmp_path / "b", seal=False)
    report = pip_audit_report(tmp_path)
    add_evidence(root, [report])
    with pytest.raises(BundleError, match="already in the bundle"):
        add_evidence(root, [report])


def test_sealed_bundle_refuses_add(tmp_path: Path) -> None:
    root = make_bundle(tmp_path / "b")
    with pytest.raises(BundleError, match="sealed"):
        add_evidence(root, [pip_audit_report(tmp_path)])


def test_release_manifest_is_replaced_not_duplicated(tmp_path: Path) -> None:
    root = make_bundle(tmp_path / "b", seal=False)
    old = read_manifest(root).evidence[0].path
    updated = tmp_path / "release.yaml"
    updated.write_text(
        "apiVersion: gatecheck.dev/v1\nkind: ReleaseManifest\nname: payments-api\n"
        "version: 1.4.0\nclass: standard\nrisk: low\n"
    )
    [added] = add_evidence(root, [updated])
    assert added.replaced == old
    manifest = read_manifest(root)
    assert [e.type for e in manifest.evidence] == ["release-manifest"]
    assert not (root / old).exists()


def test_release_manifest_for_another_release_is_refused(tmp_path: Path) -> None:
    root = make_bundle(tmp_path / "b", seal=False)
    other = tmp_path / "release.json"
    other.write_text(json.dumps({"kind": "ReleaseManifest", "name": "other", "version": "9.9.9"}))
    with pytest.raises(BundleError, match="other@9.9.9"):
        add_evidence(root, [other])


def test_seal_records_digest_and_verify_accepts(tmp_path: Path) -> None:
    root = make_bundle(tmp_path / "b", [pip_audit_report(tmp_path)])
    manifest = verify_bundle(root)
    assert manifest.state == "sealed"
    assert manifest.digest == manifest.compute_digest()
    with pytest.raises(BundleError, match="already sealed"):
        seal_bundle(root)


def test_verify_names_a_changed_file(tmp_path: Path) -> None:
    root = make_bundle(tmp_path / "b", [pip_audit_report(tmp_path)])
    entry = next(e for e in read_manifest(root).evidence if e.type == "vulnerability-scan")
    data = bytearray((root / entry.path).read_bytes())
    data[5] ^= 0x01
    (root / entry.path).write_bytes(bytes(data))
    with pytest.raises(TamperError, match=f"{entry.path} changed"):
        verify_bundle(root)


def test_verify_names_missing_and_extra_files(tmp_path: Path) -> None:
    root = make_bundle(tmp_path / "b", [pip_audit_report(tmp_path)])
    entry = next(e for e in read_manifest(root).evidence if e.type == "vulnerability-scan")
    (root / entry.path).unlink()
    (root / "evidence" / "smuggled.json").write_text("{}")
    with pytest.raises(TamperError) as info:
        verify_bundle(root)
    assert f"{entry.path} is missing" in str(info.value)
    assert "unexpected file evidence/smuggled.json" in str(info.value)


def test_verify_detects_an_edited_manifest(tmp_path: Path) -> None:
    root = make_bundle(tmp_path / "b", [pip_audit_report(tmp_path)])
    manifest = json.loads((root / "manifest.json").read_text())
    manifest["evidence"][0]["labels"] = {"kind": "smoke"}
    (root / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(TamperError, match="manifest.json changed"):
        verify_bundle(root)


def test_verify_refuses_a_draft(tmp_path: Path) -> None:
    root = make_bundle(tmp_path / "b", seal=False)
    with pytest.raises(BundleError, match="not sealed"):
        verify_bundle(root)


def test_manifest_entry_pointing_outside_the_bundle_is_refused(tmp_path: Path) -> None:
    root = make_bundle(tmp_path / "b", [pip_audit_report(tmp_path)])
    manifest = BundleManifest.model_validate_json((root / "manifest.json").read_text())
    manifest.evidence[0].path = "../outside.json"
    manifest.digest = manifest.compute_digest()  # re-sealed by whoever edited it
    (root / "manifest.json").write_text(json.dumps(manifest.to_json()))
    with pytest.raises(TamperError, match="not a content-addressed evidence path"):
        verify_bundle(root)


def test_pack_is_deterministic_and_verifiable(tmp_path: Path) -> None:
    root = make_bundle(tmp_path / "b", [pip_audit_report(tmp_path)])
    pack_bundle(root, tmp_path / "one.tar.gz")
    pack_bundle(root, tmp_path / "two.tar.gz")
    assert (tmp_path / "one.tar.gz").read_bytes() == (tmp_path / "two.tar.gz").read_bytes()
    with OpenedBundle(tmp_path / "one.tar.gz") as opened:
        assert opened.manifest.digest == read_manifest(root).digest
        unpacked = opened.root
    assert not unpacked.exists()


def test_parallel_adds_all_land(tmp_path: Path) -> None:
    root = make_bundle(tmp_path / "b", seal=False)
    reports = [
        pip_audit_report(
            tmp_path, f"a{i}.json", [{"id": f"PYSEC-0-{i}", "fix_versions": [], "aliases": []}]
        )
        for i in range(8)
    ]
    errors: list[Exception] = []

    def add(path: Path) -> None:
        try:
            add_evidence(root, [path])
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=add, args=(p,)) for p in reports]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert len(read_manifest(root).evidence) == 9
    seal_bundle(root)
    verify_bundle(root)


def _tar(tmp_path: Path, members: list[tuple[tarfile.TarInfo, bytes | None]]) -> Path:
    path = tmp_path / "hostile.tar.gz"
    with tarfile.open(path, "w:gz", format=tarfile.GNU_FORMAT) as tar:
        for info, data in members:
            tar.addfile(info, io.BytesIO(data) if data is not None else None)
    return path


def _file(name: str, data: bytes = b"{}") -> tuple[tarfile.TarInfo, bytes]:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    return info, data


def _special(name: str, kind: bytes, target: str = "") -> tuple[tarfile.TarInfo, None]:
    info = tarfile.TarInfo(name)
    info.type = kind
    info.linkname = target
    return info, None


@pytest.mark.parametrize(
    ("members", "message"),
    [
        ([_file("../escape.json")], "escapes the bundle"),
        ([_file("/etc/evil.json")], "absolute path"),
        ([_special("evidence/link", tarfile.SYMTYPE, "/etc/passwd")], "symlink"),
        ([_file("a.json"), _special("evidence/hard", tarfile.LNKTYPE, "a.json")], "hard link"),
        ([_special("evidence/dev", tarfile.CHRTYPE)], "device"),
        ([_special("evidence/fifo", tarfile.FIFOTYPE)], "special file"),
        ([_file("manifest.json"), _file("manifest.json")], "appears twice"),
        ([_file("Manifest.json"), _file("manifest.json")], "differs only in case"),
    ],
)
def test_unpack_refuses_hostile_members(tmp_path: Path, members: list, message: str) -> None:
    dest = tmp_path / "out"
    dest.mkdir()
    with pytest.raises(BundleError, match=message):
        unpack_bundle(_tar(tmp_path, members), dest)
    assert not (tmp_path / "escape.json").exists()


def test_unpack_refuses_oversized_member(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(archive, "MAX_MEMBER_BYTES", 1000)
    dest = tmp_path / "out"
    dest.mkdir()
    with pytest.raises(BundleError, match="larger than"):
        unpack_bundle(_tar(tmp_path, [_file("big.json", b"0" * 5000)]), dest)


def test_unpack_refuses_gzip_bomb_by_total_size(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(archive, "MAX_TOTAL_BYTES", 10_000_000)
    members = [_file(f"evidence/z{i}.json", b"\0" * 4_000_000) for i in range(4)]
    path = _tar(tmp_path, members)
    assert path.stat().st_size < 100_000  # compresses ~1000:1
    dest = tmp_path / "out"
    dest.mkdir()
    with pytest.raises(BundleError, match="unpacks to more than"):
        unpack_bundle(path, dest)


def test_corrupt_archive_is_a_bundle_error(tmp_path: Path) -> None:
    path = tmp_path / "b.tar.gz"
    path.write_bytes(b"\x1f\x8b\x08\x00garbage")
    with pytest.raises(BundleError, match="not a readable"):
        OpenedBundle(path)


def test_corrupted_gzip_trailer_or_appended_data_is_refused(tmp_path: Path) -> None:
    root = make_bundle(tmp_path / "b", [pip_audit_report(tmp_path)])
    packed = tmp_path / "b.tar.gz"
    pack_bundle(root, packed)
    good = packed.read_bytes()
    with OpenedBundle(packed):
        pass
    bad_crc = bytearray(good)
    bad_crc[-6] ^= 0x01  # inside the CRC-32 of the gzip trailer
    packed.write_bytes(bytes(bad_crc))
    with pytest.raises(BundleError, match="not a readable"):
        OpenedBundle(packed)
    import gzip as gzip_module

    smuggled = gzip_module.compress(gzip_module.decompress(good) + b"hidden payload", mtime=0)
    packed.write_bytes(smuggled)
    with pytest.raises(BundleError, match="data after the end"):
        OpenedBundle(packed)
