"""The decision ledger against SQLite always and PostgreSQL when GATECHECK_TEST_POSTGRES_URL
names a reachable server (.ci/run starts a throwaway one): appends from real evaluations,
concurrent appends from 8 processes, every tampering `ledger verify` must name, exports, and
an unwritable ledger ending in decision error."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tarfile
import textwrap
import uuid
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from click.testing import CliRunner
from cryptography.hazmat.primitives.asymmetric import ed25519

from gatecheck.cli.main import cli
from gatecheck.digest import sha256_bytes
from gatecheck.engine.ledger import Ledger, LedgerError, open_ledger
from gatecheck.engine.ledger.interface import entry_hash
from gatecheck.engine.ledger.verify import check_chain
from gatecheck.evidence.signing.keys import private_key_pem, public_key_pem

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "payments-api-1.4.0"
CONFIG = ROOT / "examples" / "gatecheck.yaml"
PG_URL = os.environ.get("GATECHECK_TEST_POSTGRES_URL")
PG_SKIP = (
    "GATECHECK_TEST_POSTGRES_URL is not set: no PostgreSQL server to test against "
    "(.ci/run starts one with .ci/start-postgres)"
)
BACKENDS = [
    "sqlite",
    pytest.param("postgresql", marks=pytest.mark.skipif(not PG_URL, reason=PG_SKIP)),
]
TABLE = {"sqlite": "entries", "postgresql": "gatecheck_ledger"}


def _invoke(*args: str):  # noqa: ANN202 - click Result
    return CliRunner().invoke(cli, list(args))


def _evaluate(ledger: str, at: str, *extra: str, stage: str = "staging"):  # noqa: ANN202
    return _invoke(
        "evaluate", str(EXAMPLE), "--stage", stage, "--config", str(CONFIG), "--at", at,
        "--format", "json", "--ledger", ledger, *extra,
    )  # fmt: skip


@pytest.fixture(scope="module")
def signed(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """Two real evaluations of the shipped example, their reports signed with an Ed25519 key,
    recorded in a SQLite ledger."""
    root = tmp_path_factory.mktemp("ledger")
    key = ed25519.Ed25519PrivateKey.generate()
    (root / "key.pem").write_text(private_key_pem(key))
    (root / "key.pub").write_text(public_key_pem(key))
    url = f"sqlite:///{root / 'ledger.db'}"
    reports = []
    for second in ("01", "02"):
        result = _evaluate(url, f"2026-11-27T10:00:{second}Z", "--sign-key", str(root / "key.pem"))
        assert result.exit_code == 0, result.output
        reports.append(json.loads(result.stdout))
    with open_ledger(url) as book:
        entries = list(book.entries())
    return {"root": root, "url": url, "entries": entries, "reports": reports}


def _postgres_database() -> Iterator[str]:
    import psycopg

    assert PG_URL
    name = f"gc_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(PG_URL, autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name}")
    try:
        yield PG_URL.rsplit("/", 1)[0] + "/" + name
    finally:
        with psycopg.connect(PG_URL, autocommit=True) as admin:
            admin.execute(f"DROP DATABASE {name} WITH (FORCE)")


@pytest.fixture(params=BACKENDS)
def ledger_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'ledger.db'}"
    else:
        yield from _postgres_database()


def _backend(url: str) -> str:
    return "sqlite" if url.startswith("sqlite") else "postgresql"


def _sql(url: str, statement: str, params: tuple[object, ...] = ()) -> None:
    """Tamper with the stored rows directly, as someone with database access could."""
    table = TABLE[_backend(url)]
    statement = statement.replace("{table}", table)
    if _backend(url) == "sqlite":
        import sqlite3

        with sqlite3.connect(url.removeprefix("sqlite:///")) as db:
            db.execute(statement, params)
    else:
        import psycopg

        with psycopg.connect(url, autocommit=True) as db:
            db.execute(statement.replace("?", "%s"), params)


def _fill(url: str, signed: dict[str, object], count: int = 6) -> Ledger:
    """``count`` entries made of the two real signed evaluations, alternating."""
    book = open_ledger(url)
    source = signed["entries"]
    archive = open_ledger(str(signed["url"])).archive(source[0].record.archive_sha256)
    for i in range(count):
        book.append(source[i % 2].record, archive)
    return book


def _verify(url: str, *extra: str):  # noqa: ANN202
    return _invoke("ledger", "verify", "--ledger", url, *extra)


# -- recording -----------------------------------------------------------------------------


def test_an_evaluation_appends_its_decision_report_and_bundle(signed: dict) -> None:
    first, second = signed["entries"]
    report = signed["reports"][0]
    assert first.record.release == "payments-api@1.4.0"
    assert first.record.decision == report["decision"] == "pass"
    assert first.record.stage == "staging"
    assert first.record.effective_time == "2026-11-27T10:00:01Z"
    assert first.record.bundle_digest == report["bundle_digest"]
    assert first.record.policy_digest == report["policy_digest"]
    assert first.record.controls == {r["control"]: r["status"] for r in report["results"]}
    assert first.record.report_kind == "dsse"
    assert second.prev_hash == first.hash and first.prev_hash == "0" * 64
    # The same bundle is stored once, under the sha256 of its deterministic archive.
    assert first.record.archive_sha256 == second.record.archive_sha256
    stored = list((signed["root"] / "ledger.db.bundles").iterdir())
    assert [p.name for p in stored] == [f"{first.record.archive_sha256}.tar.gz"]
    assert sha256_bytes(stored[0].read_bytes()) == first.record.archive_sha256


def test_list_filters_and_show_print_entries(signed: dict) -> None:
    url = str(signed["url"])
    listed = _invoke("ledger", "list", "--ledger", url, "--since", "2026-11-27T10:00:02Z")
    assert listed.exit_code == 0 and "1 entries" in listed.output
    assert "10:00:02Z" in listed.output and "10:00:01Z" not in listed.output
    none = _invoke("ledger", "list", "--ledger", url, "--decision", "fail", "--format", "json")
    assert json.loads(none.stdout) == []
    shown = _invoke("ledger", "show", "1", "--ledger", url)
    assert json.loads(shown.stdout)["hash"] == signed["entries"][0].hash
    missing = _invoke("ledger", "show", "9", "--ledger", url)
    assert missing.exit_code == 2 and "no entry 9" in missing.output


def test_verify_checks_every_report_signature_with_the_key(signed: dict) -> None:
    result = _verify(str(signed["url"]), "--key", str(signed["root"] / "key.pub"))
    assert result.exit_code == 0, result.output
    assert (
        "2 entries, chain intact" in result.output
        and "2 report signatures verified" in result.output
    )
    other = ed25519.Ed25519PrivateKey.generate()
    (signed["root"] / "other.pub").write_text(public_key_pem(other))
    wrong = _verify(str(signed["url"]), "--key", str(signed["root"] / "other.pub"))
    assert wrong.exit_code == 1 and "entry 1: its report does not verify" in wrong.output


# -- concurrency ---------------------------------------------------------------------------

WRITER = textwrap.dedent(
    """
    import sys
    from gatecheck.engine.ledger import open_ledger
    source, url, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
    with open_ledger(source) as src:
        record = next(src.entries()).record
        archive = src.archive(record.archive_sha256)
    with open_ledger(url) as book:
        for _ in range(count):
            book.append(record, archive)
    """
)


def test_eight_concurrent_writers_keep_one_intact_chain(ledger_url: str, signed: dict) -> None:
    writers = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, str(signed["url"]), ledger_url, "15"],
            stderr=subprocess.PIPE,
        )
        for _ in range(8)
    ]
    for writer in writers:
        _, err = writer.communicate(timeout=120)
        assert writer.returncode == 0, err.decode()
    with open_ledger(ledger_url) as book:
        entries = list(book.entries())
        result = check_chain(entries, book.archive)
    assert result.ok, result.problems
    assert [e.seq for e in entries] == list(range(1, 121))
    assert len({e.prev_hash for e in entries}) == 120  # no fork: no two entries share a parent


# -- tampering -----------------------------------------------------------------------------


def test_an_intact_ledger_verifies(ledger_url: str, signed: dict) -> None:
    _fill(ledger_url, signed).close()
    result = _verify(ledger_url, "--key", str(signed["root"] / "key.pub"))
    assert result.exit_code == 0, result.output
    assert "6 entries, chain intact" in result.output


def test_a_deleted_entry_is_named(ledger_url: str, signed: dict) -> None:
    _fill(ledger_url, signed).close()
    _sql(ledger_url, "DELETE FROM {table} WHERE seq = 3")
    result = _verify(ledger_url)
    assert result.exit_code == 1
    assert "entry 3 deleted" in result.output


def test_a_deleted_and_renumbered_entry_is_named(ledger_url: str, signed: dict) -> None:
    _fill(ledger_url, signed).close()
    _sql(ledger_url, "DELETE FROM {table} WHERE seq = 3")
    for seq in range(4, 7):
        _sql(ledger_url, "UPDATE {table} SET seq = ? WHERE seq = ?", (seq - 1, seq))
    result = _verify(ledger_url)
    assert result.exit_code == 1
    assert "entry 3: its chain link points at no remaining entry" in result.output


def test_an_edited_entry_is_named(ledger_url: str, signed: dict) -> None:
    _fill(ledger_url, signed).close()
    _sql(ledger_url, "UPDATE {table} SET decision = 'fail' WHERE seq = 4")
    result = _verify(ledger_url)
    assert result.exit_code == 1
    assert "entry 4 was edited" in result.output


def test_reordered_entries_are_named(ledger_url: str, signed: dict) -> None:
    _fill(ledger_url, signed).close()
    _sql(ledger_url, "UPDATE {table} SET seq = 100 WHERE seq = 3")
    _sql(ledger_url, "UPDATE {table} SET seq = 3 WHERE seq = 4")
    _sql(ledger_url, "UPDATE {table} SET seq = 4 WHERE seq = 100")
    result = _verify(ledger_url)
    assert result.exit_code == 1
    assert "entry 3 was reordered" in result.output


def test_a_rewritten_chain_is_caught_by_the_signed_reports(ledger_url: str, signed: dict) -> None:
    """Whoever can write the database can recompute every hash after an edit; the hash chain
    alone cannot tell. The signed reports can: the edited entry no longer states its report."""
    book = _fill(ledger_url, signed)
    entries = list(book.entries())
    book.close()
    prev = entries[1].hash
    for entry in entries[2:]:
        record = replace(entry.record, decision="fail") if entry.seq == 3 else entry.record
        digest = entry_hash(record, prev)
        _sql(
            ledger_url,
            "UPDATE {table} SET decision = ?, prev_hash = ?, hash = ? WHERE seq = ?",
            (record.decision, prev, digest, entry.seq),
        )
        prev = digest
    assert _verify(ledger_url).exit_code == 0  # the chain alone is consistent again
    result = _verify(ledger_url, "--key", str(signed["root"] / "key.pub"))
    assert result.exit_code == 1
    assert "entry 3 was edited: its decision 'fail' is not the report's 'pass'" in result.output


def test_a_replaced_bundle_archive_is_named(tmp_path: Path, signed: dict) -> None:
    url = f"sqlite:///{tmp_path / 'l.db'}"
    _fill(url, signed, 2).close()
    archive = next((tmp_path / "l.db.bundles").iterdir())
    archive.write_bytes(archive.read_bytes() + b"\0")
    result = _verify(url)
    assert result.exit_code == 1 and "entry 1: its bundle archive was changed" in result.output


# -- export --------------------------------------------------------------------------------


def test_an_export_is_deterministic_and_verifies_offline(
    ledger_url: str, signed: dict, tmp_path: Path
) -> None:
    _fill(ledger_url, signed).close()
    out = [tmp_path / "a.tar.gz", tmp_path / "b.tar.gz"]
    for path in out:
        result = _invoke("ledger", "export", "--ledger", ledger_url, "-o", str(path),
                         "--since", "2026-11-27T10:00:02Z")  # fmt: skip
        assert result.exit_code == 0, result.output
    assert out[0].read_bytes() == out[1].read_bytes()
    with tarfile.open(out[0]) as tar:
        names = tar.getnames()
    # Entries 2-6 (the run from the first to the last in the period), one bundle archive.
    assert [n for n in names if n.startswith("reports/")] == [
        f"reports/{i}.json" for i in range(2, 7)
    ]
    assert sum(n.startswith("bundles/") for n in names) == 1
    result = _invoke("ledger", "verify", str(out[0]), "--key", str(signed["root"] / "key.pub"))
    assert result.exit_code == 0, result.output
    assert "5 entries, chain intact" in result.output


def test_an_edited_export_is_rejected(tmp_path: Path, signed: dict) -> None:
    import gzip
    import io

    url = f"sqlite:///{tmp_path / 'l.db'}"
    _fill(url, signed, 3).close()
    path = tmp_path / "e.tar.gz"
    assert _invoke("ledger", "export", "--ledger", url, "-o", str(path)).exit_code == 0
    with tarfile.open(path) as tar:
        files = {m.name: tar.extractfile(m).read() for m in tar.getmembers()}
    index = json.loads(files["ledger.json"])
    index["entries"][1]["decision"] = "fail"
    files["ledger.json"] = json.dumps(index).encode()
    buffer = io.BytesIO()
    with gzip.GzipFile(fileobj=buffer, mode="wb") as gz, tarfile.open(fileobj=gz, mode="w") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    path.write_bytes(buffer.getvalue())
    result = _invoke("ledger", "verify", str(path))
    assert result.exit_code == 1 and "entry 2 was edited" in result.output


# -- a ledger that cannot be written -------------------------------------------------------


def test_a_ledger_that_is_down_makes_the_decision_error(tmp_path: Path) -> None:
    report = tmp_path / "report.json"
    result = _evaluate("postgresql://gatecheck@127.0.0.1:1/down", "2026-11-27T10:00:00Z",
                       "--report", str(report))  # fmt: skip
    assert result.exit_code == 2
    assert json.loads(result.stdout)["decision"] == "error"
    assert "cannot be opened" in result.output and "was not recorded" in result.output
    assert not report.exists()  # no report file claims a decision the ledger lacks


def test_an_unwritable_sqlite_ledger_makes_the_decision_error(tmp_path: Path) -> None:
    result = _evaluate(f"sqlite:///{tmp_path}/missing/ledger.db", "2026-11-27T10:00:00Z")
    assert result.exit_code == 2
    assert json.loads(result.stdout)["decision"] == "error"


def test_warn_at_dev_only_warns_at_dev(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/missing/ledger.db"
    dev = _evaluate(url, "2026-11-27T10:00:00Z", "--ledger-failure", "warn-at-dev", stage="dev")
    assert dev.exit_code == 0 and "warning" in dev.output
    staging = _evaluate(url, "2026-11-27T10:00:00Z", "--ledger-failure", "warn-at-dev")
    assert staging.exit_code == 2


def test_the_ledger_comes_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GATECHECK_LEDGER", f"sqlite:///{tmp_path}/env.db")
    result = _invoke("evaluate", str(EXAMPLE), "--stage", "staging", "--config", str(CONFIG),
                     "--at", "2026-11-27T10:00:00Z")  # fmt: skip
    assert result.exit_code == 0, result.output
    listed = _invoke("ledger", "list")
    assert "1 entries" in listed.output


def test_unknown_ledger_schemes_are_refused() -> None:
    with pytest.raises(LedgerError, match="not supported"):
        open_ledger("mysql://x/y")
    result = _invoke("ledger", "list", "--ledger", "sqlite:///does/not/exist.db")
    assert result.exit_code == 2 and "does not exist" in result.output
