"""The policy set as an OPA bundle (.tar.gz with ``.manifest``), for OPA fleets to serve.

The manifest's revision is the policy revision (files and data), which ``--engine server`` checks before it
trusts a server's answers. The data carries the configuration's parameters and stage profiles
(``data.gatecheck.config``) when the set was loaded with one, so a server answers other
clients as the gate decides; the manifest's metadata names that document's digest.
"""

from __future__ import annotations

import gzip
import io
import json
import tarfile
from pathlib import Path
from typing import Any

from gatecheck.bundles.fsutil import atomic_write
from gatecheck.digest import canonical_json, sha256_bytes
from gatecheck.engine.policy import PolicySet


def config_document(data: dict[str, Any]) -> Any:
    """``data.gatecheck.config``: the library's defaults with the configuration's overlay."""
    gatecheck = data.get("gatecheck")
    return gatecheck.get("config") if isinstance(gatecheck, dict) else None


def config_digest(data: dict[str, Any]) -> str:
    return "sha256:" + sha256_bytes(canonical_json(config_document(data)))


def write_opa_bundle(
    policies: PolicySet, output: Path, signing_key: Any = None, key_id: str = "default"
) -> None:
    """Write the bundle; with a signing key, also OPA's ``.signatures.json`` over every file
    (``opa run --verification-key`` then refuses the bundle if any byte changes)."""
    files: list[tuple[str, bytes]] = [
        (
            ".manifest",
            json.dumps(
                {
                    "revision": policies.revision,
                    "roots": ["gatecheck"],
                    "metadata": {"gatecheck": {"config_digest": config_digest(policies.data)}},
                },
                sort_keys=True,
            ).encode(),
        ),
        (
            "data.json",
            json.dumps(policies.data, sort_keys=True, ensure_ascii=False).encode("utf-8"),
        ),
    ]
    files += [(f"policies/{m.path}", m.text.encode("utf-8")) for m in policies.modules]
    if signing_key is not None:
        from gatecheck.engine.opa_bundle_signing import SIGNATURES_FILE, signatures_file

        files.append((SIGNATURES_FILE, signatures_file(files, signing_key, key_id)))
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
