"""Signed policy bundles: `gatecheck policy build --signing-key` writes OPA's own
.signatures.json, and the real OPA (`opa run --server --verification-key`) loads the signed
bundle and refuses a tampered, unsigned or wrongly signed one."""

from __future__ import annotations

import gzip
import io
import json
import subprocess
import tarfile
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from helpers import run_gatecheck
from opa_support import opa_server, require_opa

from gatecheck.engine.opa_bundle_signing import file_hash


def _write_key(path: Path, key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey) -> Path:
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    path.with_suffix(".pub").write_bytes(
        key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    return path


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("keys")
    return {
        "rsa": _write_key(root / "rsa.pem", rsa.generate_private_key(65537, 2048)),
        "other": _write_key(root / "other.pem", rsa.generate_private_key(65537, 2048)),
        "ec": _write_key(root / "ec.pem", ec.generate_private_key(ec.SECP256R1())),
    }


@pytest.fixture(scope="module")
def policy_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # Data OPA hashes as a JSON value: non-ASCII, escapes and number literals as written.
    path = tmp_path_factory.mktemp("data") / "org.json"
    path.write_text(
        '{"gatecheck": {"config": {"params": {"org_note": "caf\\u00e9 \\u2028 <b>&",'
        ' "org_ratio": 0.10, "org_big": 12345678901234567890, "org_exp": 1e3}}}}',
        encoding="utf-8",
    )
    return path


def _build(out: Path, *args: str) -> subprocess.CompletedProcess[str]:
    proc = run_gatecheck("policy", "build", "-o", str(out), *args)
    assert proc.returncode == 0, proc.stderr
    return proc


def _members(bundle: Path) -> dict[str, bytes]:
    with tarfile.open(bundle, "r:gz") as tar:
        return {m.name: tar.extractfile(m).read() for m in tar.getmembers()}  # type: ignore[union-attr]


def _rewrite(bundle: Path, out: Path, members: dict[str, bytes]) -> Path:
    buffer = io.BytesIO()
    with (
        gzip.GzipFile(fileobj=buffer, mode="wb", mtime=0) as gz,
        tarfile.open(fileobj=gz, mode="w") as tar,
    ):
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    out.write_bytes(buffer.getvalue())
    return out


def _opa_refuses(bundle: Path, *args: str) -> str:
    """``opa run --server`` on the bundle; returns its error, failing if it starts serving."""
    opa = require_opa()
    proc = subprocess.run(
        [opa, "run", "--server", "--skip-version-check", "--addr", "127.0.0.1:0",
         "--bundle", str(bundle), *args],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert proc.returncode != 0
    return proc.stdout + proc.stderr


def test_signature_lists_every_file_with_opas_hash(keys: dict[str, Path], tmp_path: Path) -> None:
    bundle = tmp_path / "b.tar.gz"
    out = _build(bundle, "--signing-key", str(keys["rsa"]))
    assert "signed (RS256, key id default)" in out.stdout
    members = _members(bundle)
    token = json.loads(members[".signatures.json"])["signatures"][0]
    import base64

    payload = json.loads(base64.urlsafe_b64decode(token.split(".")[1] + "=="))
    listed = {f["name"]: f["hash"] for f in payload["files"]}
    assert set(listed) == set(members) - {".signatures.json"}
    assert all(listed[n] == file_hash(n, members[n]) for n in listed)


@pytest.mark.opa_binary
def test_opa_server_loads_a_signed_bundle(
    keys: dict[str, Path], policy_data: Path, tmp_path: Path
) -> None:
    bundle = tmp_path / "signed.tar.gz"
    out = _build(bundle, "--data", str(policy_data), "--signing-key", str(keys["rsa"]))
    revision = out.stdout.split("revision ")[1].split(",")[0]
    pub = str(keys["rsa"].with_suffix(".pub"))
    with opa_server(bundle, extra=("--verification-key", pub)) as url:
        import urllib.request

        with urllib.request.urlopen(
            f"{url}/v1/data/gatecheck/config/params/org_note?provenance=true"
        ) as r:
            answer = json.loads(r.read())
    assert answer["result"] == "caf\u00e9 \u2028 <b>&"
    assert [b["revision"] for b in answer["provenance"]["bundles"].values()] == [revision]


@pytest.mark.opa_binary
def test_an_ecdsa_signed_bundle_verifies(keys: dict[str, Path], tmp_path: Path) -> None:
    opa = require_opa()
    bundle = tmp_path / "ec.tar.gz"
    assert "signed (ES256" in _build(bundle, "--signing-key", str(keys["ec"])).stdout
    proc = subprocess.run(
        [opa, "build", "--bundle", str(bundle), "--verification-key",
         str(keys["ec"].with_suffix(".pub")), "--signing-alg", "ES256", "-o", str(tmp_path / "o.tar.gz")],
        capture_output=True, text=True,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr


@pytest.mark.opa_binary
def test_opa_refuses_a_tampered_bundle(keys: dict[str, Path], tmp_path: Path) -> None:
    bundle = tmp_path / "signed.tar.gz"
    _build(bundle, "--signing-key", str(keys["rsa"]))
    members = _members(bundle)
    name = "policies/builtin/artifacts/art_002.rego"
    members[name] = members[name].replace(b"count(covering(artifact)) == 0", b"false")
    tampered = _rewrite(bundle, tmp_path / "tampered.tar.gz", members)
    error = _opa_refuses(tampered, "--verification-key", str(keys["rsa"].with_suffix(".pub")))
    assert "digest mismatch" in error and "art_002.rego" in error


@pytest.mark.opa_binary
def test_opa_refuses_tampered_policy_data(
    keys: dict[str, Path], policy_data: Path, tmp_path: Path
) -> None:
    bundle = tmp_path / "signed.tar.gz"
    _build(bundle, "--data", str(policy_data), "--signing-key", str(keys["rsa"]))
    members = _members(bundle)
    members["data.json"] = members["data.json"].replace(b'"org_ratio": 0.1', b'"org_ratio": 0.2')
    assert b'"org_ratio": 0.2' in members["data.json"]
    tampered = _rewrite(bundle, tmp_path / "tampered.tar.gz", members)
    error = _opa_refuses(tampered, "--verification-key", str(keys["rsa"].with_suffix(".pub")))
    assert "data.json: digest mismatch" in error


@pytest.mark.opa_binary
def test_opa_refuses_a_bundle_signed_by_another_key(keys: dict[str, Path], tmp_path: Path) -> None:
    bundle = tmp_path / "signed.tar.gz"
    _build(bundle, "--signing-key", str(keys["other"]))
    error = _opa_refuses(bundle, "--verification-key", str(keys["rsa"].with_suffix(".pub")))
    assert "failed to verify JWT signature" in error


@pytest.mark.opa_binary
def test_opa_refuses_an_unsigned_bundle(keys: dict[str, Path], tmp_path: Path) -> None:
    bundle = tmp_path / "unsigned.tar.gz"
    _build(bundle)
    error = _opa_refuses(bundle, "--verification-key", str(keys["rsa"].with_suffix(".pub")))
    assert "missing .signatures.json" in error


def test_a_key_opa_cannot_verify_is_refused_in_one_line(tmp_path: Path) -> None:
    ed = tmp_path / "ed.pem"
    ed.write_bytes(
        ed25519.Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    garbage = tmp_path / "garbage.pem"
    garbage.write_text("not a key")
    for key in (ed, garbage, tmp_path / "missing.pem"):
        proc = run_gatecheck(
            "policy", "build", "-o", str(tmp_path / "b.tar.gz"), "--signing-key", str(key)
        )
        assert proc.returncode == 2, proc.stdout
        assert len(proc.stderr.strip().splitlines()) == 1 and "Traceback" not in proc.stderr
    assert not (tmp_path / "b.tar.gz").exists()
