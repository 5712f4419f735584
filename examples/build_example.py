"""Build the example release bundle and its failing variants from real tool output.

    python examples/build_example.py            # rewrites examples/evidence, bundles, keys

What it does, for payments-api 1.4.0 (a major, medium-risk release of examples/app):
- builds the artifact (a wheel) and takes its sha256 as the release's artifact digest;
- runs the real tools: cyclonedx-py (SBOM of an environment with the app's pinned
  dependencies), pip-audit through `gatecheck collect pip-audit` against a local OSV API
  serving real OSV records, bandit (SARIF), pytest (JUnit, per suite kind), coverage and
  gitleaks (secret scan of the app's source; a Go program: `go install
  github.com/zricethezav/gitleaks/v8@v8.30.1`);
- writes gatecheck's own records (release manifest, change record, one approval per approver,
  lifecycle records) and signs the artifact statement and the SLSA provenance with a freshly
  generated Ed25519 key whose private half is discarded (only the public key is kept, for the
  config);
- has every other file vouched for by the identity that would make it in a real organization
  (PRODUCERS: the CI job for tool output, the change system for the change record and release
  manifest, ...; each approver for their own approval): an in-toto attestation about the
  release's artifact, DSSE-signed with that identity's freshly generated Ed25519 key (private
  halves discarded, public keys written to examples/keys/ and named by the trust policy in
  examples/gatecheck.yaml); the readable originals stay in examples/evidence, the signed files
  sealed into the bundle are in examples/attestations;
- seals everything into examples/payments-api-1.4.0 and makes the failing variants under
  examples/variants/.

Bundle times are pinned with SOURCE_DATE_EPOCH so evaluations at the documented effective
time (`--at 2026-11-27T10:00:00Z`) are reproducible. It needs network access to PyPI (for the
SBOM's environment) and the `test` extra installed.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import venv
from pathlib import Path

import yaml
from cryptography.hazmat.primitives.asymmetric import ed25519

from gatecheck.bundles.store import add_evidence, init_bundle, seal_bundle
from gatecheck.digest import canonical_json
from gatecheck.engine.attest import approval_statement, attest_file, file_subject
from gatecheck.engine.signing import KeySigner
from gatecheck.evidence.signing import attestation
from gatecheck.evidence.signing import dsse
from gatecheck.evidence.signing import keys
from gatecheck.evidence.records.lifecycle import chain_events

HERE = Path(__file__).resolve().parent
APP = HERE / "app"
EVIDENCE = HERE / "evidence"
ATTESTATIONS = HERE / "attestations"
NAME, VERSION = "payments-api", "1.4.0"
CHANGE_ID = "CHG0041702"
REPO = "https://github.com/example-org/payments-api"
BUILDER = "https://github.com/example-org/payments-api/.github/workflows/release.yml@refs/tags/v1.4.0"
WHEEL = f"payments_api-{VERSION}-py3-none-any.whl"
BUNDLE_TIME = "1795766400"  # 2026-11-27T08:00:00Z: when the release pipeline sealed the bundle
DEPENDENCIES = ["idna==3.10", "certifi==2024.8.30"]
VULNERABLE_DEPENDENCIES = ["idna==3.6", "certifi==2024.8.30"]  # idna 3.6: PYSEC-2024-60

# Who vouches for what: each producer signs only the evidence types listed (the trust policy
# in gatecheck.yaml authorizes exactly these), each approver only their own approval.
PRODUCERS: dict[str, list[str]] = {
    "ci-build": ["sbom", "vulnerability-scan", "sast", "test-results", "coverage", "secret-scan"],
    "change-system": ["change-record", "release-manifest"],
    "cmdb": ["cmdb-export"],
    "release-pipeline": ["pipeline-audit-log", "state-snapshot", "rollback-test", "deployment-lock",
                         "rollback-history"],
    "sre-platform": ["environment-snapshot", "performance-summary", "monitoring-config", "runbook",
                     "backup-restore-test"],
    "security-testing": ["segmentation-test", "pentest-summary"],
}
# The directory: everyone the example's evidence names, with the roles the organization gave
# them. Approvers sign with their own keys; the others are named in signed records.
PEOPLE: list[dict] = [
    {"id": "s.nakamura", "roles": ["service-owner"], "approves": "cab", "time": "2026-11-25T16:20:00Z",
     "comment": "Capacity plan reviewed at CAB."},
    {"id": "r.haddad", "roles": ["security"], "approves": "cab", "time": "2026-11-25T16:25:00Z"},
    {"id": "p.moreau", "roles": ["compliance-officer"], "approves": "compliance", "time": "2026-11-26T09:10:00Z"},
    {"id": "k.obi", "roles": ["product-owner"], "approves": "uat", "time": "2026-11-26T11:00:00Z",
     "comment": "UAT passed in staging."},
    {"id": "m.lindqvist", "roles": ["change-requester"]},
    {"id": "a.ferreira", "roles": ["developer"]},
    {"id": "d.chen", "roles": ["developer"]},
    {"id": "release-bot", "roles": ["deployer"], "aliases": []},  # the release pipeline's deploy identity
]
APPROVERS = [p["id"] for p in PEOPLE if "approves" in p]
# When each producer made its output (inside the signed statement; never after the effective
# time), matching the release pipeline's audit log.
PRODUCED_AT = {"unit": "2026-11-27T07:06:40Z", "integration": "2026-11-27T07:06:40Z",
               "smoke": "2026-11-27T07:35:12Z", "scan": "2026-11-27T07:12:05Z",
               "default": "2026-11-27T07:15:00Z"}


def run(*cmd: str, cwd: Path | None = None, env: dict[str, str] | None = None) -> None:
    subprocess.run(cmd, cwd=cwd, check=True, env={**os.environ, **(env or {})})


def write_yaml(path: Path, value: object) -> Path:
    path.write_text(yaml.safe_dump(value, sort_keys=False), encoding="utf-8")
    return path


def write_json(path: Path, value: object) -> Path:
    path.write_text(json.dumps(value, indent=2) + "\n", encoding="utf-8")
    return path


def build_artifact(work: Path) -> str:
    run(sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(work / "dist"),
        str(APP), env={"SOURCE_DATE_EPOCH": BUNDLE_TIME})
    wheel = next((work / "dist").glob("payments_api-1.4.0-*.whl"))
    return hashlib.sha256(wheel.read_bytes()).hexdigest()


def make_sbom(work: Path, dependencies: list[str], out: Path) -> Path:
    """CycloneDX 1.6 JSON of an environment holding exactly the app's pinned dependencies."""
    env_dir = work / f"env-{out.stem}"
    venv.create(env_dir, with_pip=False)
    python = env_dir / "bin" / "python"
    run(sys.executable, "-m", "pip", "--python", str(python), "install", "-q", "--no-deps", *dependencies)
    run(sys.executable, "-m", "cyclonedx_py", "environment", str(python), "--pyproject", str(APP / "pyproject.toml"), "--sv", "1.6",
        "--output-reproducible", "-o", str(out), env={"SOURCE_DATE_EPOCH": "1795755600"})
    return out


