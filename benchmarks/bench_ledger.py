"""Ledger appends per second with concurrent writers, on SQLite and PostgreSQL.

    python benchmarks/bench_ledger.py [--writers 8] [--appends 200] [--postgres URL]

One real evaluation of the shipped example (signed report, bundle archive) gives the record;
then each writer process opens the ledger and appends it ``--appends`` times, as pipelines
running at the same moment would. Appends per second = all appends / wall time from the first
writer's start to the last one's end; the chain is verified afterwards. PostgreSQL runs when
``--postgres`` or GATECHECK_TEST_POSTGRES_URL names a server (each run in a fresh database).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

from gatecheck.engine.ledger import open_ledger
from gatecheck.engine.ledger.verify import check_chain

ROOT = Path(__file__).resolve().parent.parent
WRITER = """
import sys, time
from gatecheck.engine.ledger import open_ledger
source, url, count, start_at = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
with open_ledger(source) as src:
    record = next(src.entries()).record
    archive = src.archive(record.archive_sha256)
with open_ledger(url) as book:
    while time.time() < start_at:
        time.sleep(0.001)
    for _ in range(count):
        book.append(record, archive)
"""


def seed(tmp: Path) -> str:
    url = f"sqlite:///{tmp / 'seed.db'}"
    subprocess.run(
        [sys.executable, "-m", "gatecheck", "keys", "generate", "-o", str(tmp / "key")],
        check=True, capture_output=True,
    )  # fmt: skip
    subprocess.run(
        [sys.executable, "-m", "gatecheck", "evaluate", str(ROOT / "examples/payments-api-1.4.0"),
         "--stage", "staging", "--config", str(ROOT / "examples/gatecheck.yaml"),
         "--at", "2026-11-27T10:00:00Z", "--sign-key", str(tmp / "key.key"), "--ledger", url],
        check=True, capture_output=True,
    )  # fmt: skip
    return url


def run(source: str, url: str, writers: int, appends: int) -> tuple[float, int]:
    start_at = time.time() + 2.0  # every writer connected and waiting before the clock starts
    procs = [
        subprocess.Popen([sys.executable, "-c", WRITER, source, url, str(appends), str(start_at)])
        for _ in range(writers)
    ]
    for proc in procs:
        if proc.wait() != 0:
            raise SystemExit(f"a writer failed (exit {proc.returncode})")
    elapsed = time.time() - start_at
    with open_ledger(url) as book:
        result = check_chain(book.entries(), book.archive)
    if not result.ok:
        raise SystemExit(f"chain broken: {result.problems[0]}")
    return writers * appends / elapsed, result.entries


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--writers", type=int, default=8)
    parser.add_argument("--appends", type=int, default=200, help="appends per writer")
    parser.add_argument("--postgres", default=os.environ.get("GATECHECK_TEST_POSTGRES_URL"))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        source = seed(tmp)
        with open_ledger(source) as src:
            size = len(next(src.entries()).record.report)
        print(f"record: a signed report of {size} bytes; {args.writers} writers x {args.appends}")
        rate, count = run(source, f"sqlite:///{tmp / 'bench.db'}", args.writers, args.appends)
        print(f"sqlite      {rate:8.1f} appends/s  ({count} entries, chain intact)")
        if args.postgres:
            import psycopg

            name = f"bench_{uuid.uuid4().hex[:8]}"
            with psycopg.connect(args.postgres, autocommit=True) as admin:
                admin.execute(f"CREATE DATABASE {name}")
            try:
                url = args.postgres.rsplit("/", 1)[0] + "/" + name
                rate, count = run(source, url, args.writers, args.appends)
                print(f"postgresql  {rate:8.1f} appends/s  ({count} entries, chain intact)")
            finally:
                with psycopg.connect(args.postgres, autocommit=True) as admin:
                    admin.execute(f"DROP DATABASE {name} WITH (FORCE)")
        else:
            print("postgresql  skipped: pass --postgres URL or set GATECHECK_TEST_POSTGRES_URL")


if __name__ == "__main__":
    main()
