"""The three OPA backends side by side on the same generated bundles.

For each size (bundles made as in bench_evaluate.py), one fresh ``gatecheck evaluate`` process
per backend: wall time, the gatecheck process's peak memory, and OPA's peak memory (the
embedded worker or the ``opa`` binary, both children of gatecheck; for ``server`` the
``opa run --server`` process, started fresh per size in bundle mode serving ``gatecheck policy
build`` output, so its peak includes loading the library). All backends must agree.

    PATH=/path/to/opa-dir:$PATH python benchmarks/bench_engines.py --components 2000 50000
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_evaluate import AT, STAGE, build  # noqa: E402

from gatecheck.engine.opa_bundle import write_opa_bundle  # noqa: E402
from gatecheck.engine.policy import load_policy_set  # noqa: E402

# Runs gatecheck's CLI and records its own peak RSS and its children's (the OPA process).
MEASURED = """
import atexit, os, resource, sys
def _record():
    with open("/proc/self/status") as f:
        own = next(int(line.split()[1]) for line in f if line.startswith("VmHWM:"))
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    with open(os.environ["BENCH_RSS"], "w") as out:
        out.write(f"{own} {kids}")
atexit.register(_record)
from gatecheck.cli.main import main
sys.argv[0] = "gatecheck"
main(sys.argv[1:])
"""


def peak_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("VmHWM:"))


@contextlib.contextmanager
def opa_server(opa: str, bundle: Path) -> Iterator[tuple[str, int]]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    proc = subprocess.Popen(
        [opa, "run", "--server", "--disable-telemetry", "--log-level", "error"]
        + ["--addr", f"127.0.0.1:{port}", "--bundle", str(bundle)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(400):
            with contextlib.suppress(OSError):
                with urllib.request.urlopen(f"{url}/health?bundles=true", timeout=1) as r:
                    if r.status == 200:
                        break
            time.sleep(0.05)
        else:
            raise SystemExit("opa run --server did not become healthy")
        yield url, proc.pid
    finally:
        proc.terminate()
        proc.wait()


def run(
    bundle: Path, backend: str, url: str | None, rss_file: Path
) -> tuple[float, int, int, dict]:
    args = ["evaluate", str(bundle), "--stage", STAGE, "--at", AT, "--format", "json"]
    args += ["--engine", backend] + (["--opa-url", url] if url else [])
    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-c", MEASURED, *args],
        capture_output=True,
        check=False,
        env={**os.environ, "BENCH_RSS": str(rss_file)},
    )
    wall = time.perf_counter() - start
    own, kids = (int(x) for x in rss_file.read_text().split())
    report = json.loads(proc.stdout)
    return wall, own, kids, report


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--components", type=int, nargs="+", default=[2000, 50000])
    args = parser.parse_args()
    opa = shutil.which("opa")
    if not opa:
        raise SystemExit("bench_engines needs the OPA binary on PATH (see README: Engines)")
    version = subprocess.run([opa, "version"], capture_output=True, text=True).stdout.split()[1]
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, opa binary {version}")
    print(f"{'components':>10}  {'backend':<9} {'wall s':>7} {'gatecheck MiB':>14} {'OPA MiB':>8}")
    for components in args.components:
        with tempfile.TemporaryDirectory() as tmp:
            work = Path(tmp)
            bundle = build(work, components, max(1, components // 10))
            policies = work / "policies.tar.gz"
            write_opa_bundle(load_policy_set(), policies)
            views = {}
            for backend in ("embedded", "opa", "server"):
                with contextlib.ExitStack() as stack:
                    url = server_pid = None
                    if backend == "server":
                        url, server_pid = stack.enter_context(opa_server(opa, policies))
                    wall, own, kids, report = run(bundle, backend, url, work / "rss")
                    opa_kib = peak_kib(server_pid) if server_pid else kids
                if report["decision"] == "error":
                    raise SystemExit(f"{backend}: {report['error']}")
                views[backend] = (report["decision"], report["results"])
                print(
                    f"{components:>10}  {backend:<9} {wall:>7.2f} {own / 1024:>14.0f} "
                    f"{opa_kib / 1024:>8.0f}   decision {report['decision']}"
                )
            if len({json.dumps(v, sort_keys=True) for v in views.values()}) != 1:
                raise SystemExit(f"{components} components: the backends disagree")


if __name__ == "__main__":
    main()
