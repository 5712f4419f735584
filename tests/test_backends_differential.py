"""Three-backend differential suite: the same bundles through ``embedded`` (OPA 1.20 library),
``opa`` (the binary, v1.22 in CI) and ``server`` (``opa run --server``, in bundle mode serving
``gatecheck policy build`` output and in upload mode) must give identical per-control results
and decisions, and an identical error wherever it comes from outside OPA.

Bundles: the shipped example and its variants (at several stages), one bundle per evidence
file of tests/data that ``bundle add`` accepts, evidence whose timestamp trips a builtin, and
every ``evaluate`` case of the hostile-input corpus.
"""

from __future__ import annotations

import contextlib
import dataclasses
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from adversarial import cases as corpus
from adversarial.runner import prepare
from helpers import DATA, make_bundle
from opa_support import opa_server, require_opa

from gatecheck.engine.backends import make_engine
from gatecheck.engine.config import load_config
from gatecheck.engine.embedded import EmbeddedEngine
from gatecheck.engine.evaluate import EvaluationRequest, evaluate, load_policies
from gatecheck.engine.interface import Engine
from gatecheck.engine.opa_bundle import write_opa_bundle
from gatecheck.errors import GatecheckError
from gatecheck.timeutil import parse_rfc3339

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
AT = parse_rfc3339("2026-11-27T10:00:00Z")
# Fewer and something is no longer being compared (a fixture that stopped finding its files).
MIN_BUNDLES = 80
UPLOAD_EVERY = 6


@dataclass
class Case:
    id: str
    request: EvaluationRequest
    builtin_error: bool = False
    """Evidence that makes a builtin fail: decision error is required, not only agreement."""
    upload: bool = True
    """Also through the server in upload mode (which re-sends modules and data each time, so
    it runs on a sample; bundle mode covers every case)."""


def comparable(report: dict[str, Any]) -> dict[str, Any]:
    """What every backend must agree on. An error raised by OPA names the backend (binary path,
    server URL), so its text is compared only when the engine never ran."""
    view = {k: report.get(k) for k in ("decision", "results", "summary", "disabled_controls")}
    if report.get("decision") == "error" and not report.get("engine"):
        view["error"] = report.get("error")
    return view


def differences(reports: dict[str, dict[str, Any]]) -> list[str]:
    """Every way a backend's report differs from the first one's, per control."""
    (base_name, base), *others = ((n, comparable(r)) for n, r in reports.items())
    found = []
    for name, view in others:
        for key in view.keys() | base.keys():
            if key == "results":
                mine = {r["control"]: r for r in view.get("results") or []}
                theirs = {r["control"]: r for r in base.get("results") or []}
                for control in sorted(mine.keys() | theirs.keys()):
                    if mine.get(control) != theirs.get(control):
                        a, b = theirs.get(control) or {}, mine.get(control) or {}
                        found.append(
                            f"{control}: {base_name} {a.get('status')} {a.get('messages')} != "
                            f"{name} {b.get('status')} {b.get('messages')}"
                        )
            elif view.get(key) != base.get(key):
                found.append(f"{key}: {base_name} {base.get(key)!r} != {name} {view.get(key)!r}")
    return found


def example_cases() -> list[Case]:
    config, config_dir = load_config(EXAMPLES / "gatecheck.yaml")
    bundles = [EXAMPLES / "payments-api-1.4.0"] + sorted((EXAMPLES / "variants").iterdir())
    return [
        Case(
            f"example:{bundle.name}:{stage}",
            EvaluationRequest(bundle, stage, AT, config=config, config_dir=config_dir),
        )
        for bundle in bundles
        for stage in ("dev", "staging", "production")
    ]


