"""Evaluation benchmark: generate a bundle of a given size, then measure.

Prints per-phase timings (policies, verify, normalize, evaluate, decide) from an in-process
run, and the wall time and peak memory of a fresh ``gatecheck evaluate`` process (what a
pipeline pays), for each size asked for.

    python benchmarks/bench_evaluate.py --components 2000 50000 --vulns 200 5000
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from gatecheck.bundles.store import add_evidence, init_bundle, seal_bundle
from gatecheck.engine.backends import make_engine
from gatecheck.engine.evaluate import EvaluationRequest, Phases, evaluate

DIGEST = "sha256:" + "c0ffee" * 10 + "c0ff"
AT = "2026-01-15T10:00:00Z"
# The generated evidence is unsigned: in production GC-EVD-001 excludes it, so the controls
# would see no SBOM or scan at all. Staging evaluates the same facts with every control.
STAGE = "staging"


def make_sbom(path: Path, components: int) -> None:
    bom = {
        "bomFormat": "CycloneDX",
        "specVersion": "1.6",
        "version": 1,
        "metadata": {
            "timestamp": "2026-01-15T09:00:00Z",
            "tools": {
                "components": [{"type": "application", "name": "bench-generator", "version": "1"}]
            },
            "component": {
                "type": "application",
                "name": "bench-app",
                "version": "1.0.0",
                "bom-ref": "bench-app",
                "hashes": [{"alg": "SHA-256", "content": DIGEST[7:]}],
            },
        },
        "components": [
            {
                "type": "library",
                "name": f"pkg{i}",
                "version": f"1.{i % 50}.{i % 7}",
                "bom-ref": f"pkg{i}",
                "purl": f"pkg:pypi/pkg{i}@1.{i % 50}.{i % 7}",
                "licenses": [{"license": {"id": "MIT"}}],
            }
            for i in range(components)
        ],
    }
    path.write_text(json.dumps(bom), encoding="utf-8")


def make_scan(path: Path, components: int, vulns: int) -> None:
    deps = []
    for i in range(components):
        dep = {"name": f"pkg{i}", "version": f"1.{i % 50}.{i % 7}", "vulns": []}
        if i < vulns:
            dep["vulns"] = [
                {
                    "id": f"PYSEC-2026-{i}",
                    "fix_versions": ["9.9.9"],
                    "aliases": [f"CVE-2026-{i}"],
                    "description": "synthetic",
                }
            ]
        deps.append(dep)
    path.write_text(json.dumps({"dependencies": deps, "fixes": []}), encoding="utf-8")


def build(workdir: Path, components: int, vulns: int) -> Path:
    root = workdir / f"bundle-{components}"
    init_bundle(
        root,
        "bench-app",
        "1.0.0",
        release_class="standard",
        artifacts=[{"name": "bench-app", "version": "1.0.0", "digest": DIGEST}],
    )
    make_sbom(workdir / "sbom.cdx.json", components)
    make_scan(workdir / "pip-audit.json", components, vulns)
    add_evidence(root, [workdir / "sbom.cdx.json", workdir / "pip-audit.json"])
    seal_bundle(root)
    return root


def fresh_process(bundle: Path, stage: str = STAGE) -> tuple[float, float, float, int]:
    """Wall seconds, CPU seconds and peak MiB of one ``gatecheck evaluate`` process (with its
    OPA worker), and its exit code."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "gatecheck",
            "evaluate",
            str(bundle),
            "--stage",
            stage,
            "--at",
            AT,
            "--format",
            "json",
        ],
        capture_output=True,
        check=False,
    )
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    # ru_maxrss of children: the largest of any child so far (sizes run smallest first)
    return wall, cpu, after.ru_maxrss / 1024, proc.returncode


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--components", type=int, nargs="+", default=[2000, 50000])
    parser.add_argument(
        "--vulns",
        type=int,
        nargs="+",
        default=None,
        help="vulnerabilities per size (default: 10%% of components)",
    )
    parser.add_argument("--engine", default="embedded")
    parser.add_argument("--stage", default=STAGE)
    parser.add_argument("--runs", type=int, default=1, help="fresh processes per size (median)")
    args = parser.parse_args()
    vulns = args.vulns or [max(1, n // 10) for n in args.components]
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, engine {args.engine}")
    for components, nvulns in zip(args.components, vulns, strict=True):
        with tempfile.TemporaryDirectory() as tmp:
            bundle = build(Path(tmp), components, nvulns)
            size = sum(p.stat().st_size for p in bundle.rglob("*") if p.is_file())
            phases = Phases()
            from gatecheck.timeutil import parse_rfc3339

            report = evaluate(
                EvaluationRequest(bundle=bundle, stage=args.stage, effective=parse_rfc3339(AT)),
                make_engine(args.engine),
                phases,
            )
            if report["decision"] == "error":
                raise SystemExit(f"evaluation failed: {report['error']}")
            timings = "  ".join(f"{k} {v * 1000:.0f} ms" for k, v in phases.timings.items())
            runs = [fresh_process(bundle, args.stage) for _ in range(args.runs)]
            wall = statistics.median(r[0] for r in runs)
            cpu = statistics.median(r[1] for r in runs)
            peak_mib, code = max(r[2] for r in runs), runs[-1][3]
            print(
                f"{components:>6} components, {nvulns:>5} vulns, bundle {size / 1e6:.1f} MB: {timings}"
            )
            print(
                f"        fresh process ({args.stage}, median of {args.runs}): wall {wall:.2f} s, "
                f"CPU {cpu:.2f} s, peak memory {peak_mib:.0f} MiB, exit {code}, "
                f"decision {report['decision']}"
            )


if __name__ == "__main__":
    main()
