"""Normalization benchmark: the evidence half of an evaluation, and how it grows.

For each size, a bundle as in bench_evaluate.py (a CycloneDX 1.6 JSON SBOM with N components
and a pip-audit report of the same N packages with N/10 vulnerabilities) is built, then a
fresh process reads, detects, schema-validates and normalizes both files and builds the input
document exactly as ``gatecheck evaluate`` does (``engine.inputdoc.build_input``). Printed per
size: the time of each step (CPU seconds, which a busy shared machine distorts less than the
wall clock; the best of ``--repeat`` runs after a first one that compiles the schema), the
microseconds per component (flat when the work grows linearly), the input document's size as
OPA receives it, and the bytes each key of a component, a scan package and a vulnerability
takes in it (what a compact input would save). Target: <= 0.5 s at 50,000 components.

    python benchmarks/bench_normalize.py [--components 5000 20000 50000 100000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_evaluate import AT, build  # noqa: E402

TARGET_S = 0.5


def _key_bytes(items: list[dict[str, object]]) -> dict[str, int]:
    """Bytes of ``"key":value,`` per key over ``items``, as compact JSON writes them."""
    sizes: dict[str, int] = {}
    for item in items:
        for key, value in item.items():
            size = len(json.dumps({key: value}, ensure_ascii=False, separators=(",", ":"))) - 1
            sizes[key] = sizes.get(key, 0) + size
    return dict(sorted(sizes.items(), key=lambda kv: -kv[1]))


def measure(bundle: Path, repeat: int) -> None:
    """Runs in a child process: prints one JSON line. The cyclic collector is off, as in a
    `gatecheck evaluate` process (cli/evaluate.py)."""
    import gc

    gc.disable()
    from gatecheck.bundles.store import read_manifest
    from gatecheck.engine.inputdoc import build_input
    from gatecheck.evidence import registry
    from gatecheck.evidence.interface import Document, ParseContext
    from gatecheck.evidence.sbom import purl
    from gatecheck.timeutil import parse_rfc3339

    manifest = read_manifest(bundle)
    entries = [e for e in manifest.evidence if e.type in ("sbom", "vulnerability-scan")]
    runs: list[dict[str, float]] = []
    doc_in: dict[str, object] | None = None
    for _ in range(repeat + 1):
        doc_in = None  # each run starts from the heap a fresh process has, not two inputs'
        steps = dict.fromkeys(("read", "json", "normalize", "keys"), 0.0)
        keys: dict[str, str | None] = {}  # as build_input shares purl keys between files
        for entry in entries:
            clock = time.process_time()
            doc = Document.from_path(bundle / entry.path, name=entry.path)
            steps["read"] += time.process_time() - clock
            clock = time.process_time()
            doc.json  # noqa: B018 - the parse, timed on its own
            steps["json"] += time.process_time() - clock
            clock = time.process_time()
            facts = registry.parse(doc, entry.type, entry.format, ParseContext())
            steps["normalize"] += time.process_time() - clock
            clock = time.process_time()
            purl.annotate(entry.type, facts, keys)
            steps["keys"] += time.process_time() - clock
            del doc, facts
        del keys
        clock, wall = time.process_time(), time.perf_counter()
        doc_in = build_input(
            bundle, manifest, stage="staging", effective=parse_rfc3339(AT), evidence_config={}
        )
        steps["build_input"] = time.process_time() - clock
        steps["build_input_wall"] = time.perf_counter() - wall
        runs.append(steps)
    best = min(runs[1:], key=lambda s: s["build_input"])
    payload = json.dumps(doc_in, ensure_ascii=False, allow_nan=False).encode("utf-8")
    sbom = doc_in["evidence"]["sbom"][0]
    scan = doc_in["evidence"]["vulnerability_scan"][0]
    print(
        json.dumps(
            {
                "first": runs[0],
                "best": best,
                "input_bytes": len(payload),
                "evidence_bytes": sum(e.size for e in manifest.evidence),
                "component_keys": _key_bytes(sbom["components"]),
                "package_keys": _key_bytes(scan["packages"]),
                "vulnerability_keys": _key_bytes(scan["vulnerabilities"]),
            }
        )
    )


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--components", type=int, nargs="+", default=[5000, 20000, 50000, 100000])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--keys", action="store_true", help="print the bytes per key")
    ap.add_argument("--measure", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.measure:
        measure(args.measure, args.repeat)
        return 0
    print("components  read   json   normalize  keys   build_input (cpu / wall)  us/comp  input MB")
    ok = True
    for n in args.components:
        with tempfile.TemporaryDirectory() as tmp:
            bundle = build(Path(tmp), n, max(1, n // 10))
            proc = subprocess.run(
                [sys.executable, __file__, "--measure", str(bundle), "--repeat", str(args.repeat)],
                capture_output=True,
                text=True,
                check=False,
            )
        if proc.returncode != 0:
            print(proc.stderr, file=sys.stderr)
            return 1
        result = json.loads(proc.stdout.strip().splitlines()[-1])
        b = result["best"]
        print(
            f"{n:>10,}  {b['read']:.3f}  {b['json']:.3f}  {b['normalize']:.3f}      "
            f"{b['keys']:.3f}  {b['build_input']:.3f} / {b['build_input_wall']:.3f}"
            f"{'':12}{b['build_input'] / n * 1e6:6.1f}  {result['input_bytes'] / 1e6:6.1f}"
            f" (evidence {result['evidence_bytes'] / 1e6:.1f})"
        )
        if n == 50_000:
            ok = b["build_input"] <= TARGET_S
        if args.keys:
            for what in ("component_keys", "package_keys", "vulnerability_keys"):
                total = sum(result[what].values())
                parts = ", ".join(f"{k} {v / 1e6:.2f}" for k, v in result[what].items())
                print(f"{'':12}{what}: {total / 1e6:.2f} MB = {parts}")
    print(f"target: build_input <= {TARGET_S} s CPU at 50,000 components")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
