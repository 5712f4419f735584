"""Forged, unsigned and wrongly-signed evidence never passes at production.

End to end through the real CLI (``gatecheck bundle init/add/seal`` and ``gatecheck
evaluate --stage production``), starting from a release whose every evidence file is signed
by the producer a trust policy authorizes for it and which PASSES every enforced control.
Each attack changes one thing, re-seals the bundle as whoever assembles it can, and must
never pass: the file is named by GC-EVD-001 and the control that needs its facts fails.

The evidence is the example release's real tool output (cyclonedx-py, pip-audit, bandit,
pytest, coverage.py) and records, copied into tests/data/authenticity; keys are Ed25519
keys made here.
"""

from __future__ import annotations

import base64
import copy
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ed25519
from trust_support import TrustKit, load_record, subjects_of

from gatecheck.bundles.store import add_evidence, init_bundle, seal_bundle

DATA = Path(__file__).parent / "data" / "authenticity"
GOVERNANCE = Path(__file__).parent / "data" / "governance"
AT = "2026-11-27T10:00:00Z"  # inside the change's planned window; the scan is fresh
SEALED_AT = "1795766400"  # 2026-11-27T08:00:00Z: when the pipeline assembled the bundle
SIGNED_AT = "2026-11-27T07:30:00Z"  # when the producers made their evidence
RELEASE = load_record(DATA / "release-manifest.yaml")
ARTIFACT = RELEASE["artifacts"][0]

PEOPLE = {
    "s.nakamura": (["service-owner"], ["s.nakamura@example.org"]),
    "r.haddad": (["security"], ["r.haddad@example.org"]),
    "p.moreau": (["compliance-officer"], ["p.moreau@example.org"]),
    "k.obi": (["product-owner"], ["k.obi@example.org"]),
    "release-bot": (["deployer"], []),
    "alice": (["security"], ["alice@example.com", "alice-gh"]),
}

# The evidence of the passing release: (file, evidence type, labels). Test suite kinds are
# vouched for inside the statement; the smoke run's stage is a bundle label.
PLAIN_FILES: list[tuple[str, str, dict[str, str]]] = [
    ("change-record.yaml", "change-record", {}),
    ("cmdb-export.yaml", "cmdb-export", {}),
    ("sbom.cdx.json", "sbom", {}),
    ("pip-audit.json", "vulnerability-scan", {}),
    ("bandit.sarif", "sast", {}),
    ("coverage.xml", "coverage", {}),
    ("junit-unit.xml", "test-results", {"kind": "unit"}),
    ("junit-integration.xml", "test-results", {"kind": "integration"}),
    ("junit-smoke.xml", "test-results", {"kind": "smoke", "stage": "staging"}),
    ("env-staging.json", "environment-snapshot", {}),
    ("env-production.json", "environment-snapshot", {}),
    ("segmentation-test.json", "segmentation-test", {}),
    ("pipeline-audit-log.json", "pipeline-audit-log", {}),
    ("performance-summary.yaml", "performance-summary", {}),
    ("pentest-summary.yaml", "pentest-summary", {}),
    ("runbook.yaml", "runbook", {}),
    ("backup-restore-test.json", "backup-restore-test", {}),
    ("rollback-test.yaml", "rollback-test", {}),
    ("monitoring-config.yaml", "monitoring-config", {}),
    ("state-snapshot.json", "state-snapshot", {}),
    ("gitleaks.json", "secret-scan", {}),
    ("deployment-locks.json", "deployment-lock", {}),
    ("rollback-history.json", "rollback-history", {}),
]
# Verified by their own controls (GC-ART-002, GC-ART-007) against the release-signing key.
SELF_VERIFIED = ["artifact-signature.dsse.json", "provenance.slsa.dsse.json"]


