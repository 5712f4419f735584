"""`gatecheck collect pip-audit` runs the real pip-audit against a local OSV server."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import sysconfig
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from helpers import make_bundle, run_gatecheck
from osv_server import OsvServer
from trust_support import TrustKit, bundle_release, sign_bundle_release

from gatecheck.bundles.store import add_evidence, seal_bundle
from gatecheck.cli.main import cli
from gatecheck.evidence.interface import Document, ParseContext
from gatecheck.evidence.scans.pipaudit import PipAuditParser

OSV_RECORDS = Path(__file__).parent / "data" / "vulnscan" / "osv"
# idna 3.6 is affected by PYSEC-2024-60; requests 2.31.0 is the version that fixed
# PYSEC-2023-74, so it must come back clean; six has no record at all.
PINNED = "idna==3.6\nrequests==2.31.0\nsix==1.16.0\n"


@pytest.fixture(scope="module")
def osv() -> Iterator[OsvServer]:
    server = OsvServer(OSV_RECORDS).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def collected(
    tmp_path_factory: pytest.TempPathFactory, osv: OsvServer
) -> tuple[Path, subprocess.CompletedProcess[str]]:
    """`gatecheck collect pip-audit` over pinned requirements, run once for this module."""
    work = tmp_path_factory.mktemp("collect")
    (work / "requirements.txt").write_text(PINNED)
    # --osv-url takes the API base or, as here, its query endpoint.
    proc = gatecheck(
        "collect",
        "pip-audit",
        "-r",
        "requirements.txt",
        "--no-deps",
        "--osv-url",
        f"{osv.url}/v1/query/",
        "-o",
        "pip-audit.json",
        cwd=work,
    )
    return work, proc


def gatecheck(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "gatecheck", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=120,
        check=False,
    )


def closed_port_url() -> str:
    # Bind, note the port, close: nothing listens there afterwards.
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def test_pinned_requirements_report_is_pip_audits_own_bytes(
    collected: tuple[Path, subprocess.CompletedProcess[str]], osv: OsvServer
) -> None:
    tmp_path, proc = collected
    out = tmp_path / "pip-audit.json"
    assert proc.returncode == 0, proc.stderr
    assert "3 dependencies audited, 1 known vulnerabilities" in proc.stderr

    # The same pip-audit run, printed to stdout, gives exactly the bytes gatecheck kept.
    direct = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip_audit",
            "-r",
            "requirements.txt",
            "--no-deps",
            "--disable-pip",
            "-f",
            "json",
            "--progress-spinner",
            "off",
            "-s",
            "osv",
            "--osv-url",
            f"{osv.url}/v1/query",
        ],
        capture_output=True,
        cwd=tmp_path,
        timeout=120,
        check=False,
    )
    assert direct.returncode == 1  # pip-audit's "vulnerabilities found"
    assert out.read_bytes() == direct.stdout

    report = PipAuditParser().parse(
        Document(out.read_bytes(), out.name), "pip-audit-json", ParseContext()
    )
    assert [p["name"] for p in report["packages"]] == ["idna", "requests", "six"]
    assert report["unaudited"] == []
    (vuln,) = report["vulnerabilities"]
    assert vuln["id"] == "PYSEC-2024-60"
    assert vuln["aliases"] == ["CVE-2024-3651"]
    assert vuln["fix_versions"] == ["3.7"]
    assert vuln["package"]["purl"] == "pkg:pypi/idna@3.6"
    asked = {(q["package"]["name"], q["version"]) for q in osv.queries}
    assert {("idna", "3.6"), ("requests", "2.31.0"), ("six", "1.16.0")} <= asked
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pip-audit.json", "requirements.txt"]


def test_collected_report_gates_the_release_until_a_scoped_waiver(
    collected: tuple[Path, subprocess.CompletedProcess[str]], tmp_path: Path
) -> None:
    work, _ = collected
    # The CI job that ran pip-audit signs its report; the change system, the release manifest.
    bundle = make_bundle(tmp_path / "bundle", seal=False)
    kit = TrustKit.for_release(bundle_release(bundle)[1])
    release = sign_bundle_release(kit, bundle, tmp_path / "release.dsse.json")
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    # pip-audit records no scan time: its age is the time the CI job signed into the statement.
    scan = kit.attest(
        work / "pip-audit.json",
        "vulnerability-scan",
        "ci-build",
        tmp_path / "scan.dsse.json",
        timestamp=now,
    )
    add_evidence(bundle, [release, scan])
    seal_bundle(bundle)
    at = "--at", now
    trust_only = kit.write_config(tmp_path / "trust.yaml")
    proc = run_gatecheck(
        "evaluate",
        str(bundle),
        "--stage",
        "production",
        *at,
        "--config",
        str(trust_only),
        "--format",
        "json",
    )
    assert proc.returncode == 1, proc.stderr
    report = json.loads(proc.stdout)
    assert all(e["authenticated"] for e in report["authenticity"]["evidence"])
    art005 = next(r for r in report["results"] if r["control"] == "GC-ART-005")
    assert art005["status"] == "fail"
    (violation,) = art005["violations"]
    assert violation["scope"] == {
        "vulnerability": "PYSEC-2024-60",
        "component": "pkg:pypi/idna@3.6",
    }
    assert violation["evidence"][0]["pointer"] == "/dependencies/0/vulns/0"
    assert "counted as vuln_unknown_severity high" in violation["msg"]

    # The waiver's approver is a directory person with a waiver-approver role.
    kit.person("a.okafor", ["security"], ["security@example.com"])
    config = kit.write_config(
        tmp_path / "gatecheck.yaml",
        waivers=[
            {
                "control": "GC-ART-005",
                "scope": {"release": "payments-api", "vulnerability": "PYSEC-2024-60"},
                "justification": "idna.encode is never called on untrusted input here.",
                "approver": "security@example.com",
                "granted": now,
                "expires": (datetime.now(UTC) + timedelta(days=30)).strftime("%Y-%m-%dT%H:%M:%SZ"),
            }
        ],
    )
    proc = run_gatecheck(
        "evaluate",
        str(bundle),
        "--stage",
        "production",
        *at,
        "--config",
        str(config),
        "--format",
        "json",
    )
    art005 = next(r for r in json.loads(proc.stdout)["results"] if r["control"] == "GC-ART-005")
    assert art005["status"] == "waived", art005


def test_unreachable_osv_service_exits_2_and_writes_nothing(tmp_path: Path) -> None:
    (tmp_path / "requirements.txt").write_text(PINNED)
    out = tmp_path / "pip-audit.json"
    url = closed_port_url()
    proc = gatecheck(
        "collect",
        "pip-audit",
        "-r",
        "requirements.txt",
        "--no-deps",
        "--osv-url",
        url,
        "--timeout",
        "60",
        "-o",
        str(out),
        cwd=tmp_path,
    )
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("gatecheck: error: pip-audit could not reach")
    assert f"{url}/v1/query" in lines[0]
    assert "Traceback" not in proc.stderr
    assert not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["requirements.txt"]


def test_skipped_dependency_is_refused_and_earlier_report_kept(
    tmp_path: Path, osv: OsvServer
) -> None:
    # pip-audit skips URL requirements ("cannot be pinned") and still exits 0.
    (tmp_path / "requirements.txt").write_text(
        "six==1.16.0\nidna @ https://example.invalid/idna-3.6.tar.gz\n"
    )
    out = tmp_path / "pip-audit.json"
    out.write_bytes(b'{"earlier": "report"}')
    proc = gatecheck(
        "collect",
        "pip-audit",
        "-r",
        "requirements.txt",
        "--no-deps",
        "--osv-url",
        osv.url,
        "-o",
        str(out),
        cwd=tmp_path,
    )
    assert proc.returncode == 2
    assert "could not audit 1 dependency (idna: URL requirements cannot be pinned" in proc.stderr
    # The refused run neither replaced the earlier report nor left a temporary file.
    assert out.read_bytes() == b'{"earlier": "report"}'
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pip-audit.json", "requirements.txt"]


def test_installed_environment_is_audited_with_path(tmp_path: Path, osv: OsvServer) -> None:
    site = sysconfig.get_paths()["purelib"]
    asked_before = len(osv.queries)
    out = tmp_path / "env.json"
    proc = gatecheck(
        "collect",
        "pip-audit",
        "--path",
        site,
        "--osv-url",
        osv.url,
        "-o",
        str(out),
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr
    names = {d["name"].lower() for d in json.loads(out.read_text())["dependencies"]}
    assert {"pip-audit", "pytest", "click"} <= names
    assert len(osv.queries) - asked_before >= len(names) - 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["-r", "missing.txt"], "missing.txt: requirements file does not exist"),
        (["-r", "r.txt", "--path", "."], "give either -r/--requirement or --path, not both"),
        (["--osv-url", "ftp://example.invalid"], "is not an http(s) URL"),
        (["--no-deps"], "--no-deps audits requirements files as written; it needs -r"),
        (["-r", "r.txt", "--timeout", "0"], "--timeout must be a positive number"),
    ],
)
def test_bad_arguments_exit_2_with_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: list[str], message: str
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "r.txt").write_text("six==1.16.0\n")
    result = CliRunner().invoke(cli, ["collect", "pip-audit", *args, "-o", "out.json"])
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("gatecheck: error: ")
    assert message in lines[0]
    assert not (tmp_path / "out.json").exists()