def make_scan(work: Path, dependencies: list[str], out: Path) -> Path:
    sys.path.insert(0, str(HERE.parent / "tests"))
    from osv_server import OsvServer

    requirements = work / f"requirements-{out.stem}.txt"
    requirements.write_text("\n".join(dependencies) + "\n", encoding="utf-8")
    server = OsvServer(HERE.parent / "tests" / "data" / "vulnscan" / "osv").start()
    try:
        proc = subprocess.run([sys.executable, "-m", "gatecheck", "collect", "pip-audit", "-r", str(requirements),
                               "--no-deps", "--osv-url", server.url, "-o", str(out)], check=False)
    finally:
        server.stop()
    if proc.returncode not in (0, 1) or not out.exists():
        raise SystemExit("pip-audit collection failed")
    return out


def make_tests(work: Path) -> list[tuple[Path, str]]:
    project = work / "app"
    shutil.copytree(APP, project)
    env = {"PYTHONPATH": str(project / "src"), "COVERAGE_FILE": str(work / ".coverage")}
    outputs = []
    for kind in ("unit", "integration", "smoke"):
        out = EVIDENCE / f"junit-{kind}.xml"
        run(sys.executable, "-m", "coverage", "run", "--append", "--branch", "--source", "src", "-m", "pytest", "-q",
            "-p", "no:cacheprovider", f"tests/{kind}", f"--junitxml={out}", "-o", f"junit_suite_name={kind}",
            cwd=project, env=env)
        outputs.append((out, kind))
    run(sys.executable, "-m", "coverage", "xml", "-o", str(EVIDENCE / "coverage.xml"), cwd=project, env=env)
    run(sys.executable, "-m", "bandit", "-q", "-r", "src", "-f", "sarif", "-o", str(EVIDENCE / "bandit.sarif"), cwd=project)
    # gitleaks is a Go program: go install github.com/zricethezav/gitleaks/v8@v8.30.1
    gitleaks = shutil.which("gitleaks") or str(Path.home() / "go" / "bin" / "gitleaks")
    run(gitleaks, "dir", ".", "--no-banner", "--report-format", "json", "--report-path",
        str(EVIDENCE / "gitleaks.json"), cwd=project)
    return outputs


