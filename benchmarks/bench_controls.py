"""Per-control evaluation time on a large generated bundle, slowest first.

Builds a bundle as bench_evaluate.py does (a CycloneDX SBOM of N components and a pip-audit
report of the same packages with N/10 vulnerabilities), builds the input document exactly as
``gatecheck evaluate`` does, then evaluates each control package on its own
(``data.gatecheck.controls.<package>``, with the library and its data loaded):

- embedded: OPA's Go library in one worker process; every query is prepared once, then timed
  over ``--repeat`` runs (best kept). Each run converts the input anew, so the time of a query
  that reads no input (``input conversion``) is subtracted from every control's figure.
- opa: the ``opa`` binary when it is on PATH, ``opa eval --metrics`` per package, which times
  the query's evaluation apart from reading the input (``timer_rego_query_eval_ns``). Each
  run reads the whole input, so only the ``--top`` slowest packages are run there.

The evidence is unsigned, so the input is built at ``--stage staging`` by default, where
unsigned facts count (in production GC-EVD-001 excludes them and the controls see no SBOM).

    python benchmarks/bench_controls.py [--components 50000] [--repeat 3] [--top 15]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_evaluate import AT, build  # noqa: E402

BASELINE = "gatecheck.lib.day_ns"  # reads no input: the cost of converting it alone


def control_packages(policies: Any) -> list[str]:
    from gatecheck.engine.policy import package_of

    prefix = "gatecheck.controls."
    return sorted(
        package_of(m).removeprefix(prefix)
        for m in policies.modules
        if package_of(m).startswith(prefix)
    )


def embedded_worker(payload: Path, repeat: int) -> None:
    """Runs in a child process (it imports the binding): prints one JSON line of timings."""
    from opa_bindings import OpaEngine

    from gatecheck.engine.embedded_worker import _eval_raw

    request = json.loads(payload.with_suffix(".request.json").read_bytes())
    raw_input = payload.read_bytes()
    engine = OpaEngine()
    for path, source in request["modules"]:
        engine.add_policy(path, source)
    engine.add_data(request["data"])
    timings: dict[str, float] = {}
    for path in [BASELINE, *request["paths"]]:
        engine.eval_document(path, {})  # prepare (compile) outside the timing
        best = float("inf")
        for _ in range(repeat):
            start = time.perf_counter()
            _eval_raw(engine, path, raw_input)
            best = min(best, time.perf_counter() - start)
        timings[path] = best
    print(json.dumps(timings))


def run_embedded(work: Path, policies: Any, packages: list[str], repeat: int) -> dict[str, float]:
    payload = work / "input.json"
    paths = [f"gatecheck.controls.{p}" for p in packages]
    request = {
        "modules": [[f.path, f.text] for f in policies.modules],
        "data": policies.data,
        "paths": paths,
    }
    payload.with_suffix(".request.json").write_text(json.dumps(request), encoding="utf-8")
    proc = subprocess.run(
        [sys.executable, __file__, "--worker", str(payload), "--repeat", str(repeat)],
        capture_output=True,
        text=True,
        check=False,
        env={"GOGC": "400", **os.environ},
    )
    if proc.returncode != 0:
        raise SystemExit(f"embedded worker failed: {proc.stderr.strip()[-500:]}")
    timings = json.loads(proc.stdout.strip().splitlines()[-1])
    base = timings.pop(BASELINE)
    out = {"(input conversion)": base}
    for path, seconds in timings.items():
        out[path.removeprefix("gatecheck.controls.")] = max(seconds - base, 0.0)
    return out


def run_binary(opa: str, work: Path, policies: Any, packages: list[str]) -> dict[str, float]:
    from gatecheck.engine.binary import BinaryEngine

    BinaryEngine._materialize(policies, work / "opa", tests=False)
    out: dict[str, float] = {}
    for package in packages:
        proc = subprocess.run(
            [opa, "eval", "--strict-builtin-errors", "--metrics", "--format", "json"]
            + ["--input", str(work / "input.json"), "--data", str(work / "opa" / "modules")]
            + [f"data.gatecheck.controls.{package}"],
            capture_output=True,
            check=False,
        )
        answer = json.loads(proc.stdout or b"{}")
        if proc.returncode != 0 or answer.get("errors"):
            raise SystemExit(f"opa eval {package} failed: {proc.stderr.decode()[-300:]}")
        metrics = answer.get("metrics", {})
        out[package] = metrics.get("timer_rego_query_eval_ns", 0) / 1e9
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--components", type=int, default=50000)
    ap.add_argument("--vulns", type=int, default=None, help="default: 10%% of components")
    ap.add_argument("--stage", default="staging")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--top", type=int, default=15, help="rows shown (0: all)")
    ap.add_argument("--worker", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        embedded_worker(args.worker, args.repeat)
        return 0

    from gatecheck.bundles.store import read_manifest
    from gatecheck.engine.inputdoc import build_input
    from gatecheck.engine.policy import load_policy_set
    from gatecheck.timeutil import parse_rfc3339

    vulns = args.vulns if args.vulns is not None else max(1, args.components // 10)
    policies = load_policy_set()
    packages = control_packages(policies)
    opa = shutil.which("opa")
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        bundle = build(work, args.components, vulns)
        doc = build_input(
            bundle,
            read_manifest(bundle),
            stage=args.stage,
            effective=parse_rfc3339(AT),
            evidence_config={},
        )
        raw = json.dumps(doc, ensure_ascii=False, allow_nan=False).encode("utf-8")
        (work / "input.json").write_bytes(raw)
        print(
            f"{args.components} components, {vulns} vulns, stage {args.stage}, "
            f"input {len(raw) / 1e6:.1f} MB, {len(packages)} control packages"
        )
        columns = {"embedded": run_embedded(work, policies, packages, args.repeat)}
        order = sorted(columns["embedded"], key=lambda k: -columns["embedded"][k])
        shown = order[: args.top] if args.top else order
        if opa:
            slowest = [k for k in shown if k in packages]
            columns["opa"] = run_binary(opa, work, policies, slowest)
    print(f"{'control package':<22}" + "".join(f"{name + ' s':>12}" for name in columns))
    for key in shown:
        print(
            f"{key:<22}"
            + "".join(f"{col.get(key, float('nan')):>12.3f}" for col in columns.values())
        )
    total = sum(v for k, v in columns["embedded"].items() if not k.startswith("("))
    print(f"total of the controls (embedded): {total:.3f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
