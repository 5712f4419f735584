"""The real OPA binary for the ``opa`` and ``server`` backends: found on PATH, and run as
``opa run --server`` on a free loopback port by the tests themselves.

Without the binary these tests skip saying so; with ``GATECHECK_REQUIRE_OPA=1`` (set by
``.ci/run``, which builds the pinned binary) a missing binary is a failure instead, so CI
cannot pass by skipping every backend but one.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PINNED_VERSION = (ROOT / ".ci" / "opa-version").read_text(encoding="utf-8").strip()
MISSING = (
    f"the OPA binary is not on PATH (CI builds {PINNED_VERSION}: "
    f"go install github.com/open-policy-agent/opa@{PINNED_VERSION})"
)


def opa_binary() -> str | None:
    return shutil.which("opa")


def require_opa() -> str:
    """The binary's path; skip (or fail, when CI requires OPA) without it."""
    found = opa_binary()
    if found:
        return found
    if os.environ.get("GATECHECK_REQUIRE_OPA") == "1":
        pytest.fail(f"GATECHECK_REQUIRE_OPA=1 but {MISSING}")
    pytest.skip(MISSING)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/health?bundles=true", timeout=1) as response:
            return response.status == 200
    except OSError:
        return False


@contextlib.contextmanager
def opa_server(
    bundle: Path | None = None, timeout: float = 20.0, extra: tuple[str, ...] = ()
) -> Iterator[str]:
    """``opa run --server`` on 127.0.0.1 (serving ``bundle`` when given); yields its URL and
    stops it afterwards."""
    opa = require_opa()
    for _attempt in range(3):  # the free port can be taken between probe and bind
        port = _free_port()
        url = f"http://127.0.0.1:{port}"
        args = [opa, "run", "--server", "--disable-telemetry", "--addr", f"127.0.0.1:{port}"]
        if bundle is not None:
            args += ["--bundle", str(bundle)]
        args += list(extra)
        # A file, not a pipe: a full pipe would block the server's logging mid-test.
        log = tempfile.TemporaryFile()  # noqa: SIM115 - lives as long as the server
        proc = subprocess.Popen(
            [*args, "--log-level", "error"],
            stdout=subprocess.DEVNULL,
            stderr=log,
            stdin=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + timeout
        while proc.poll() is None and time.monotonic() < deadline and not _healthy(url):
            time.sleep(0.05)
        if proc.poll() is None and _healthy(url):
            break
        proc.kill()
        proc.wait()
        log.seek(0)
        stderr = log.read().decode("utf-8", "replace")
        log.close()
        if "address already in use" not in stderr:
            raise RuntimeError(f"opa run --server did not start: {stderr[-500:]}")
    else:
        raise RuntimeError("opa run --server found no free port")
    try:
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()