def statement(subject_digest: str, predicate_type: str, predicate: dict) -> bytes:
    return json.dumps({
        "_type": "https://in-toto.io/Statement/v1",
        "subject": [{"name": WHEEL, "digest": {"sha256": subject_digest}}],
        "predicateType": predicate_type,
        "predicate": predicate,
    }, sort_keys=True).encode()


def make_keys() -> dict[str, keys.PrivateKey]:
    """A fresh Ed25519 key per producer and approver; only the public halves are kept."""
    (HERE / "keys").mkdir(exist_ok=True)
    made = {}
    for name in [*PRODUCERS, *APPROVERS]:
        made[name] = ed25519.Ed25519PrivateKey.generate()
        (HERE / "keys" / f"{name}.pub").write_text(keys.public_key_pem(made[name]), encoding="utf-8")
    return made


def attest(source: Path, evidence_type: str, key: keys.PrivateKey, digest: str, out_dir: Path,
           kind: str | None = None, scanned_sbom: Path | None = None) -> Path:
    """``gatecheck attest`` of one file: the file, unchanged, in a statement about the wheel."""
    subjects = [attestation.subject_from_digest(WHEEL, f"sha256:{digest}")]
    if scanned_sbom is not None:
        subjects.append(file_subject(scanned_sbom))
    when = PRODUCED_AT.get(kind or ("scan" if evidence_type == "vulnerability-scan" else ""),
                           PRODUCED_AT["default"])
    data = attest_file(source, evidence_type, subjects=subjects, signer=KeySigner(key), timestamp=when, kind=kind)
    out = out_dir / f"{source.name}.dsse.json"
    out.write_bytes(data)
    return out


def approval(person: dict, key: keys.PrivateKey, digest: str, out_dir: Path) -> Path:
    """``gatecheck approve``: the approver's own signed decision (no roles: the directory has them)."""
    record = approval_statement(
        approver=f"{person['id']}@example.org", decision="approved", approval_type=person["approves"],
        change_id=CHANGE_ID, release_version=VERSION, timestamp=person["time"],
        subjects=[attestation.subject_from_digest(WHEEL, f"sha256:{digest}")], comment=person.get("comment"))
    write_yaml(EVIDENCE / f"approval-{person['id']}.yaml", record["predicate"])
    out = out_dir / f"approval-{person['id']}.yaml.dsse.json"
    out.write_bytes(KeySigner(key).sign([canonical_json(record)])[0])
    return out


