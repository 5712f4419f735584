"""Cost of refusing hostile input: every adversarial case in a fresh ``gatecheck`` process.

    python benchmarks/bench_adversarial.py [--jobs N] [--stress] [--only SUBSTRING ...]

Prints, per family, the cases tried, how many met the contract (exit 2, one line naming the
problem, nothing written), the worst wall time and the worst peak memory, and the case that
set each. Peak memory is the process's own high-water mark (/proc/self/status VmHWM, read at
exit) and, when it started an OPA worker, that child's (RUSAGE_CHILDREN). ``--stress`` adds
larger variants of the cheapest attacks (10x the nesting, an archive with one member more
than allowed).
"""

from __future__ import annotations

import argparse
import sys
import tarfile
import tempfile
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from adversarial import cases as corpus  # noqa: E402
from adversarial.runner import MEMORY_LIMIT_MIB, TIME_LIMIT_S, Outcome, run_case  # noqa: E402

from gatecheck.bundles import archive  # noqa: E402


def stress_cases() -> list[corpus.Case]:
    def many_members(work: Path) -> list[str]:
        count = archive.MAX_MEMBERS + 1
        parts = [corpus.member(f"d{i:06d}/", kind=tarfile.DIRTYPE) for i in range(count)]
        corpus.write_tgz(work / "bundle.tar.gz", parts)
        return ["bundle", "verify", "bundle.tar.gz"]

    return [
        corpus._add(
            "stress-xml-1m-deep",
            "stress",
            "junit.xml",
            lambda: corpus.deep_xml("<testsuites>", "</testsuites>", 1_000_000),
            r"nested deeper than 256",
        ),
        corpus._add(
            "stress-json-1m-deep",
            "stress",
            "bom.json",
            lambda: (
                b'{"bomFormat": "CycloneDX", "x": ' + b"[" * 1_000_000 + b"]" * 1_000_000 + b"}"
            ),
            r"nested too deeply",
        ),
        corpus._add(
            "stress-yaml-100k-deep",
            "stress",
            "change.yaml",
            (corpus.CHANGE_HEAD + "x: " + "[" * 100_000 + "]" * 100_000).encode(),
            r"nested too deeply",
        ),
        corpus.Case(
            "stress-tar-too-many-members", "stress", many_members, r"more than \d+ members"
        ),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--jobs", type=int, default=1, help="cases run at once (1 gives the cleanest timings)"
    )
    parser.add_argument("--stress", action="store_true", help="add the larger stress variants")
    parser.add_argument("--only", nargs="*", default=[], help="case ids containing any of these")
    args = parser.parse_args()

    cases = corpus.all_cases() + (stress_cases() if args.stress else [])
    if args.only:
        cases = [c for c in cases if any(s in c.id for s in args.only)]
    with tempfile.TemporaryDirectory(prefix="bench-adversarial-") as tmp:
        base = Path(tmp)
        start = time.perf_counter()
        with ThreadPoolExecutor(max_workers=args.jobs) as pool:
            outcomes: list[Outcome] = list(pool.map(lambda c: run_case(c, base), cases))
        total = time.perf_counter() - start

    by_family: dict[str, list[Outcome]] = defaultdict(list)
    for outcome in outcomes:
        by_family[outcome.case.family].append(outcome)
    print(
        f"{'family':<9} {'cases':>5} {'ok':>4} {'worst wall':>11} {'worst peak RSS':>15}"
        "  (worst by time / by memory)"
    )
    for family, items in by_family.items():
        slow = max(items, key=lambda o: o.wall_s)
        big = max(items, key=lambda o: o.peak_rss_mib)
        ok = sum(not o.problems() for o in items)
        print(
            f"{family:<9} {len(items):>5} {ok:>4} {slow.wall_s:>9.2f} s "
            f"{big.peak_rss_mib:>11.0f} MiB  ({slow.case.id} / {big.case.id})"
        )
    failed = [o for o in outcomes if o.problems()]
    print(
        f"total: {len(outcomes)} cases in {total:.1f} s, limits {TIME_LIMIT_S:g} s and "
        f"{MEMORY_LIMIT_MIB} MiB per case; {len(failed)} broke the contract"
    )
    for outcome in failed:
        print(f"  {outcome.case.id}: {'; '.join(outcome.problems())}")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
