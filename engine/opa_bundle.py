"""The policy set as an OPA bundle (.tar.gz with ``.manifest``), for OPA fleets to serve.

The manifest's revision is the policy revision (files and data), which ``--engine server`` checks before it
trusts a server's answers.
"""

from __future__ import annotations

import gzip
import io
import json
import tarfile
from pathlib import Path

from gatecheck.bundles.fsutil import atomic_write
from gatecheck.engine.policy import PolicySet


def write_opa_bundle(policies: PolicySet, output: Path) -> None:
    files: list[tuple[str, bytes]] = [
        (
            ".manifest",
            json.dumps(
                {"revision": policies.revision, "roots": ["gatecheck"]}, sort_keys=True
            ).encode(),
        ),
        (
            "data.json",
            json.dumps(policies.data, sort_keys=True, ensure_ascii=False).encode("utf-8"),
        ),
    ]
    files += [(f"policies/{m.path}", m.text.encode("utf-8")) for m in policies.modules]
    buffer = io.BytesIO()
    with (
        gzip.GzipFile(filename="", mode="wb", fileobj=buffer, mtime=0) as gz,
        tarfile.open(fileobj=gz, mode="w", format=tarfile.USTAR_FORMAT) as tar,
    ):
        for name, data in sorted(files):
            info = tarfile.TarInfo(name)
            info.size, info.mtime, info.mode = len(data), 0, 0o644
            tar.addfile(info, io.BytesIO(data))
    atomic_write(output, buffer.getvalue())