def make_signatures(digest: str) -> str:
    """Sign the release statement and the provenance; keep only the public key."""
    key = ed25519.Ed25519PrivateKey.generate()
    (HERE / "keys").mkdir(exist_ok=True)
    (HERE / "keys" / "release-signing.pub").write_text(keys.public_key_pem(key), encoding="utf-8")
    release = statement(digest, "https://in-toto.io/attestation/release/v0.1",
                        {"purl": f"pkg:pypi/payments-api@{VERSION}", "releaseId": CHANGE_ID})
    (EVIDENCE / "artifact-signature.dsse.json").write_bytes(
        dsse.sign(release, "application/vnd.in-toto+json", key).to_json())
    provenance = statement(digest, "https://slsa.dev/provenance/v1", {
        "buildDefinition": {
            "buildType": "https://actions.github.io/buildtypes/workflow/v1",
            "externalParameters": {"workflow": {"ref": "refs/tags/v1.4.0", "repository": REPO,
                                                "path": ".github/workflows/release.yml"}},
            "resolvedDependencies": [{"uri": f"git+{REPO}@refs/tags/v1.4.0",
                                      "digest": {"gitCommit": "3f2a9c41d07e5b8a6c1e9d2f4b7a0c3e5d8f1a2b"}}],
        },
        "runDetails": {"builder": {"id": BUILDER},
                       "metadata": {"invocationId": "https://github.com/example-org/payments-api/actions/runs/9412"}},
    })
    (EVIDENCE / "provenance.slsa.dsse.json").write_bytes(
        dsse.sign(provenance, "application/vnd.in-toto+json", key).to_json())
    return keys.key_id(key)


def release_manifest(digest: str) -> dict:
    return {
        "apiVersion": "gatecheck.dev/v1", "kind": "ReleaseManifest", "name": NAME, "version": VERSION,
        "class": "major", "risk": "medium", "change_id": CHANGE_ID, "source_repository": REPO,
        "artifacts": [{
            "name": NAME, "version": VERSION, "digest": f"sha256:{digest}", "ci_id": "CI-PAY-0042",
            "regulated": ["pci"],
            "audit_logging": {"enabled": True, "attested_by": "j.okafor@example.org",
                              "attested_at": "2026-11-24T10:15:00Z",
                              "reference": "https://wiki.example.org/payments/audit-logging"},
        }],
        "service": {"name": "payments", "availability": "high", "tier": 1},
        "deployment": {"strategy": "canary", "initiator": "release-bot", "initiator_roles": ["deployer"],
                       "environment": "production"},
        "rollback": {"error_rate": 0.02, "latency_p95_ms": 450, "latency_p99_ms": 900},
        "health_checks": ["https://payments.example.org/healthz"],
        "monitors": ["payments-5xx-rate", "payments-p95-latency"],
        "data_migration": False,
        "feature_freeze": "2026-11-20T17:00:00Z",
        "changes": [
            {"id": "example-org/payments-api#212", "title": "Idempotency keys for transfers",
             "merged_at": "2026-11-17T13:42:10Z", "author": "a.ferreira"},
            {"id": "example-org/payments-api#215", "title": "IDNA merchant host names",
             "merged_at": "2026-11-19T09:05:33Z", "author": "d.chen"},
        ],
        "snapshots": {"config_snapshot_id": "consul-kv:payments/2026-11-27T07-40Z",
                      "data_snapshot_id": "rds:payments-db-pre-1-4-0", "taken_at": "2026-11-27T07:40:00Z"},
    }


def governance_records() -> dict[str, dict]:
    return {
        "change-record.yaml": {
            "apiVersion": "gatecheck.dev/v1", "kind": "ChangeRecord", "id": CHANGE_ID,
            "title": "payments-api 1.4 - idempotent transfers and IDNA merchant hosts",
            "release": {"name": NAME, "version": VERSION}, "status": "approved",
            "requester": "m.lindqvist@example.org", "authors": ["a.ferreira", "d.chen"],
            "planned_window": {"start": "2026-11-27T09:00:00Z", "end": "2026-11-27T12:00:00Z"},
            "created_at": "2026-11-20T14:02:11Z",
        },
        "cmdb-export.yaml": {
            "apiVersion": "gatecheck.dev/v1", "kind": "CmdbExport", "system": "https://cmdb.example.org",
            "exported_at": "2026-11-27T06:00:00Z",
            "items": [{"id": "CI-PAY-0042", "name": NAME, "class": "application", "environment": "production",
                       "status": "operational"}],
        },
    }