def data_file_cases(base: Path) -> list[Case]:
    cases = []
    for path in sorted(p for p in DATA.rglob("*") if p.is_file() and p.name != "SOURCES.md"):
        root = base / "data" / str(path.relative_to(DATA)).replace("/", "__")
        try:
            make_bundle(root, [path])
        except GatecheckError:
            continue  # refused at bundle add: never reaches evaluation
        # Staging: these files are unsigned, and at production their facts would be excluded
        # (GC-EVD-001) before any control read them.
        request = EvaluationRequest(root, "staging", AT)
        sample = len(cases) % UPLOAD_EVERY == 0
        cases.append(Case(f"data:{path.relative_to(DATA)}", request, upload=sample))
    return cases


def builtin_error_case(base: Path) -> Case:
    """An approval dated 2300: valid RFC 3339, outside the nanosecond range OPA's
    time.parse_rfc3339_ns accepts, so the governance helpers hit a builtin error."""
    source = (DATA / "governance" / "approvals-cab.yaml").read_text(encoding="utf-8")
    approvals = base / "builtin" / "approvals.yaml"
    approvals.parent.mkdir(parents=True)
    approvals.write_text(source.replace("2026-03-03T09:05:00Z", "2300-03-03T09:05:00Z"))
    root = make_bundle(base / "builtin" / "bundle", [approvals], version="2.4.0")
    # Staging, where the unsigned approval's facts count and so reach the builtin.
    return Case("builtin-error:approval-in-2300", EvaluationRequest(root, "staging", AT), True)


def adversarial_cases(base: Path) -> list[Case]:
    cases = []
    for case in corpus.all_cases():
        if not case.evaluate:
            continue
        folder, args = prepare(case, base / "adversarial")
        assert args[0] == "evaluate" and args[2:4] == ["--stage", "dev"], args
        bundle = folder / "work" / args[1]
        request = EvaluationRequest(bundle, "dev", AT)
        cases.append(Case(f"hostile:{case.id}", request, upload=len(cases) % UPLOAD_EVERY == 0))
    return cases


@pytest.fixture(scope="module")
def cases(tmp_path_factory: pytest.TempPathFactory) -> list[Case]:
    require_opa()
    base = tmp_path_factory.mktemp("differential")
    return (
        example_cases()
        + data_file_cases(base)
        + [builtin_error_case(base)]
        + adversarial_cases(base)
    )


@contextlib.contextmanager
def bundle_servers(cases: list[Case], base: Path) -> Iterator[dict[str, str]]:
    """One ``opa run --server`` per distinct policy set (the configuration's parameters are
    data, so part of the policy digest), each serving that set's ``policy build`` bundle."""
    with contextlib.ExitStack() as stack:
        urls: dict[str, str] = {}
        for case in cases:
            policies = load_policies(case.request)
            if policies.digest not in urls:
                bundle = base / f"policies-{len(urls)}.tar.gz"
                write_opa_bundle(policies, bundle)
                urls[policies.digest] = stack.enter_context(opa_server(bundle))
        yield urls


@pytest.fixture(scope="module")
def reports(
    cases: list[Case], opa_upload_server: str, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, dict[str, dict[str, Any]]]:
    """Every case's report from every backend."""
    embedded, binary = EmbeddedEngine(), make_engine("opa")
    upload = make_engine("server", opa_url=opa_upload_server, server_mode="upload")
    lock = threading.Lock()  # upload mode owns the server's gatecheck/ tree: one at a time
    with bundle_servers(cases, tmp_path_factory.mktemp("opa-bundles")) as urls:

        def run(case: Case) -> tuple[str, dict[str, dict[str, Any]]]:
            digest = load_policies(case.request).digest
            engines: dict[str, Engine] = {
                "embedded": embedded,
                "opa": binary,
                "server": make_engine("server", opa_url=urls[digest]),
            }
            reports = {name: evaluate(case.request, e) for name, e in engines.items()}
            if case.upload:
                with lock:
                    reports["server-upload"] = evaluate(case.request, upload)
            return case.id, reports

        # The backends wait on OPA processes (child, binary, servers), so cases overlap well.
        with ThreadPoolExecutor(max_workers=3) as pool:
            out = dict(pool.map(run, cases))
    return out


