"""Vulnerability-scan parsers (pip-audit, OSV-Scanner, Grype, Trivy) on real scanner output."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from gatecheck.errors import EvidenceError
from gatecheck.evidence import registry
from gatecheck.evidence.interface import Document, ParseContext
from gatecheck.evidence.scans import severity as sev

DATA = Path(__file__).parent / "data" / "vulnscan"
FORMATS = {
    "grype-0.114.0-image-no-matches.json": "grype-json",
    "grype-presenter-image-golden.json": "grype-json",
    "osv-scanner-go-cargo-results.json": "osv-scanner-json",
    "pip-audit-2-vulns-with-desc.json": "pip-audit-json",
    "pip-audit-clean-49-deps.json": "pip-audit-json",
    "trivy-alpine-310-image.json": "trivy-json",
    "trivy-sbom-input-debian+gems-critical-high.json": "trivy-json",
}
SCAN_KEYS = {
    "scanner",
    "timestamp",
    "target",
    "target_digests",
    "packages",
    "packages_complete",
    "scanned_packages",
    "unaudited",
    "warnings",
    "vulnerabilities",
}
VULN_KEYS = {
    "id",
    "aliases",
    "package",
    "severity",
    "cvss_score",
    "fix_versions",
    "pointer",
    "suppressed_by_tool",
    "suppression_reason",
}


def parse_bytes(raw: bytes, name: str = "scan.json") -> dict[str, Any]:
    doc = Document(raw, name)
    parser, fmt = registry.detect(doc)
    assert parser.family == "vulnerability-scan"
    return parser.parse(doc, fmt, ParseContext())


def parse_file(name: str) -> dict[str, Any]:
    return parse_bytes((DATA / name).read_bytes(), name)


def parse_obj(obj: Any) -> dict[str, Any]:
    return parse_bytes(json.dumps(obj).encode())


def load(name: str) -> Any:
    return json.loads((DATA / name).read_text())


def resolve(document: Any, pointer: str) -> Any:
    for token in pointer.split("/")[1:]:
        token = token.replace("~1", "/").replace("~0", "~")
        document = document[int(token)] if isinstance(document, list) else document[token]
    return document


def by_id(scan: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    return {(v["id"], v["package"]["name"]): v for v in scan["vulnerabilities"]}


@pytest.mark.parametrize("name", sorted(FORMATS))
def test_each_real_report_is_detected_as_its_format(name: str) -> None:
    doc = Document((DATA / name).read_bytes(), name)
    parser, fmt = registry.detect(doc)
    assert (parser.family, fmt) == ("vulnerability-scan", FORMATS[name])


@pytest.mark.parametrize("name", sorted(FORMATS))
def test_every_finding_has_the_shared_shape_and_points_into_the_original(name: str) -> None:
    scan = parse_file(name)
    original = load(name)
    assert set(scan) == SCAN_KEYS
    for vuln in scan["vulnerabilities"]:
        assert set(vuln) == VULN_KEYS
        assert vuln["severity"] in (*sev.BANDS, None)
        target = resolve(original, vuln["pointer"])
        # The pointer names the scanner's own record of this finding.
        assert vuln["id"] in json.dumps(target)
        assert vuln["package"] in scan["packages"]


def test_trivy_severity_cvss_fixes_and_purls_come_from_trivy_fields() -> None:
    scan = parse_file("trivy-sbom-input-debian+gems-critical-high.json")
    assert scan["scanner"] == {"name": "trivy", "version": "dev"}
    assert scan["timestamp"] == "2021-08-25T12:20:30Z"
    assert scan["target"] == "testdata/fixtures/sbom/fluentd-multiple-lockfiles-cyclonedx.json"
    vulns = by_id(scan)
    bash = vulns[("CVE-2019-18276", "bash")]
    # Trivy says LOW (from Debian) although NVD scores it 7.8: the scanner's label wins.
    assert (bash["severity"], bash["cvss_score"], bash["fix_versions"]) == ("low", 7.8, [])
    libidn = vulns[("CVE-2019-18224", "libidn2-0")]
    assert (libidn["severity"], libidn["cvss_score"]) == ("critical", 9.8)
    assert libidn["fix_versions"] == ["2.0.5-1+deb10u1"]
    assert libidn["package"]["purl"] == "pkg:deb/debian/libidn2-0@2.0.5-1?distro=debian-10.2"
    rails = vulns[("CVE-2020-8165", "activesupport")]
    assert rails["severity"] == "high"
    assert rails["fix_versions"] == ["6.0.3.1", "5.2.4.3"]  # one per release line
    assert rails["package"]["ecosystem"] == "gemspec"
    # No --list-all-pkgs listing: only the packages with findings are known.
    assert scan["packages_complete"] is False


def test_trivy_end_of_life_os_is_a_warning() -> None:
    scan = parse_file("trivy-alpine-310-image.json")
    assert len(scan["vulnerabilities"]) == 4
    assert {v["severity"] for v in scan["vulnerabilities"]} == {"medium"}
    assert scan["target_digests"] == [
        "961769676411f082461f9ef46626dd7a2d1e2b2a38e6a44364bcbecf51e66dd4"
    ]
    assert scan["warnings"][0]["pointer"] == "/Metadata/OS/EOSL"
    assert "alpine 3.10.2 is end of service life" in scan["warnings"][0]["message"]


def test_trivy_unknown_severity_is_derived_from_its_cvss_score() -> None:
    obj = load("trivy-sbom-input-debian+gems-critical-high.json")
    finding = obj["Results"][1]["Vulnerabilities"][0]
    finding["Severity"] = "UNKNOWN"  # Trivy's value when no source rated it
    assert parse_obj(obj)["vulnerabilities"][2]["severity"] == "critical"  # ghsa: none, nvd 9.8
    del finding["CVSS"]
    assert parse_obj(obj)["vulnerabilities"][2]["severity"] is None


def test_trivy_package_listing_makes_the_inventory_complete() -> None:
    obj = load("trivy-alpine-310-image.json")
    obj["Metadata"]["OS"].pop("EOSL")
    obj["Results"][0]["Packages"] = [
        {
            "ID": "musl@1.1.22-r3",
            "Name": "musl",
            "Version": "1.1.22-r3",
            "Identifier": {"PURL": "pkg:apk/alpine/musl@1.1.22-r3?arch=x86_64&distro=3.10.2"},
        },
        {
            "ID": "libssl1.1@1.1.1c-r0",
            "Name": "libssl1.1",
            "Version": "1.1.1c-r0",
            "Identifier": {"PURL": "pkg:apk/alpine/libssl1.1@1.1.1c-r0?arch=x86_64&distro=3.10.2"},
        },
    ]
    scan = parse_obj(obj)
    assert scan["packages_complete"] is True
    assert scan["warnings"] == []
    names = [p["name"] for p in scan["packages"]]
    assert names.count("libssl1.1") == 1 and "musl" in names and "libcrypto1.1" in names


def test_trivy_other_schema_versions_are_refused() -> None:
    obj = load("trivy-alpine-310-image.json")
    obj["SchemaVersion"] = 1
    with pytest.raises(EvidenceError, match="SchemaVersion 1 is not supported"):
        parse_obj(obj)


def test_grype_labels_map_negligible_to_low_and_unknown_to_none() -> None:
    scan = parse_file("grype-presenter-image-golden.json")
    assert scan["scanner"] == {"name": "grype", "version": "[not provided]"}
    assert scan["timestamp"] is None  # the golden's descriptor timestamp is ""
    assert scan["target"] == "user-input"
    low, critical = scan["vulnerabilities"]
    assert (low["id"], low["severity"], low["cvss_score"]) == ("CVE-1999-0001", "low", 8.2)
    assert low["fix_versions"] == ["1.2.1", "2.1.3", "3.4.0"]
    assert low["package"] == {
        "name": "package-1",
        "version": "1.1.1",
        "ecosystem": "rpm",
        "purl": None,
    }
    assert (critical["severity"], critical["fix_versions"]) == ("critical", [])
    assert critical["package"]["purl"] == "pkg:deb/package-2@2.2.2"

    obj = load("grype-presenter-image-golden.json")
    obj["matches"][0]["vulnerability"]["severity"] = "Negligible"
    obj["matches"][1]["vulnerability"]["severity"] = "Unknown"
    obj["matches"][1]["vulnerability"]["cvss"] = []
    negligible, unknown = parse_obj(obj)["vulnerabilities"]
    assert negligible["severity"] == "low"
    assert unknown["severity"] is None and unknown["cvss_score"] is None


def test_grype_without_a_label_derives_the_band_from_cvss() -> None:
    obj = load("grype-presenter-image-golden.json")
    obj["matches"][0]["vulnerability"]["severity"] = "Unknown"
    assert parse_obj(obj)["vulnerabilities"][0]["severity"] == "high"  # baseScore 8.2


def test_grype_clean_scan_keeps_scanner_time_and_target() -> None:
    scan = parse_file("grype-0.114.0-image-no-matches.json")
    assert scan["scanner"] == {"name": "grype", "version": "0.114.0"}
    assert scan["timestamp"] == "2026-06-23T06:50:16.712896Z"  # +02:00 -> UTC
    assert scan["target"] == "klass-web:latest"
    assert scan["target_digests"] == [
        "9f1ac32bb1ae6c01df67563a83db4f95ad2e35fe28d65cdaa35eb7b10168610b",
        "01050cd3b29272ec10b57bfcb4c871b2bb2e740076c375f95c52d12c240f347c",
    ]
    assert scan["vulnerabilities"] == [] and scan["packages"] == []
    assert scan["packages_complete"] is False


def test_grype_ignored_matches_stay_findings_marked_as_suppressed_by_the_tool() -> None:
    obj = load("grype-presenter-image-golden.json")
    ignored = obj["matches"].pop(1)
    ignored["appliedIgnoreRules"] = [{"vulnerability": ignored["vulnerability"]["id"]}]
    obj["ignoredMatches"] = [ignored]
    scan = parse_obj(obj)
    assert [(v["id"], v["suppressed_by_tool"]) for v in scan["vulnerabilities"]] == [
        ("CVE-1999-0001", False),
        (ignored["vulnerability"]["id"], True),
    ]
    assert scan["vulnerabilities"][1]["suppression_reason"] == (
        f"grype ignore rule: vulnerability {ignored['vulnerability']['id']}"
    )
    assert scan["vulnerabilities"][1]["pointer"] == "/ignoredMatches/0/vulnerability"
    assert [p["name"] for p in scan["packages"]] == ["package-1", "package-2"]


def test_osv_scanner_reports_one_finding_per_alias_group() -> None:
    scan = parse_file("osv-scanner-go-cargo-results.json")
    assert scan["scanner"] == {"name": "osv-scanner", "version": None}
    assert scan["timestamp"] is None
    gogo, regex = scan["vulnerabilities"]
    assert gogo["id"] == "GO-2021-0053"
    assert gogo["aliases"] == ["CVE-2021-3121", "GHSA-c3h9-896r-86jm"]
    assert gogo["package"]["purl"] == "pkg:golang/github.com/gogo/protobuf@1.3.1"
    assert gogo["fix_versions"] == ["1.3.2"]
    assert gogo["severity"] is None and gogo["cvss_score"] is None  # the Go record rates none
    # GHSA-m5pq-gvj9-9vr8 and RUSTSEC-2022-0013 are one group: one finding.
    assert regex["id"] == "GHSA-m5pq-gvj9-9vr8"
    assert regex["aliases"] == ["CVE-2022-24713", "RUSTSEC-2022-0013"]
    assert regex["package"]["purl"] == "pkg:cargo/regex@1.5.1"
    # Computed from CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H.
    assert (regex["severity"], regex["cvss_score"]) == ("high", 7.5)
    assert regex["fix_versions"] == ["1.5.5"]  # the GIT range's commit is not a version


def test_osv_scanner_max_severity_is_used_when_present() -> None:
    obj = load("osv-scanner-go-cargo-results.json")
    obj["results"][0]["packages"][0]["groups"][0]["max_severity"] = "9.1"
    gogo = parse_obj(obj)["vulnerabilities"][0]
    assert (gogo["severity"], gogo["cvss_score"]) == ("critical", 9.1)


def test_osv_scanner_falls_back_to_the_advisory_label() -> None:
    obj = load("osv-scanner-go-cargo-results.json")
    for record in obj["results"][1]["packages"][0]["vulnerabilities"]:
        record.pop("severity")
    regex = parse_obj(obj)["vulnerabilities"][1]
    assert (regex["severity"], regex["cvss_score"]) == ("high", None)  # GHSA's "HIGH"


def test_osv_scanner_all_packages_listing_makes_the_inventory_complete() -> None:
    obj = load("osv-scanner-go-cargo-results.json")
    assert parse_obj(obj)["packages_complete"] is False
    obj["results"][0]["packages"].append(
        {"package": {"name": "golang.org/x/text", "version": "0.3.7", "ecosystem": "Go"}}
    )
    scan = parse_obj(obj)
    assert scan["packages_complete"] is True
    assert scan["packages"][1]["purl"] == "pkg:golang/golang.org/x/text@0.3.7"


def test_osv_scanner_empty_scan_is_recognised() -> None:
    scan = parse_bytes(b'{"results": [], "experimental_config": {"licenses": {"summary": false}}}')
    assert scan["vulnerabilities"] == [] and scan["packages"] == []


def test_pip_audit_findings_have_no_severity_so_policy_decides() -> None:
    scan = parse_file("pip-audit-2-vulns-with-desc.json")
    assert len(scan["packages"]) == 53
    assert scan["packages_complete"] is True
    basicsr = by_id(scan)[("GHSA-86w8-vhw6-q9qq", "basicsr")]
    assert basicsr["aliases"] == ["CVE-2024-27763"]
    assert basicsr["severity"] is None and basicsr["fix_versions"] == []


def test_pip_audit_skipped_dependencies_are_unaudited() -> None:
    obj = load("pip-audit-clean-49-deps.json")
    obj["dependencies"][0] = {
        "name": obj["dependencies"][0]["name"],
        "skip_reason": "Dependency not found on PyPI and could not be audited",
    }
    scan = parse_obj(obj)
    assert len(scan["packages"]) == 48
    assert scan["unaudited"][0]["reason"].startswith("Dependency not found on PyPI")
    assert scan["unaudited"][0]["version"] is None


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b'{"matches": [], "descriptor": {"name": "grype"', "not valid JSON"),
        (b'{"SchemaVersion": 2, "SchemaVersion": 2, "Results": []}', "duplicate key"),
        (b'{"results": [{"source": {}, "packages": [{"package": {}}]}]}', "has no name"),
        (
            b'{"SchemaVersion": 2, "ArtifactName": "x", "Results": [{"Vulnerabilities": [{}]}]}',
            "/Results/0/Vulnerabilities/0 has no VulnerabilityID",
        ),
        (
            b'{"matches": [{"artifact": {"name": "a"}, "vulnerability": {}}],'
            b' "descriptor": {"name": "grype"}}',
            "/matches/0/vulnerability has no id",
        ),
        (
            # detection reads the first five dependencies; the sixth is not one
            b'{"dependencies": ['
            + b'{"name": "a", "version": "1", "vulns": []}, ' * 5
            + b'"b"], "fixes": []}',
            "/dependencies/5 is not an object",
        ),
    ],
)
def test_unreadable_reports_raise_one_line_evidence_errors(raw: bytes, message: str) -> None:
    with pytest.raises(EvidenceError, match=message) as info:
        parse_bytes(raw, "scan.json")
    assert str(info.value).startswith("scan.json")
    assert "\n" not in str(info.value)


def test_band_rules_follow_cvss_v3_and_v2_qualitative_scales() -> None:
    assert [sev.score_band(s) for s in (9.0, 8.9, 7.0, 6.9, 4.0, 3.9, 0.0)] == [
        "critical",
        "high",
        "high",
        "medium",
        "medium",
        "low",
        "low",
    ]
    assert sev.score_band(10.0, "2") == "high"  # v2 has no critical
    assert sev.vector_score("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H") == ("3.1", 9.8)
    assert sev.vector_score("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N") == (
        "4.0",
        9.3,
    )
    assert sev.vector_score("AV:N/AC:L/Au:N/C:P/I:N/A:N") == ("2", 5.0)
    assert sev.vector_score("CVSS:3.1/AV:Q") is None
    assert sev.best_score([("2", 10.0), ("3.1", 5.3), ("3.0", 4.8)]) == ("3.1", 5.3)
    assert sev.label_band("MODERATE") == "medium" and sev.label_band("Unknown") is None


def test_parsing_does_not_modify_the_input() -> None:
    obj = load("trivy-sbom-input-debian+gems-critical-high.json")
    before = copy.deepcopy(obj)
    parse_obj(obj)
    assert obj == before