def lifecycle_records(digest: str) -> dict[str, dict]:
    parity = {"runtime": "python-3.11.9",
              "base_image": "ghcr.io/example-org/python-base@sha256:" + "9b2f6b7c4e0d8a1f" * 4,
              "iac_modules": {"network": "v1.4.0", "postgres": "v2.1.0", "service": "v3.2.0"}}

    def snapshot(environment: str) -> dict:
        return {"apiVersion": "gatecheck.dev/v1", "kind": "EnvironmentSnapshot", "environment": environment,
                "type": "permanent", "parity": parity,
                "iac": {"repo": "https://git.example.org/platform/payments-infra",
                        "commit": "4f1c2e9a0b7d6c5e4f3a2b1c0d9e8f7a6b5c4d3e", "path": f"envs/{environment}"},
                "drift_detected": False, "created_at": "2025-05-02T08:00:00Z", "captured_at": "2026-11-27T06:00:00Z"}

    events = chain_events([
        {"time": "2026-11-27T07:02:10Z", "actor": "github-actions[bot]", "action": "pipeline.started",
         "details": {"ref": "refs/tags/v1.4.0"}},
        {"time": "2026-11-27T07:09:52Z", "actor": "github-actions[bot]", "action": "artifact.built",
         "details": {"digest": f"sha256:{digest}"}},
        {"time": "2026-11-27T07:21:30Z", "actor": "github-actions[bot]", "action": "deploy.staging",
         "details": {"environment": "staging", "strategy": "canary", "change_id": CHANGE_ID}},
        {"time": "2026-11-27T07:35:12Z", "actor": "release-bot", "action": "tests.smoke",
         "details": {"environment": "staging", "result": "passed"}},
    ])
    return {
        "env-staging.json": snapshot("staging"),
        "env-production.json": snapshot("production"),
        "segmentation-test.json": {
            "apiVersion": "gatecheck.dev/v1", "kind": "SegmentationTest", "environment": "production",
            "performed_at": "2026-11-18T22:15:00Z", "performed_by": "netsec-probe (scheduled job)", "result": "passed",
            "checks": [{"from": "internet", "to": "payments-db", "port": 5432, "protocol": "tcp",
                        "expected": "deny", "observed": "deny"}]},
        "pipeline-audit-log.json": {
            "apiVersion": "gatecheck.dev/v1", "kind": "PipelineAuditLog",
            "pipeline": f"{REPO}/actions/workflows/release.yml", "run_id": "9412",
            "release": {"name": NAME, "version": VERSION}, "events": events},
        "deployment-locks.json": {
            "apiVersion": "gatecheck.dev/v1", "kind": "DeploymentLockList",
            "locks": [
                {"environment": "production", "acquired_at": "2026-11-12T09:30:00Z",
                 "expires_at": "2026-11-12T13:30:00Z", "released_at": "2026-11-12T10:41:00Z",
                 "holder": {"run_id": "9377", "pipeline": f"{REPO}/actions/workflows/release.yml",
                            "release": {"name": NAME, "version": "1.3.2"}}},
                {"environment": "production", "acquired_at": "2026-11-27T07:40:00Z",
                 "expires_at": "2026-11-27T13:00:00Z",
                 "holder": {"run_id": "9412", "pipeline": f"{REPO}/actions/workflows/release.yml",
                            "release": {"name": NAME, "version": VERSION}}},
            ]},
        "rollback-history.json": {
            "apiVersion": "gatecheck.dev/v1", "kind": "RollbackHistory", "service": "payments",
            "period": {"start": "2026-08-01T00:00:00Z", "end": "2026-11-27T06:00:00Z"},
            "rollbacks": [{
                "version": "1.3.1", "environment": "production", "rolled_back_at": "2026-10-14T08:12:00Z",
                "reason": "p95 latency above the rollback criterion after the canary step to 25%",
                "incident_notification": {"reference": "INC-20431", "notified_at": "2026-10-14T08:20:00Z"},
                "root_cause": {"reference": "https://wiki.example.org/payments/rca/INC-20431",
                               "completed_at": "2026-10-17T15:00:00Z",
                               "changed": ["GC-TST-003", "payments load-test checklist"]}}]},
        "performance-summary.yaml": {
            "apiVersion": "gatecheck.dev/v1", "kind": "PerformanceSummary", "service": NAME,
            "environment": "staging", "performed_at": "2026-11-26T16:40:00Z", "requests": 184220,
            "latency_p95_ms": 205.1, "latency_p99_ms": 371.0, "error_rate": 0.0019,
            "baseline": {"reference": "payments-api 1.3.2 load test", "measured_at": "2026-10-02T16:10:00Z",
                         "latency_p95_ms": 201.7, "latency_p99_ms": 362.5, "error_rate": 0.0018}},
        "pentest-summary.yaml": {
            "apiVersion": "gatecheck.dev/v1", "kind": "PentestSummary",
            "scope": {"environment": "staging", "targets": ["https://staging.payments.example.org"]},
            "performed_at": "2026-11-13T17:00:00Z", "performed_by": "Example Security Consulting GmbH",
            "findings": [{"id": "ESC-2026-114", "title": "Missing rate limit on POST /v2/login",
                          "severity": "medium", "status": "fixed"}],
            "reviewer": "r.haddad@example.org", "reviewed_at": "2026-11-16T10:30:00Z"},
        "runbook.yaml": {
            "apiVersion": "gatecheck.dev/v1", "kind": "Runbook", "title": "payments-api canary rollback",
            "service": NAME, "deployment_type": "canary", "environment": "production",
            "reviewer": "sre-lead@example.org", "reviewed_at": "2026-10-19T14:00:00Z",
            "location": "https://docs.example.org/runbooks/payments-api/canary-rollback"},
        "backup-restore-test.json": {
            "apiVersion": "gatecheck.dev/v1", "kind": "BackupRestoreTest", "dataset": "payments-db",
            "environment": "restore-drill", "backup_id": "rds:payments-db-2026-11-22-03-00",
            "performed_at": "2026-11-22T04:12:31Z", "checksum_match": True, "restore_seconds": 1547,
            "rto_seconds": 3600},
        "rollback-test.yaml": {
            "apiVersion": "gatecheck.dev/v1", "kind": "RollbackTest", "release": {"name": NAME, "version": VERSION},
            "environment": "staging", "performed_at": "2026-11-26T15:42:00Z", "result": "passed",
            "from_version": VERSION, "to_version": "1.3.2", "duration_seconds": 312},
        "state-snapshot.json": {
            "apiVersion": "gatecheck.dev/v1", "kind": "StateSnapshot", "release": {"name": NAME, "version": VERSION},
            "environment": "production", "config_snapshot_id": "consul-kv:payments/2026-11-27T07-40Z",
            "data_snapshot_id": "rds:payments-db-pre-1-4-0", "taken_at": "2026-11-27T07:40:00Z"},
        "monitoring-config.yaml": {
            "apiVersion": "gatecheck.dev/v1", "kind": "MonitoringConfig", "service": NAME,
            "environment": "production", "first_hour_coverage": True,
            "rules": [{"name": "PaymentsApiHighErrorRate", "kind": "alert", "severity": "page",
                       "expression": 'job:http_errors:ratio_rate5m{job="payments-api"} > 0.01',
                       "notify": ["pagerduty:payments-oncall"]},
                      {"name": "PaymentsApiLatencyAnomaly", "kind": "anomaly", "severity": "page",
                       "expression": "anomalies(avg:trace.http.request.duration{service:payments-api}, 'agile', 3)",
                       "notify": ["pagerduty:payments-oncall"]}]},
    }