def test_every_backend_gives_identical_results_on_every_bundle(
    cases: list[Case],
    reports: dict[str, dict[str, dict[str, Any]]],
    record_property: pytest.RecordProperty,
) -> None:
    reached = sum(1 for c in cases if reports[c.id]["embedded"].get("engine"))
    record_property("bundles", len(cases))
    record_property("bundles_evaluated_by_opa", reached)
    uploaded = sum(c.upload for c in cases)
    print(
        f"\ndifferential: {len(cases)} bundles ({reached} evaluated by OPA) through embedded, "
        f"opa and server in bundle mode; {uploaded} of them also in upload mode"
    )
    assert len(cases) >= MIN_BUNDLES
    divergent = {c.id: d for c in cases if (d := differences(reports[c.id]))}
    assert not divergent, divergent


def test_engine_errors_are_not_what_the_backends_agree_on(
    cases: list[Case], reports: dict[str, dict[str, dict[str, Any]]]
) -> None:
    """Agreement on decision error everywhere would be vacuous: most bundles must evaluate,
    and each backend must have evaluated them (its own name and OPA version recorded)."""
    decided = [c for c in cases if reports[c.id]["embedded"]["decision"] != "error"]
    assert len(decided) >= MIN_BUNDLES // 2
    assert {"pass", "fail"} <= {reports[c.id]["embedded"]["decision"] for c in decided}
    for case in decided:
        for name, report in reports[case.id].items():
            assert report["engine"]["backend"] == name.split("-")[0], (case.id, name)
    assert sum("server-upload" in reports[c.id] for c in decided) >= 5
    versions = {n: r["engine"]["opa_version"] for n, r in reports[decided[0].id].items()}
    assert all(v[0].isdigit() for v in versions.values()), versions


def test_builtin_error_in_evidence_is_decision_error_on_every_backend(
    cases: list[Case], reports: dict[str, dict[str, dict[str, Any]]]
) -> None:
    tripping = [c for c in cases if c.builtin_error]
    assert tripping
    for case in tripping:
        for name, report in reports[case.id].items():
            assert report["decision"] == "error", (case.id, name)
            assert "time.parse_rfc3339_ns" in report["error"], (case.id, name, report["error"])


def test_a_single_divergent_control_status_is_caught() -> None:
    results = [
        {"control": "GC-ART-001", "status": "pass", "messages": []},
        {"control": "GC-ART-005", "status": "pass", "messages": []},
    ]
    base = {"decision": "pass", "results": results, "summary": {}, "engine": {"backend": "x"}}
    changed = {**base, "results": [results[0], {**results[1], "status": "fail"}]}
    assert differences({"embedded": base, "opa": dict(base)}) == []
    found = differences({"embedded": base, "opa": changed})
    assert found == ["GC-ART-005: embedded pass [] != opa fail []"]


def test_a_server_answering_from_other_rego_is_caught(tmp_path: Path) -> None:
    """A real divergence through real engines: a server whose bundle claims the library's
    revision but carries one control edited gives a different answer, and the comparison
    names that control."""
    require_opa()
    request = example_cases()[2].request  # the example at production: passes everywhere
    policies = load_policies(request)
    index = next(i for i, m in enumerate(policies.modules) if m.path.endswith("/art_001.rego"))
    module = policies.modules[index]
    extra = '\n\ndeny contains {"msg": "edited"} if true\n'
    # The recorded sha256 (so the digest, so the bundle revision) stays the unedited one.
    policies.modules[index] = dataclasses.replace(module, text=module.text + extra)
    bundle = tmp_path / "edited.tar.gz"
    write_opa_bundle(policies, bundle)
    with opa_server(bundle) as url:
        edited = evaluate(request, make_engine("server", opa_url=url))
    found = differences({"embedded": evaluate(request, EmbeddedEngine()), "server": edited})
    assert any(line.startswith("GC-ART-001: embedded pass") for line in found), found
    assert any(line.startswith("decision:") for line in found), found
