"""A small OSV API server on 127.0.0.1 for tests, serving real OSV records from YAML files.

It answers the endpoints pip-audit and OSV clients call, with the OSV API's semantics:
- ``POST /v1/query`` {"package": {"name", "ecosystem"}, "version"} -> {"vulns": [records]}, or
  {} when nothing affects that version (what api.osv.dev returns for a clean package);
- ``POST /v1/querybatch`` {"queries": [...]} -> {"results": [{"vulns": [{"id", "modified"}]}]};
- ``GET /v1/vulns/<id>`` -> the record.
A version is affected when the record's ``affected[].versions`` lists it or it falls inside
an ECOSYSTEM/SEMVER range (introduced <= version < fixed). Withdrawn records are still
returned, as the API does; clients decide what to do with them.
"""

from __future__ import annotations

import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from packaging.version import InvalidVersion, Version

from gatecheck.evidence import safe


def _pypi_name(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _same_package(pkg: dict[str, Any], name: str, ecosystem: str) -> bool:
    if pkg.get("ecosystem") != ecosystem:
        return False
    if ecosystem == "PyPI":
        return _pypi_name(str(pkg.get("name", ""))) == _pypi_name(name)
    return pkg.get("name") == name


def _version_key(ecosystem: str, version: str) -> Any:
    if ecosystem == "PyPI":
        return Version(version)
    return tuple(int(p) if p.isdigit() else p for p in re.split(r"[.\-+]", version.lstrip("v")))


def _in_range(events: list[dict[str, str]], ecosystem: str, version: str) -> bool:
    try:
        current = _version_key(ecosystem, version)
    except InvalidVersion:
        return False
    affected = False
    # Events are applied in version order: introduced opens a range, fixed/last_affected closes.
    ordered = []
    for event in events:
        ((kind, value),) = event.items()
        key = _version_key(ecosystem, "0") if value == "0" else _version_key(ecosystem, value)
        ordered.append((key, kind))
    for key, kind in sorted(ordered, key=lambda kv: kv[0]):
        if kind == "introduced" and current >= key:
            affected = True
        elif kind == "fixed" and current >= key or kind == "last_affected" and current > key:
            affected = False
    return affected


def affects(record: dict[str, Any], name: str, ecosystem: str, version: str) -> bool:
    for affected in record.get("affected") or []:
        if not _same_package(affected.get("package") or {}, name, ecosystem):
            continue
        if version in (affected.get("versions") or []):
            return True
        for rng in affected.get("ranges") or []:
            if rng.get("type") in ("ECOSYSTEM", "SEMVER") and _in_range(
                rng.get("events") or [], ecosystem, version
            ):
                return True
    return False


class OsvServer:
    """Start with ``start()``, stop with ``stop()``; ``queries`` records every query seen."""

    def __init__(self, records_dir: Path) -> None:
        self.records = [
            safe.load_yaml(path.read_bytes(), name=path.name)
            for path in sorted(records_dir.glob("*.yaml"))
        ]
        self.queries: list[dict[str, Any]] = []
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        assert self._httpd is not None, "server not started"
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    def query(self, body: dict[str, Any]) -> list[dict[str, Any]]:
        self.queries.append(body)
        pkg = body.get("package") or {}
        version = body.get("version")
        if not isinstance(version, str):
            return []
        return [
            r
            for r in self.records
            if affects(r, str(pkg.get("name", "")), str(pkg.get("ecosystem", "")), version)
        ]

    def start(self) -> OsvServer:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def _send(self, status: int, payload: Any) -> None:
                data = json.dumps(payload).encode("utf-8")
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _body(self) -> Any:
                length = int(self.headers.get("Content-Length") or 0)
                return json.loads(self.rfile.read(length) or b"{}")

            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                try:
                    body = self._body()
                except json.JSONDecodeError:
                    self._send(400, {"code": 3, "message": "invalid JSON"})
                    return
                if self.path == "/v1/query":
                    vulns = server.query(body)
                    self._send(200, {"vulns": vulns} if vulns else {})
                elif self.path == "/v1/querybatch":
                    results = []
                    for q in body.get("queries") or []:
                        found = server.query(q)
                        results.append(
                            {
                                "vulns": [
                                    {"id": r["id"], "modified": r.get("modified")} for r in found
                                ]
                            }
                            if found
                            else {}
                        )
                    self._send(200, {"results": results})
                else:
                    self._send(404, {"code": 5, "message": "Not Found"})

            def do_GET(self) -> None:  # noqa: N802
                prefix = "/v1/vulns/"
                if self.path.startswith(prefix):
                    wanted = self.path[len(prefix) :]
                    for record in server.records:
                        if record["id"] == wanted:
                            self._send(200, record)
                            return
                self._send(404, {"code": 5, "message": "Bug not found."})

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                pass  # keep test output clean

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