def gatecheck(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, "SOURCE_DATE_EPOCH": SEALED_AT, **(env or {})}
    full_env.pop("GATECHECK_DEBUG", None)
    return subprocess.run(
        [sys.executable, "-m", "gatecheck", *args],
        env=full_env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def make_kit() -> TrustKit:
    kit = TrustKit.standard(subjects_of(RELEASE))
    kit.signed_at = SIGNED_AT
    for pid, (roles, aliases) in PEOPLE.items():
        kit.person(pid, roles, aliases)
    return kit


def approval_records() -> list[dict[str, Any]]:
    return [{"kind": "Approval", **a} for a in load_record(DATA / "approvals.yaml")["approvals"]]


def data_clone() -> dict[str, Any]:
    """The governance test data's clone of production data to staging, made last night."""
    clone = json.loads((GOVERNANCE / "data-clones.json").read_text())["clones"][0]
    return {"kind": "DataClone", **clone, "time": "2026-11-26T02:01:44Z"}


def masking_attestation() -> dict[str, Any]:
    """Its masking attestation (GC-ENV-001 wants it at most 30 days old)."""
    return {**load_record(GOVERNANCE / "masking-attestation.yaml"), "time": "2026-11-26T02:14:09Z"}


@dataclass
class Piece:
    """One evidence file to add: its path, the labels to add it with, and its type."""

    path: Path
    type: str
    labels: dict[str, str] = field(default_factory=dict)


@dataclass
class Release:
    """The signed evidence of the passing release, and the configuration trusting it."""

    work: Path
    kit: TrustKit
    pieces: list[Piece]

    def config(self, kit: TrustKit | None = None, **extra: Any) -> Path:
        base = load_record(DATA / "gatecheck.yaml")
        base["trusted_keys"] = [{"path": str(DATA / "release-signing.pub")}]
        merged = {**base, **extra}
        path = self.work / f"gatecheck-{len(list(self.work.glob('gatecheck-*.yaml')))}.yaml"
        return (kit or self.kit).write_config(path, **merged)

    def replace(self, old_type: str, *new: Piece, which: int = 0) -> list[Piece]:
        """The pieces with the ``which``-th of type ``old_type`` swapped for ``new``."""
        found = [i for i, p in enumerate(self.pieces) if p.type == old_type]
        index = found[which]
        return [*self.pieces[:index], *new, *self.pieces[index + 1 :]]


def signed_release(work: Path) -> Release:
    kit = make_kit()
    signed = work / "signed"
    signed.mkdir(parents=True)
    release = kit.attest(
        DATA / "release-manifest.yaml",
        "release-manifest",
        "change-system",
        signed / "release.dsse.json",
    )
    pieces = [Piece(release, "release-manifest")]
    for name, evidence_type, labels in PLAIN_FILES:
        producer = kit.producer_of(evidence_type)
        out = signed / f"{Path(name).stem}.dsse.json"
        kind = labels.get("kind")
        kit.attest(DATA / name, evidence_type, producer, out, kind=kind)
        rest = {k: v for k, v in labels.items() if k != "kind"}
        pieces.append(Piece(out, evidence_type, rest))
    for record in approval_records():
        person = kit.person_named(record["approver"])
        out = signed / f"approval-{person}.dsse.json"
        pieces.append(Piece(kit.attest(record, "approval", person, out), "approval"))
    masking = kit.attest(
        masking_attestation(),
        "masking-attestation",
        "data-ops",
        signed / "masking.dsse.json",
    )
    clone = kit.attest(data_clone(), "data-clone", "data-ops", signed / "clone.dsse.json")
    pieces += [Piece(masking, "masking-attestation"), Piece(clone, "data-clone")]
    pieces += [
        Piece(DATA / name, "signature" if "signature" in name else "provenance")
        for name in SELF_VERIFIED
    ]
    return Release(work, kit, pieces)


def assemble(root: Path, pieces: Iterable[Piece], *, cli: bool = False) -> Path:
    """``bundle init`` / ``add`` / ``seal``: through the CLI, or (the same store functions the
    CLI calls, in this process, to keep the matrix fast) directly."""
    groups: dict[tuple[tuple[str, str], ...], list[Path]] = {}
    for piece in pieces:
        groups.setdefault(tuple(sorted(piece.labels.items())), []).append(piece.path)
    if not cli:
        init_bundle(root, RELEASE["name"], RELEASE["version"])
        for labels, paths in groups.items():
            add_evidence(root, paths, labels=dict(labels))
        seal_bundle(root)
        return root
    ref = f"{RELEASE['name']}@{RELEASE['version']}"
    made = gatecheck("bundle", "init", str(root), "--release", ref)
    assert made.returncode == 0, made.stderr
    for labels, paths in groups.items():
        args = [a for k, v in labels for a in ("--label", f"{k}={v}")]
        added = gatecheck("bundle", "add", str(root), *map(str, paths), *args)
        assert added.returncode == 0, added.stderr
    sealed = gatecheck("bundle", "seal", str(root))
    assert sealed.returncode == 0, sealed.stderr
    return root


def evaluate(root: Path, config: Path, stage: str = "production") -> dict[str, Any]:
    proc = gatecheck(
        "evaluate",
        str(root),
        "--stage",
        stage,
        "--config",
        str(config),
        "--at",
        AT,
        "--format",
        "json",
    )
    assert proc.returncode in (0, 1), proc.stderr
    assert "Traceback" not in proc.stderr
    report = json.loads(proc.stdout)
    report["_exit"] = proc.returncode
    return report


def status(report: dict[str, Any]) -> dict[str, str]:
    return {r["control"]: r["status"] for r in report["results"]}


# -- the attacks -------------------------------------------------------------------------------

# Per evidence type: the file attacked (by source name) and the enforced control that needs it.
NEEDED_BY: dict[str, tuple[str, str | None]] = {
    "release-manifest": ("release.dsse.json", "GC-ART-001"),
    "change-record": ("change-record.dsse.json", "GC-REL-002"),
    "approval": ("approval-r.haddad.dsse.json", "GC-CHG-001"),
    "sbom": ("sbom.cdx.dsse.json", "GC-ART-003"),
    "vulnerability-scan": ("pip-audit.dsse.json", "GC-ART-005"),
    "sast": ("bandit.dsse.json", "GC-ART-006"),
    "test-results": ("junit-unit.dsse.json", "GC-TST-001"),
    "coverage": ("coverage.dsse.json", "GC-TST-002"),
    "masking-attestation": ("masking.dsse.json", "GC-ENV-001"),
    # GC-REL-003 checks CIs against an export only when one is present: only GC-EVD-001 fails.
    "cmdb-export": ("cmdb-export.dsse.json", None),
    "runbook": ("runbook.dsse.json", "GC-RBK-001"),
    "rollback-test": ("rollback-test.dsse.json", "GC-RBK-003"),
    "backup-restore-test": ("backup-restore-test.dsse.json", "GC-RBK-002"),
    "pentest-summary": ("pentest-summary.dsse.json", "GC-TST-004"),
}
PLAIN_SOURCE = {
    "release-manifest": DATA / "release-manifest.yaml",
    "approval": None,  # written from the approval list
    "masking-attestation": None,
    **{evidence_type: DATA / name for name, evidence_type, _ in PLAIN_FILES},
}
PLAIN_SOURCE["test-results"] = DATA / "junit-unit.xml"


@dataclass
class Case:
    pieces: list[Piece]
    config: Path
    stage: str = "production"


def piece_of(release: Release, name: str) -> Piece:
    return next(p for p in release.pieces if p.path.name == name)


def without(release: Release, *names: str) -> list[Piece]:
    return [p for p in release.pieces if p.path.name not in names]


def plain_file(release: Release, evidence_type: str) -> Path:
    """The unsigned form of the attacked file: what the producer's tool wrote."""
    source = PLAIN_SOURCE.get(evidence_type)
    if source is not None:
        return source
    out = release.work / f"plain-{evidence_type}.json"
    record = (
        next(a for a in approval_records() if a["approver"] == "r.haddad@example.org")
        if evidence_type == "approval"
        else masking_attestation()
    )
    out.write_text(json.dumps(record))
    return out


def resigned(release: Release, evidence_type: str, signer: Any, tag: str, **kw: Any) -> Path:
    """The attacked file's content in an attestation signed by ``signer``."""
    name, _ = NEEDED_BY[evidence_type]
    source = plain_file(release, evidence_type)
    labels = (
        next(lb for n, t, lb in PLAIN_FILES if t == evidence_type)
        if evidence_type in {t for _, t, _ in PLAIN_FILES}
        else {}
    )
    if source.suffix == ".json" and evidence_type in ("approval", "masking-attestation"):
        source_value: Any = json.loads(source.read_text())
    else:
        source_value = source
    out = release.work / f"{tag}-{name}"
    return release.kit.attest(
        source_value, evidence_type, signer, out, kind=labels.get("kind"), **kw
    )


def swap(release: Release, evidence_type: str, new: Path) -> list[Piece]:
    name, _ = NEEDED_BY[evidence_type]
    old = piece_of(release, name)
    return [Piece(new, old.type, old.labels) if p is old else p for p in release.pieces]


WRONG_SIGNER = {
    # An approver's key on a scan, the CI key on an approval, and so on: a real key of the
    # trust policy, authorized for something else.
    "approval": "ci-build",
    "vulnerability-scan": "r.haddad",
    "sbom": "s.nakamura",
    "release-manifest": "ci-build",
    "change-record": "ci-build",
    "cmdb-export": "data-ops",
    "masking-attestation": "change-system",
    "runbook": "ci-build",
    "rollback-test": "change-system",
    "backup-restore-test": "r.haddad",
    "pentest-summary": "ci-build",
}
WRONG_SIGNER |= {t: "operations" for t in ("sast", "test-results", "coverage")}

# Each of these unsigned on its own (the others are covered by the all-at-once attacks).
UNSIGNED_ONE_BY_ONE = [t for t in NEEDED_BY if t not in ("backup-restore-test", "pentest-summary")]


def build_cases(release: Release) -> dict[str, Case]:
    kit, config = release.kit, release.config()
    unknown = ed25519.Ed25519PrivateKey.generate()
    cases: dict[str, Case] = {"baseline": Case(release.pieces, config)}
    for evidence_type in UNSIGNED_ONE_BY_ONE:
        cases[f"unsigned:{evidence_type}"] = Case(
            swap(release, evidence_type, plain_file(release, evidence_type)), config
        )
    for attack, signer_of in (
        ("other-type-key", lambda t: WRONG_SIGNER[t]),
        ("unknown-key", lambda t: unknown),
    ):
        # Every file but the release manifest at once (each type's control is checked on its
        # own file below), and the release manifest on its own.
        pieces = release.pieces
        for evidence_type in NEEDED_BY:
            if evidence_type != "release-manifest":
                new = resigned(release, evidence_type, signer_of(evidence_type), attack)
                pieces = [
                    Piece(new, p.type, p.labels)
                    if p.path.name == NEEDED_BY[evidence_type][0]
                    else p
                    for p in pieces
                ]
        cases[f"{attack}:all"] = Case(pieces, config)
        manifest = resigned(release, "release-manifest", signer_of("release-manifest"), attack)
        cases[f"{attack}:release-manifest"] = Case(
            swap(release, "release-manifest", manifest), config
        )

    # Approvals: persons and roles come from the directory and the signature.
    haddad = "approval-r.haddad.dsse.json"
    records = {a["approver"]: a for a in approval_records()}
    security = records["r.haddad@example.org"]
    work = release.work

    def approval(record: dict[str, Any], signer: Any, tag: str) -> Piece:
        return Piece(kit.attest(record, "approval", signer, work / f"{tag}.dsse.json"), "approval")

    cases["approval:signer-lacks-role"] = Case(
        [
            *without(release, haddad),
            approval(
                {**security, "approver": "k.obi@example.org"}, "k.obi", "kobi-claims-security"
            ),
        ],
        config,
    )
    cases["approval:signed-by-one-naming-another"] = Case(
        [*without(release, haddad), approval(security, "k.obi", "kobi-signs-haddad")], config
    )
    # r.haddad under two keys approves twice, in place of s.nakamura: one approver.
    two_keys = copy.deepcopy(kit)
    second = ed25519.Ed25519PrivateKey.generate()
    two_keys.people["r.haddad"]["keys"].append(second)
    owner = {**records["s.nakamura@example.org"], "approver": "r.haddad@example.org"}
    cases["approval:one-person-two-keys"] = Case(
        [
            *without(release, "approval-s.nakamura.dsse.json"),
            approval(owner, second, "haddad-key-2"),
        ],
        release.config(two_keys),
    )
    # ... and under a key and an alias: a review collector vouches for "R.Haddad@Example.org".
    collector = copy.deepcopy(kit)
    collector.producer("review-collector", ["approval"])
    alias_owner = {**owner, "approver": "R.Haddad@Example.org"}
    cases["approval:one-person-key-and-alias"] = Case(
        [
            *without(release, "approval-s.nakamura.dsse.json"),
            Piece(
                collector.attest(
                    alias_owner, "approval", "review-collector", work / "collected.dsse.json"
                ),
                "approval",
            ),
        ],
        release.config(collector),
    )
    # A Cyrillic look-alike of alice is nobody: a collected approval naming it does not count.
    lookalike = {**security, "approver": "\u0430lice@example.com"}
    cases["approval:lookalike-is-nobody"] = Case(
        [
            *without(release, haddad),
            Piece(
                collector.attest(
                    lookalike, "approval", "review-collector", work / "lookalike.dsse.json"
                ),
                "approval",
            ),
        ],
        release.config(collector),
    )

    # Subjects and time.
    other_subject = [{"name": ARTIFACT["name"], "digest": {"sha256": "5e" * 32}}]
    for evidence_type in ("sbom", "approval", "vulnerability-scan"):
        signer = "r.haddad" if evidence_type == "approval" else kit.producer_of(evidence_type)
        new = resigned(release, evidence_type, signer, "other-subject", subjects=other_subject)
        cases[f"other-subject:{evidence_type}"] = Case(swap(release, evidence_type, new), config)
    for evidence_type in ("coverage", "vulnerability-scan"):
        new = resigned(
            release,
            evidence_type,
            kit.producer_of(evidence_type),
            "late",
            timestamp="2026-11-27T10:00:01Z",
        )
        cases[f"made-after-effective-time:{evidence_type}"] = Case(
            swap(release, evidence_type, new), config
        )

    # Separation of duties by identity, not spelling.
    for tag, author in (("case", "Alice@Example.com"), ("cyrillic", "\u0430lice@example.com")):
        change = {**load_record(DATA / "change-record.yaml"), "authors": [author, "d.chen"]}
        record = kit.attest(
            change, "change-record", "change-system", work / f"change-{tag}.dsse.json"
        )
        alice = approval({**security, "approver": "alice", "type": "cab"}, "alice", f"alice-{tag}")
        cases[f"author-spelling:{tag}"] = Case(
            [*swap(release, "change-record", record), alice], config
        )

    # At staging the unsigned file counts; the report says it was not authenticated.
    cases["staging:unsigned-sbom"] = Case(cases["unsigned:sbom"].pieces, config, stage="staging")
    return cases


def run_case(root: Path, case: Case) -> dict[str, Any]:
    assemble(root, case.pieces)
    return evaluate(root, case.config, case.stage)


@pytest.fixture(scope="module")
def release(tmp_path_factory: pytest.TempPathFactory) -> Release:
    return signed_release(tmp_path_factory.mktemp("authenticity"))


@pytest.fixture(scope="module")
def reports(release: Release) -> dict[str, dict[str, Any]]:
    """Every case assembled and evaluated at once (evaluations in parallel processes)."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SOURCE_DATE_EPOCH", SEALED_AT)
        cases = build_cases(release)
        roots = {name: release.work / "bundles" / name.replace(":", "--") for name in cases}
        for name, case in cases.items():
            assemble(roots[name], case.pieces)
    with ThreadPoolExecutor(max_workers=4) as pool:
        futures = {
            name: pool.submit(evaluate, roots[name], case.config, case.stage)
            for name, case in cases.items()
        }
        return {name: future.result() for name, future in futures.items()}


def result(report: dict[str, Any], control: str) -> dict[str, Any]:
    return next(r for r in report["results"] if r["control"] == control)


def never_passes(report: dict[str, Any]) -> None:
    assert report["decision"] != "pass" and report["_exit"] != 0


def evd_names(report: dict[str, Any], name: str) -> str:
    """The GC-EVD-001 failure message naming the file added as ``name``."""
    evd = result(report, "GC-EVD-001")
    assert evd["status"] == "fail", evd
    found = [m for m in evd["messages"] if f" {name} (evidence/" in m]
    assert len(found) == 1, (name, evd["messages"])
    return found[0]


# -- the passing release -------------------------------------------------------------------------


def test_the_release_signed_by_its_producers_passes_at_production(
    reports: dict[str, dict[str, Any]],
) -> None:
    report = reports["baseline"]
    assert report["decision"] == "pass", [
        (r["control"], r["messages"]) for r in report["results"] if r["status"] == "fail"
    ]
    statuses = status(report)
    needed = {c for _, c in NEEDED_BY.values() if c}
    assert {statuses[c] for c in needed} == {"pass"}
    assert statuses["GC-EVD-001"] == "pass"
    files = report["authenticity"]["evidence"]
    assert report["authenticity"]["required"] is True
    assert all(f["authenticated"] and not f["excluded"] for f in files)
    producers = {f["name"]: f["producer"] for f in files}
    assert producers["sbom.cdx.dsse.json"] == "ci-build"
    assert producers["approval-r.haddad.dsse.json"] == "r.haddad"
    assert producers["release.dsse.json"] == "change-system"
    assert producers["runbook.dsse.json"] == "operations"
    people = {a["person"]: a["roles"] for a in report["authenticity"]["approvals"]}
    assert people["r.haddad"] == ["security"]


# -- per evidence type: unsigned, signed by a key for another type, by an unknown key --------


@pytest.mark.parametrize("evidence_type", UNSIGNED_ONE_BY_ONE)
def test_an_unsigned_file_is_excluded_and_the_control_needing_it_fails(
    reports: dict[str, dict[str, Any]], evidence_type: str
) -> None:
    report = reports[f"unsigned:{evidence_type}"]
    never_passes(report)
    plain = PLAIN_SOURCE.get(evidence_type)
    name = plain.name if plain else f"plain-{evidence_type}.json"
    assert "not signed: a plain file" in evd_names(report, name)
    control = NEEDED_BY[evidence_type][1]
    if control:
        assert result(report, control)["status"] == "fail"


@pytest.mark.parametrize("attack", ["other-type-key", "unknown-key"])
@pytest.mark.parametrize("evidence_type", list(NEEDED_BY))
def test_a_file_signed_by_a_key_not_authorized_for_its_type_never_counts(
    reports: dict[str, dict[str, Any]], attack: str, evidence_type: str
) -> None:
    which = "release-manifest" if evidence_type == "release-manifest" else "all"
    report = reports[f"{attack}:{which}"]
    never_passes(report)
    message = evd_names(report, f"{attack}-{NEEDED_BY[evidence_type][0]}")
    if attack == "unknown-key":
        assert "does not verify against the trust policy" in message
    else:
        signer = WRONG_SIGNER[evidence_type]
        owner = f"person:{signer}" if signer in PEOPLE else f"producer:{signer}"
        assert f"({owner}), whom the trust policy does not authorize for {evidence_type}" in message
    control = NEEDED_BY[evidence_type][1]
    if control:
        assert result(report, control)["status"] == "fail"


# -- approvals: the person and roles come from the directory and the signature ----------------


def test_an_approval_by_a_person_lacking_the_role_fails_whatever_roles_it_claims(
    reports: dict[str, dict[str, Any]],
) -> None:
    report = reports["approval:signer-lacks-role"]
    never_passes(report)
    assert status(report)["GC-EVD-001"] == "pass"  # k.obi signed it: authentic, not enough
    assert result(report, "GC-CHG-001")["messages"] == [
        'no valid approval by the required role "security" for this major medium-risk release'
    ]
    kobi = [a for a in report["authenticity"]["approvals"] if a["person"] == "k.obi"]
    assert {tuple(a["roles"]) for a in kobi} == {("product-owner",)}


@pytest.mark.parametrize("case", ["one-person-two-keys", "one-person-key-and-alias"])
def test_one_person_under_two_identities_is_one_approver(
    reports: dict[str, dict[str, Any]], case: str
) -> None:
    report = reports[f"approval:{case}"]
    never_passes(report)
    assert status(report)["GC-EVD-001"] == "pass"
    assert result(report, "GC-CHG-001")["messages"][0] == (
        "major medium-risk release needs 2 distinct approver(s); 1 valid approval(s) found "
        "(r.haddad)"
    )
    haddad = [a for a in report["authenticity"]["approvals"] if a["person"] == "r.haddad"]
    assert len(haddad) == 2 and len({a["identity"] for a in haddad}) == 2


def test_an_approval_signed_by_one_person_naming_another_counts_for_nobody(
    reports: dict[str, dict[str, Any]],
) -> None:
    report = reports["approval:signed-by-one-naming-another"]
    never_passes(report)
    assert 'required role "security"' in result(report, "GC-CHG-001")["messages"][-1]
    forged = [
        a
        for a in report["authenticity"]["approvals"]
        if a["claimed_approver"] == "r.haddad@example.org"
    ]
    assert [(a["person"], a["roles"], a["authenticated"]) for a in forged] == [(None, [], True)]


def test_a_look_alike_name_is_nobody(reports: dict[str, dict[str, Any]]) -> None:
    report = reports["approval:lookalike-is-nobody"]
    never_passes(report)
    assert 'required role "security"' in result(report, "GC-CHG-001")["messages"][-1]
    (lookalike,) = [
        a
        for a in report["authenticity"]["approvals"]
        if a["claimed_approver"] == "\u0430lice@example.com"
    ]
    assert lookalike["person"] is None and lookalike["authenticated"] is True


def test_separation_of_duties_compares_persons_not_spellings(
    reports: dict[str, dict[str, Any]],
) -> None:
    # Alice@Example.com wrote the change; alice approved it: the same person.
    same = reports["author-spelling:case"]
    never_passes(same)
    assert result(same, "GC-CHG-002")["messages"] == [
        "alice approved change CHG0041702 that they authored"
    ]
    # A Cyrillic look-alike author is someone else: alice's approval is independent.
    other = reports["author-spelling:cyrillic"]
    assert status(other)["GC-CHG-002"] == "pass"
    assert other["decision"] == "pass"


# -- subjects and time -----------------------------------------------------------------------


@pytest.mark.parametrize("evidence_type", ["sbom", "approval", "vulnerability-scan"])
def test_an_attestation_about_another_artifact_never_counts(
    reports: dict[str, dict[str, Any]], evidence_type: str
) -> None:
    report = reports[f"other-subject:{evidence_type}"]
    never_passes(report)
    name, control = NEEDED_BY[evidence_type]
    assert "its subjects are not this release's artifacts" in evd_names(
        report, f"other-subject-{name}"
    )
    assert result(report, control or "GC-EVD-001")["status"] == "fail"


@pytest.mark.parametrize("evidence_type", ["coverage", "vulnerability-scan"])
def test_an_attestation_made_after_the_effective_time_never_counts(
    reports: dict[str, dict[str, Any]], evidence_type: str
) -> None:
    report = reports[f"made-after-effective-time:{evidence_type}"]
    never_passes(report)
    name, control = NEEDED_BY[evidence_type]
    message = evd_names(report, f"late-{name}")
    assert "made at 2026-11-27T10:00:01Z, after the effective time" in message
    assert result(report, control or "GC-EVD-001")["status"] == "fail"


# -- staging -----------------------------------------------------------------------------------


def test_at_staging_an_unsigned_file_counts_and_is_reported_unauthenticated(
    reports: dict[str, dict[str, Any]],
) -> None:
    report = reports["staging:unsigned-sbom"]
    assert report["authenticity"]["required"] is False
    (sbom,) = [e for e in report["authenticity"]["evidence"] if e["type"] == "sbom"]
    assert sbom["authenticated"] is False and sbom["excluded"] is False
    assert sbom["name"] == "sbom.cdx.json" and sbom["producer"] is None
    evd = result(report, "GC-EVD-001")
    assert evd["status"] == "warn"
    assert "sbom evidence sbom.cdx.json" in evd["messages"][0]
    assert status(report)["GC-ART-003"] == "pass"  # its facts counted


# -- an adversary re-sealing a bundle --------------------------------------------------------


def unseal(sealed: Path, copy_to: Path) -> Path:
    """What whoever holds a sealed bundle can do: copy it and mark it a draft again."""
    shutil.copytree(sealed, copy_to)
    manifest = json.loads((copy_to / "manifest.json").read_text())
    manifest.update(state="draft", sealed_at=None, digest=None)
    (copy_to / "manifest.json").write_text(json.dumps(manifest))
    return copy_to


def test_an_adversary_resealing_forged_evidence_never_passes(
    release: Release, tmp_path: Path
) -> None:
    env = {"SOURCE_DATE_EPOCH": SEALED_AT}
    # The pipeline's bundle without the security approval: fails GC-CHG-001.
    honest = assemble(
        tmp_path / "honest", without(release, "approval-r.haddad.dsse.json"), cli=True
    )
    assert result(evaluate(honest, release.config()), "GC-CHG-001")["status"] == "fail"
    # Append a hand-written security approval, re-seal with gatecheck itself.
    forged = tmp_path / "approval.json"
    forged.write_text(
        json.dumps(next(a for a in approval_records() if a["approver"] == "r.haddad@example.org"))
    )
    resealed = unseal(honest, tmp_path / "forged-approval")
    assert gatecheck("bundle", "add", str(resealed), str(forged), env=env).returncode == 0
    sealed = gatecheck("bundle", "seal", str(resealed), env=env)
    assert sealed.returncode == 0, sealed.stderr
    assert gatecheck("bundle", "verify", str(resealed)).returncode == 0  # the seal is fine
    report = evaluate(resealed, release.config())
    never_passes(report)
    assert result(report, "GC-CHG-001")["status"] == "fail"
    assert "not signed: a plain file" in evd_names(report, "approval.json")

    # Swap a vulnerable scan, signed by CI, for a hand-written clean one.
    vulnerable = release.kit.attest(
        Path(__file__).parent / "data" / "vulnscan" / "pip-audit-2-vulns-with-desc.json",
        "vulnerability-scan",
        "ci-build",
        tmp_path / "vulnerable.dsse.json",
    )
    scan_pieces = swap(release, "vulnerability-scan", vulnerable)
    failing = assemble(tmp_path / "vulnerable", scan_pieces, cli=True)
    assert result(evaluate(failing, release.config()), "GC-ART-005")["status"] == "fail"
    swapped = unseal(failing, tmp_path / "swapped-scan")
    manifest = json.loads((swapped / "manifest.json").read_text())
    entry = next(e for e in manifest["evidence"] if e["type"] == "vulnerability-scan")
    manifest["evidence"].remove(entry)
    (swapped / entry["path"]).unlink()
    (swapped / "manifest.json").write_text(json.dumps(manifest))
    clean = tmp_path / "pip-audit.json"
    clean.write_text(json.dumps({"dependencies": [], "fixes": []}))
    assert gatecheck("bundle", "add", str(swapped), str(clean), env=env).returncode == 0
    assert gatecheck("bundle", "seal", str(swapped), env=env).returncode == 0
    report = evaluate(swapped, release.config())
    never_passes(report)
    assert result(report, "GC-ART-005")["status"] == "fail"
    assert "not signed: a plain file" in evd_names(report, "pip-audit.json")


# -- what cannot be waived -------------------------------------------------------------------


@pytest.mark.parametrize("control", ["GC-EVD-001", "GC-ART-002", "GC-ART-007"])
def test_a_waiver_for_an_authenticity_control_is_refused(
    release: Release, reports: dict[str, dict[str, Any]], control: str
) -> None:
    waiver = {
        "control": control,
        "scope": {"release": RELEASE["name"]},
        "justification": "the producer forgot to sign it",
        "approver": "r.haddad@example.org",
        "granted": "2026-03-01T00:00:00Z",
        "expires": "2026-04-01T00:00:00Z",
    }
    config = release.config(waivers=[waiver])
    root = release.work / "bundles" / "unsigned--sbom"
    proc = gatecheck(
        "evaluate", str(root), "--stage", "production", "--config", str(config), "--at", AT
    )
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr
    assert f"{control} is not waivable" in proc.stderr and "waiver for" in proc.stderr


# -- malformed attestations -------------------------------------------------------------------


def envelope_of(release: Release, statement: dict[str, Any], payload_type: str) -> bytes:
    """A DSSE envelope around ``statement`` with ``payload_type``, signed by the CI key."""
    from gatecheck.evidence.signing import dsse

    payload = json.dumps(statement).encode()
    return dsse.sign(payload, payload_type, release.kit.key("ci-build")).to_json()


def sbom_statement(release: Release) -> dict[str, Any]:
    return release.kit.statement((DATA / "sbom.cdx.json").read_bytes(), "sbom", name="sbom.json")


def test_an_attestation_without_a_subject_is_refused_at_bundle_add(
    release: Release, tmp_path: Path
) -> None:
    statement = {**sbom_statement(release), "subject": []}
    bad = tmp_path / "no-subject.dsse.json"
    bad.write_bytes(envelope_of(release, statement, "application/vnd.in-toto+json"))
    root = tmp_path / "draft"
    ref = f"{RELEASE['name']}@{RELEASE['version']}"
    assert gatecheck("bundle", "init", str(root), "--release", ref).returncode == 0
    proc = gatecheck("bundle", "add", str(root), str(bad))
    assert proc.returncode == 2
    assert (
        proc.stderr
        == "gatecheck: error: no-subject.dsse.json: attestation has no subject with a digest\n"
    )


def test_an_attestation_with_a_wrong_payload_type_or_garbage_signature_never_counts(
    release: Release, tmp_path: Path
) -> None:
    statement = sbom_statement(release)
    wrong_type = tmp_path / "wrong-type.dsse.json"
    wrong_type.write_bytes(envelope_of(release, statement, "application/json"))
    garbage = tmp_path / "garbage-signature.dsse.json"
    envelope = json.loads(envelope_of(release, statement, "application/vnd.in-toto+json"))
    envelope["signatures"][0]["sig"] = base64.b64encode(b"\x00" * 64).decode()
    garbage.write_text(json.dumps(envelope))
    outcomes = {}
    for bad in (wrong_type, garbage):
        root = tmp_path / f"bundle-{bad.stem}"
        ref = f"{RELEASE['name']}@{RELEASE['version']}"
        assert gatecheck("bundle", "init", str(root), "--release", ref).returncode == 0
        pieces = [p for p in release.pieces if p.type != "sbom"]
        add = gatecheck("bundle", "add", str(root), str(bad), env={"SOURCE_DATE_EPOCH": SEALED_AT})
        assert "Traceback" not in add.stderr
        if add.returncode == 2:  # a clear one-line refusal
            assert add.stderr.startswith("gatecheck: error: ") and add.stderr.count("\n") == 1
            outcomes[bad.name] = "refused"
            continue
        assert add.returncode == 0, add.stderr
        groups: dict[tuple[tuple[str, str], ...], list[Path]] = {}
        for piece in pieces:
            groups.setdefault(tuple(sorted(piece.labels.items())), []).append(piece.path)
        for labels, paths in groups.items():
            add_evidence(root, paths, labels=dict(labels))
        assert gatecheck("bundle", "seal", str(root)).returncode == 0
        report = evaluate(root, release.config())
        never_passes(report)
        # Never an SBOM fact: GC-ART-003 fails for want of one.
        assert result(report, "GC-ART-003")["status"] == "fail"
        (entry,) = [e for e in report["authenticity"]["evidence"] if e["name"] == bad.name]
        if entry["type"] == "sbom":
            assert entry["authenticated"] is False and entry["excluded"] is True
            assert "does not verify against the trust policy" in evd_names(report, bad.name)
            outcomes[bad.name] = "unauthenticated"
        else:
            # Not an in-toto payload: not an attestation at all, so read as a generic
            # artifact signature, which GC-ART-002 judges against its own signer list.
            assert entry["type"] == "signature"
            outcomes[bad.name] = "not an attestation"
    assert outcomes["garbage-signature.dsse.json"] == "unauthenticated"
    assert outcomes["wrong-type.dsse.json"] in ("refused", "not an attestation")
    assert set(outcomes) == {"wrong-type.dsse.json", "garbage-signature.dsse.json"}
