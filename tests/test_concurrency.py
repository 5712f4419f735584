"""Concurrency through separate processes: parallel ``bundle add`` on one bundle, adds racing a
seal, and parallel evaluations of one bundle.

Every process either lands its change or is refused in one clear line, the bundle stays
consistent (verify passes, the manifest lists exactly the files that landed), and parallel
evaluations give byte-identical reports except for ``created_at``.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest
from adversarial import cases as corpus

from gatecheck.bundles.archive import pack_bundle
from gatecheck.bundles.store import read_manifest, seal_bundle, verify_bundle


class _Racers:
    """Processes that run ``gatecheck ARGS`` and are released at the same instant.

    Each is a fork of this (single-threaded) test process running the CLI's entry point, so
    they are real processes contending for the bundle's lock without paying the imports
    again; all block on a pipe until every one is forked, then race."""

    def __init__(self, tmp_path: Path) -> None:
        self.tmp_path = tmp_path
        self.read_end, self.write_end = os.pipe()
        self.children: list[tuple[int, Path, Path]] = []

    def add(self, *args: str) -> None:
        n = len(self.children)
        out, err = self.tmp_path / f".out{n}", self.tmp_path / f".err{n}"
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:
            code = 70
            try:
                code = _child(args, out, err, self.read_end, self.write_end)
            finally:
                os._exit(code)
        self.children.append((pid, out, err))

    def run(self) -> list[tuple[int, str, str]]:
        os.close(self.write_end)  # releases every child at once
        os.close(self.read_end)
        results = []
        for pid, out, err in self.children:
            _, status = os.waitpid(pid, 0)
            results.append((os.waitstatus_to_exitcode(status), out.read_text(), err.read_text()))
            out.unlink()
            err.unlink()
        return results


def _child(args: tuple[str, ...], out: Path, err: Path, read_end: int, write_end: int) -> int:
    import io

    os.close(write_end)
    os.read(read_end, 1)  # blocks until the parent closes its end
    os.dup2(os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), 1)
    os.dup2(os.open(err, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), 2)
    sys.stdout = io.TextIOWrapper(io.FileIO(1, "w", closefd=False), encoding="utf-8")
    sys.stderr = io.TextIOWrapper(io.FileIO(2, "w", closefd=False), encoding="utf-8")
    os.environ.pop("GATECHECK_DEBUG", None)
    from gatecheck.cli.main import main

    try:
        main(list(args))
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    sys.stdout.flush()
    sys.stderr.flush()
    return code


def _audit_report(path: Path, i: int) -> Path:
    path.write_text(
        json.dumps(
            {
                "dependencies": [{"name": f"pkg{i}", "version": f"1.{i}.0", "vulns": []}],
                "fixes": [],
            }
        )
    )
    return path


def _junit(path: Path, i: int) -> Path:
    path.write_bytes(corpus.JUNIT.replace(b'name="ok"', f'name="ok{i}"'.encode()))
    return path


def _one_error_line(err: str, fragment: str) -> None:
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("gatecheck: error:"), err
    assert fragment in lines[0], err


def test_parallel_adds_from_separate_processes_all_land(tmp_path: Path) -> None:
    root = corpus.draft(tmp_path)
    files = [_audit_report(tmp_path / f"audit{i}.json", i) for i in range(4)]
    files += [_junit(tmp_path / f"junit{i}.xml", i) for i in range(4)]
    racers = _Racers(tmp_path)
    for f in files:
        racers.add("bundle", "add", str(root), str(f))
    results = racers.run()
    assert [rc for rc, _, _ in results] == [0] * len(files), [err for _, _, err in results]
    manifest = read_manifest(root)
    assert sorted(e.source_name for e in manifest.evidence) == sorted(
        [f.name for f in files] + ["release.json"]
    )
    on_disk = sorted(p.name for p in (root / "evidence").iterdir())
    assert on_disk == sorted(Path(e.path).name for e in manifest.evidence)  # no stray temp files
    seal_bundle(root)
    verify_bundle(root)


def test_the_same_file_added_twice_at_once_lands_once(tmp_path: Path) -> None:
    root = corpus.draft(tmp_path)
    report = _audit_report(tmp_path / "audit.json", 1)
    racers = _Racers(tmp_path)
    for _ in range(3):
        racers.add("bundle", "add", str(root), str(report))
    results = racers.run()
    codes = sorted(rc for rc, _, _ in results)
    assert codes == [0, 2, 2]
    for rc, _, err in results:
        if rc == 2:
            _one_error_line(err, "already in the bundle")
    assert [e.source_name for e in read_manifest(root).evidence].count("audit.json") == 1


def test_adds_racing_a_seal_either_land_before_it_or_are_refused(tmp_path: Path) -> None:
    root = corpus.draft(tmp_path)
    files = [_audit_report(tmp_path / f"audit{i}.json", i) for i in range(4)]
    racers = _Racers(tmp_path)
    for f in files[:2]:
        racers.add("bundle", "add", str(root), str(f))
    racers.add("bundle", "seal", str(root))
    for f in files[2:]:
        racers.add("bundle", "add", str(root), str(f))
    results = racers.run()
    seal_rc = results[2][0]
    assert seal_rc == 0, results[2][2]
    landed = {e.source_name for e in verify_bundle(root).evidence}
    for f, (rc, _, err) in zip(files, results[:2] + results[3:], strict=True):
        if rc == 0:
            assert f.name in landed  # an add that reported success is in the sealed manifest
        else:
            assert rc == 2 and f.name not in landed
            _one_error_line(err, "sealed")


@pytest.fixture(scope="module")
def sealed_bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("parallel-eval")
    root = corpus.draft(work)
    files = [_audit_report(work / "audit.json", 1), _junit(work / "junit.xml", 1)]
    from gatecheck.bundles.store import add_evidence

    add_evidence(root, files, labels={"kind": "unit"})
    seal_bundle(root)
    pack_bundle(root, work / "bundle.tar.gz")
    return root


def test_parallel_evaluations_give_identical_reports(sealed_bundle: Path) -> None:
    archive = sealed_bundle.parent / "bundle.tar.gz"
    racers = _Racers(sealed_bundle.parent)
    for target in (sealed_bundle, sealed_bundle, archive):
        racers.add(
            "evaluate",
            str(target),
            "--stage",
            "production",
            "--at",
            "2026-03-04T10:00:00Z",
            "--format",
            "json",
        )
    results = racers.run()
    reports = []
    for rc, out, err in results:
        assert rc in (0, 1), err  # a decision, not an error
        report = json.loads(out)
        report.pop("created_at")
        reports.append(report)
    assert all(r == reports[0] for r in reports[1:])
    assert reports[0]["bundle"]["digest"] == read_manifest(sealed_bundle).digest