def trust_policy() -> dict:
    # The public keys inline (`pem:`), the same as keys/<name>.pub: `path:` entries are read
    # relative to the working directory by the weakening report (engine/weakening.py), so the
    # quick start, run from the repository root, could not find them.
    def key(name: str) -> list[dict]:
        return [{"pem": (HERE / "keys" / f"{name}.pub").read_text(encoding="utf-8")}]

    people = []
    for person in PEOPLE:
        entry = {"id": person["id"], "roles": person["roles"],
                 "aliases": person.get("aliases", [f"{person['id']}@example.org"])}
        if person["id"] in APPROVERS:
            entry["keys"] = key(person["id"])
        people.append(entry)
    return {
        "producers": {name: {"types": types, "keys": key(name)} for name, types in PRODUCERS.items()},
        "people": people,
    }


def write_config(key_id: str) -> None:
    config = {
        "params": {
            "trusted_signers": [{"key_id": key_id}],
            "trusted_builders": [BUILDER],
            "critical_paths": ["src/payments_api/ledger.py"],
            "deployment_windows": [{"days": ["mon", "tue", "wed", "thu", "fri"], "start": "09:00", "end": "16:00",
                                    "timezone": "Europe/London"}],
            "deployment_freezes": [{"start": "2026-12-18T00:00:00Z", "end": "2027-01-04T00:00:00Z",
                                    "reason": "year-end change freeze"}],
            # The organisation's recovery time objective for the service (GC-RBK-002).
            "rto_seconds": {"payments": 3600},
        },
        "trusted_keys": [{"path": "keys/release-signing.pub"}],
        "trust": trust_policy(),
    }
    header = ("# gatecheck configuration for the example release (see README: Controls, configuration "
              "and waivers;\n# examples/README.md: who signs what).\n")
    class Dumper(yaml.SafeDumper):  # PEM keys as readable block scalars
        pass

    Dumper.add_representer(str, lambda d, v: d.represent_scalar("tag:yaml.org,2002:str", v,
                                                                 style="|" if "\n" in v else None))
    text = yaml.dump(config, Dumper=Dumper, sort_keys=False)
    (HERE / "gatecheck.yaml").write_text(header + text, encoding="utf-8")


