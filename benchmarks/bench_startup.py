"""Startup benchmark: the shipped example evaluated by fresh ``gatecheck evaluate`` processes.

Prints the median wall time and the median CPU time (user + system of gatecheck and its OPA
worker; on a busy shared machine the wall clock mostly measures the other tenants, CPU time
does not) over ``--runs`` processes, and which optional heavy modules the run imported (the
example needs none of them: X.509 is for certificates, sigstore for keyless bundles, lxml for
XML schema validation, rich for terminal progress). Target: median wall <= 0.6 s.

    python benchmarks/bench_startup.py [--runs 9]
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = [
    "evaluate",
    str(ROOT / "examples" / "payments-api-1.4.0"),
    "--stage",
    "production",
    "--config",
    str(ROOT / "examples" / "gatecheck.yaml"),
    "--at",
    "2026-11-27T10:00:00Z",
]
TARGET_S = 0.6
OPTIONAL = ("cryptography.x509", "sigstore", "lxml", "rich", "cvss", "pip_audit")


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_once() -> tuple[float, float]:
    cpu, start = _cpu(), time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "gatecheck", *EXAMPLE], capture_output=True, check=False, cwd="/"
    )
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"the example did not pass (exit {proc.returncode}): {proc.stderr!r}")
    return wall, _cpu() - cpu


def imported_optional() -> list[str]:
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "gatecheck", *EXAMPLE],
        capture_output=True,
        text=True,
        check=False,
        cwd="/",
    )
    names = {line.rsplit("|", 1)[-1].strip() for line in proc.stderr.splitlines()}
    return sorted(n for n in names if n.startswith(OPTIONAL))


def compile_bytecode() -> None:
    """Write gatecheck's bytecode cache even under PYTHONDONTWRITEBYTECODE=1: an installed
    wheel ships it, and compiling every module anew costs a fresh process about 0.15 s."""
    import compileall
    import importlib

    packages = ("gatecheck", "gatecheck.bundles", "gatecheck.cli", "gatecheck.engine")
    for name in (*packages, "gatecheck.evidence"):
        for folder in importlib.import_module(name).__path__:
            compileall.compile_dir(folder, quiet=1)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=9)
    args = ap.parse_args()
    compile_bytecode()
    run_once()  # warm the file cache
    walls, cpus = zip(*(run_once() for _ in range(args.runs)), strict=True)
    wall, cpu = statistics.median(walls), statistics.median(cpus)
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}")
    print(
        f"example, {args.runs} fresh processes: median wall {wall:.3f} s "
        f"(min {min(walls):.3f}), median CPU {cpu:.3f} s (min {min(cpus):.3f})"
    )
    heavy = imported_optional()
    print(f"optional heavy modules imported: {', '.join(heavy) or 'none'}")
    print(f"target: median wall <= {TARGET_S} s")
    return 0 if wall <= TARGET_S else 1


if __name__ == "__main__":
    sys.exit(main())
