"""Policy impact throughput: re-evaluations per second with 1 and 2 worker processes.

    python benchmarks/bench_impact.py [--releases 200] [--workers 1 2] [--fresh] [--postgres URL]

Builds ``--releases`` generated releases (tests/impact_support.py: producer-signed evidence,
real coverage.py and pip-audit output, coverage and scan varied so that the tightened
candidate flips a known subset), records each with a real ``gatecheck evaluate --stage
staging --ledger`` (in-process, one after another), then times ``gatecheck policy impact``
with the tightened candidate for each worker count, in a fresh process as a CI job runs it.
Prints evaluations per second and the flips found against the flips expected. With
``--fresh`` each worker count also runs with a fresh OPA worker per entry (``Candidate(
reuse_workers=False)``, how policy impact ran before it kept one compiled worker per
process), through the library in a fresh process, and the two results must be identical. The
ledger is SQLite unless ``--postgres`` (or GATECHECK_TEST_POSTGRES_URL) names a server; then a
fresh database is used and dropped.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from click.testing import CliRunner  # noqa: E402
from impact_support import TIGHTENED, build_release, effective_time, specs  # noqa: E402
from trust_support import TrustKit  # noqa: E402

from gatecheck.cli.main import cli  # noqa: E402


def record(url: str, bundles: list[Path], config: Path) -> float:
    start = time.perf_counter()
    for i, bundle in enumerate(bundles):
        result = CliRunner().invoke(cli, [
            "evaluate", str(bundle), "--stage", "staging", "--config", str(config),
            "--at", effective_time(i), "--format", "json", "--ledger", url,
        ])  # fmt: skip
        if result.exit_code != 0:
            raise SystemExit(f"evaluation {i} did not pass: {result.output[-400:]}")
    return time.perf_counter() - start


# policy impact with a fresh OPA worker per entry (no CLI option: only for comparison).
FRESH = """
import json, sys
from pathlib import Path
from gatecheck.engine.impact import Candidate, impact
from gatecheck.engine.ledger import Query
url, config, data, workers = sys.argv[1:]
candidate = Candidate(url, data_files=(Path(data),), config_file=Path(config), reuse_workers=False)
print(json.dumps(impact(candidate, Query(), int(workers)).as_dict()))
"""


def run_impact(
    url: str, config: Path, data: Path, workers: int, fresh: bool = False
) -> tuple[float, dict]:
    if fresh:
        command = [sys.executable, "-c", FRESH, url, str(config), str(data), str(workers)]
    else:
        command = [sys.executable, "-m", "gatecheck", "policy", "impact", "--ledger", url,
                   "--config", str(config), "--data", str(data), "--workers", str(workers),
                   "--format", "json"]  # fmt: skip
    start = time.perf_counter()
    proc = subprocess.run(command, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"policy impact failed (exit {proc.returncode}): {proc.stderr}")
    return elapsed, json.loads(proc.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--releases", type=int, default=200)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--fresh", action="store_true", help="also time a fresh worker per entry")
    parser.add_argument("--postgres", default=os.environ.get("GATECHECK_TEST_POSTGRES_URL"))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-impact-") as tmp_name:
        tmp = Path(tmp_name)
        kit = TrustKit.standard([])
        config = kit.write_config(tmp / "gatecheck.yaml")
        data = tmp / "tightened.json"
        data.write_text(json.dumps(TIGHTENED), encoding="utf-8")
        chosen = specs(args.releases)
        start = time.perf_counter()
        bundles = [build_release(tmp, kit, spec, i) for i, spec in enumerate(chosen)]
        print(f"built {len(bundles)} releases in {time.perf_counter() - start:.1f} s")
        expected_decisions = sum(1 for s in chosen if s.scan == "vulnerable")
        expected_controls = sum(len(s.expected_flips()) for s in chosen)
        admin_db = None
        if args.postgres:
            import psycopg

            admin_db = f"bench_{uuid.uuid4().hex[:8]}"
            with psycopg.connect(args.postgres, autocommit=True) as admin:
                admin.execute(f"CREATE DATABASE {admin_db}")
            url = args.postgres.rsplit("/", 1)[0] + "/" + admin_db
        else:
            url = f"sqlite:///{tmp / 'ledger.db'}"
        try:
            took = record(url, bundles, config)
            print(f"recorded {len(bundles)} evaluations in {url.split(':')[0]} ledger in "
                  f"{took:.1f} s ({len(bundles) / took:.2f}/s, gatecheck evaluate in-process)")  # fmt: skip
            results = []
            for workers in args.workers:
                for fresh in (False, True) if args.fresh else (False,):
                    elapsed, doc = run_impact(url, config, data, workers, fresh)
                    results.append(doc)
                    totals = doc["totals"]
                    ok = (
                        totals["decisions_changed"] == expected_decisions
                        and totals["controls_changed"] == expected_controls
                        and totals["reevaluated"] == len(bundles)
                    )
                    print(
                        f"workers {workers}, {'fresh OPA worker per entry' if fresh else 'kept OPA worker'}: "
                        f"{totals['reevaluated']} re-evaluated in {elapsed:.1f} s "
                        f"= {totals['reevaluated'] / elapsed:.2f} evaluations/s; decisions changed "
                        f"{totals['decisions_changed']} (expected {expected_decisions}), control "
                        f"flips {totals['controls_changed']} (expected {expected_controls}): "
                        f"{'as expected' if ok else 'MISMATCH'}"
                    )  # fmt: skip
                    if not ok:
                        raise SystemExit(1)
            if any(doc != results[0] for doc in results):
                print("the results differ between runs")
                raise SystemExit(1)
        finally:
            if admin_db:
                import psycopg

                with psycopg.connect(args.postgres, autocommit=True) as admin:
                    admin.execute(f"DROP DATABASE {admin_db} WITH (FORCE)")


if __name__ == "__main__":
    main()