def labels_for(kind: str | None) -> dict[str, str] | None:
    if kind is None:
        return None
    # Smoke tests ran against the staging deployment, the stage before production.
    return {"kind": kind, "stage": "staging"} if kind == "smoke" else {"kind": kind}


Files = list[tuple[Path, str | None]]


def seal(target: Path, files: Files) -> None:
    """A bundle of ``files``; the (signed) release manifest among them replaces the draft's."""
    if target.exists():
        shutil.rmtree(target)
    os.environ["SOURCE_DATE_EPOCH"] = BUNDLE_TIME
    init_bundle(target, NAME, VERSION)
    for path, kind in files:
        add_evidence(target, [path], labels=labels_for(kind))
    seal_bundle(target)


def swap(files: Files, replace: dict[str, Path | None], extra: Files = ()) -> Files:
    """``files`` with those named in ``replace`` swapped for another file (or dropped: None)."""
    kept = [(replace.get(p.name, p), k) for p, k in files]
    return [(p, k) for p, k in kept if p is not None] + list(extra)


def main() -> None:
    for folder in (EVIDENCE, ATTESTATIONS, HERE / "variants"):
        if folder.exists():
            shutil.rmtree(folder)
        folder.mkdir(parents=True)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        digest = build_artifact(work)
        manifest = write_yaml(EVIDENCE / "release-manifest.yaml", release_manifest(digest))
        sbom = make_sbom(work, DEPENDENCIES, EVIDENCE / "sbom.cdx.json")
        scan = make_scan(work, DEPENDENCIES, EVIDENCE / "pip-audit.json")
        junit = make_tests(work)
        key_id = make_signatures(digest)
        signing = make_keys()
        records = {n: write_yaml(EVIDENCE / n, v) if n.endswith(".yaml") else write_json(EVIDENCE / n, v)
                   for n, v in {**governance_records(), **lifecycle_records(digest)}.items()}
        write_config(key_id)

        by_type = {t: producer for producer, types in PRODUCERS.items() for t in types}

        def vouched(source: Path, evidence_type: str, kind: str | None = None, signer: str | None = None,
                    out_dir: Path = ATTESTATIONS, scanned_sbom: Path | None = None) -> tuple[Path, str | None]:
            key = signing[signer or by_type[evidence_type]]
            return attest(source, evidence_type, key, digest, out_dir, kind, scanned_sbom), kind

        record_types = {n: records_type(v) for n, v in {**governance_records(), **lifecycle_records(digest)}.items()}
        files: Files = [
            vouched(manifest, "release-manifest"),
            vouched(sbom, "sbom"), vouched(scan, "vulnerability-scan", scanned_sbom=sbom),
            vouched(EVIDENCE / "bandit.sarif", "sast"), vouched(EVIDENCE / "coverage.xml", "coverage"),
            vouched(EVIDENCE / "gitleaks.json", "secret-scan"),
            (EVIDENCE / "artifact-signature.dsse.json", None), (EVIDENCE / "provenance.slsa.dsse.json", None),
            *(vouched(path, "test-results", kind) for path, kind in junit),
            *(vouched(path, record_types[name]) for name, path in records.items()),
            *((approval(p, signing[p["id"]], digest, ATTESTATIONS), None) for p in PEOPLE if "approves" in p),
        ]
        seal(HERE / f"{NAME}-{VERSION}", files)

        # Variant: the same release built against idna 3.6, which PYSEC-2024-60 affects.
        vulnerable = work / "vulnerable"
        vulnerable.mkdir()
        bad_sbom = make_sbom(work, VULNERABLE_DEPENDENCIES, vulnerable / "sbom.cdx.json")
        bad_scan = make_scan(work, VULNERABLE_DEPENDENCIES, vulnerable / "pip-audit.json")
        seal(HERE / "variants" / "vulnerable-dependency", swap(files, {
            "sbom.cdx.json.dsse.json": vouched(bad_sbom, "sbom", out_dir=vulnerable)[0],
            "pip-audit.json.dsse.json": vouched(bad_scan, "vulnerability-scan", out_dir=vulnerable,
                                                scanned_sbom=bad_sbom)[0]}))

        # Variant: the security approver's CAB approval is missing.
        security = "approval-r.haddad.yaml.dsse.json"
        seal(HERE / "variants" / "missing-security-approval", swap(files, {security: None}))

        # Variant: ...and whoever assembles the bundle writes it in, unsigned.
        forged = work / "approval-security.yaml"
        write_yaml(forged, {
            "apiVersion": "gatecheck.dev/v1", "kind": "Approval", "approver": "r.haddad@example.org",
            "roles": ["security"], "decision": "approved", "type": "cab", "time": "2026-11-25T16:25:00Z",
            "change_id": CHANGE_ID, "release_version": VERSION})
        seal(HERE / "variants" / "forged-approval", swap(files, {security: None}, [(forged, None)]))

        # Variant: the security approval signed with the CI job's key instead of the approver's.
        ci_signed = work / "ci-signed"
        ci_signed.mkdir()
        haddad = next(p for p in PEOPLE if p["id"] == "r.haddad")
        seal(HERE / "variants" / "approval-signed-by-ci",
             swap(files, {security: approval(haddad, signing["ci-build"], digest, ci_signed)}))

        # Variant: the vulnerability scan signed by an approver's key instead of the CI job's.
        approver_signed = work / "approver-signed"
        approver_signed.mkdir()
        seal(HERE / "variants" / "scan-signed-by-approver", swap(files, {
            "pip-audit.json.dsse.json": vouched(scan, "vulnerability-scan", signer="r.haddad",
                                                out_dir=approver_signed, scanned_sbom=sbom)[0]}))

        # Variant: the sealed bundle with one byte of its coverage attestation changed afterwards.
        tampered = HERE / "variants" / "tampered"
        shutil.copytree(HERE / f"{NAME}-{VERSION}", tampered)
        sealed = json.loads((tampered / "manifest.json").read_text())
        coverage = tampered / next(e["path"] for e in sealed["evidence"] if e["type"] == "coverage")
        data = bytearray(coverage.read_bytes())
        at = data.index(b'"payload":"') + len(b'"payload":"') + 200
        data[at] = ord("A") if data[at] != ord("A") else ord("B")
        coverage.write_bytes(bytes(data))
    print(f"built {HERE / f'{NAME}-{VERSION}'} and {len(list((HERE / 'variants').iterdir()))} variants")


def records_type(record: dict) -> str:
    """The evidence type of one of the example's records, from its kind."""
    from gatecheck.evidence.records.models import KINDS, RECORD_TYPES

    model = KINDS[record["kind"]]
    # A list of records (DeploymentLockList) is evidence of the type of its items.
    return next(t for t, m in RECORD_TYPES.items() if m is model).removesuffix("-list")


if __name__ == "__main__":
    main()
