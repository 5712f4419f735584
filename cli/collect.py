"""``gatecheck collect``: run a scanner and keep its report as evidence.

``collect pip-audit`` runs pip-audit and writes its JSON report unchanged, byte for byte, but
only when the report is trustworthy: pip-audit exits 0 and prints "No known vulnerabilities
found" when it could not reach its vulnerability service or skipped dependencies, so a report
is refused (exit 2, nothing written) when the service was unreachable, any dependency was
skipped, or nothing was audited. The report is written to a temporary file beside the target
and renamed into place, so a reader never sees half a report and a failed run never replaces
an earlier one.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path
from urllib.parse import urlsplit

import click

from gatecheck.cli.common import handle_errors
from gatecheck.errors import EvidenceError, UsageError

OSV_QUERY_PATH = "/v1/query"
DEFAULT_TIMEOUT_S = 300.0
# pip-audit's own per-request socket timeout; the whole run is bounded by --timeout.
MAX_SOCKET_TIMEOUT_S = 30
_UNREACHABLE_MARKERS = (
    "ConnectionError",
    "Could not connect",
    "Max retries exceeded",
    "Connection refused",
    "Name or service not known",
    "ConnectTimeout",
    "ReadTimeout",
)


def osv_query_url(url: str) -> str:
    """The OSV API's query endpoint for ``url``, which may be the API base or the endpoint."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise UsageError(f"--osv-url {url!r} is not an http(s) URL (e.g. https://api.osv.dev)")
    base = url.rstrip("/")
    return base if base.endswith(OSV_QUERY_PATH) else base + OSV_QUERY_PATH


def _last_line(stderr: str) -> str:
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    return lines[-1][:300] if lines else "no error output"


def pip_audit_command(
    report: Path,
    requirements: tuple[Path, ...],
    paths: tuple[Path, ...],
    osv_url: str | None,
    no_deps: bool,
    timeout: float,
) -> list[str]:
    socket_timeout = max(1, min(int(timeout), MAX_SOCKET_TIMEOUT_S))
    cmd = [
        sys.executable,
        "-m",
        "pip_audit",
        "--format",
        "json",
        "--progress-spinner",
        "off",
        "--timeout",
        str(socket_timeout),
        "--output",
        str(report),
    ]
    if osv_url:
        cmd += ["--vulnerability-service", "osv", "--osv-url", osv_query_url(osv_url)]
    for req in requirements:
        cmd += ["--requirement", str(req)]
    for path in paths:
        cmd += ["--path", str(path)]
    if no_deps:
        cmd += ["--no-deps", "--disable-pip"]
    return cmd


def run_pip_audit(
    output: Path,
    requirements: tuple[Path, ...] = (),
    paths: tuple[Path, ...] = (),
    osv_url: str | None = None,
    no_deps: bool = False,
    timeout: float = DEFAULT_TIMEOUT_S,
) -> dict[str, int]:
    """Run pip-audit and move its report to ``output``; raise GatecheckError instead of
    writing a report that could read as an all-clear it is not."""
    from gatecheck.evidence.interface import Document, ParseContext
    from gatecheck.evidence.scans.pipaudit import PipAuditParser

    if requirements and paths:
        raise UsageError("give either -r/--requirement or --path, not both")
    if no_deps and not requirements:
        raise UsageError("--no-deps audits requirements files as written; it needs -r")
    if timeout <= 0:
        raise UsageError("--timeout must be a positive number of seconds")
    for req in requirements:
        if not req.is_file():
            raise UsageError(f"{req}: requirements file does not exist")
    for path in paths:
        if not path.is_dir():
            raise UsageError(f"{path}: --path must be an existing directory")
    target_dir = output.resolve().parent
    if not target_dir.is_dir():
        raise UsageError(f"{output}: the output directory does not exist")

    fd, tmp_name = tempfile.mkstemp(prefix=f".{output.name}.", suffix=".tmp", dir=target_dir)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        tmp.unlink()  # pip-audit writes the file itself; absent means it wrote nothing
        cmd = pip_audit_command(tmp, requirements, paths, osv_url, no_deps, timeout)
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)
        except subprocess.TimeoutExpired:
            raise EvidenceError(
                f"pip-audit did not finish within {timeout:g} s and was stopped; "
                "no report written (raise --timeout or check the vulnerability service)"
            ) from None
        service = osv_query_url(osv_url) if osv_url else "the PyPI vulnerability service"
        # Exit 1 with a report means vulnerabilities were found; anything else is a failure.
        if proc.returncode not in (0, 1) or not tmp.is_file() or tmp.stat().st_size == 0:
            last = _last_line(proc.stderr)
            if any(marker in proc.stderr for marker in _UNREACHABLE_MARKERS):
                raise EvidenceError(
                    f"pip-audit could not reach {service}; no report written ({last})"
                )
            raise EvidenceError(
                f"pip-audit failed (exit {proc.returncode}) without a report; "
                f"no report written ({last})"
            )
        raw = tmp.read_bytes()
        try:
            facts = PipAuditParser().parse(
                Document(raw, output.name), "pip-audit-json", ParseContext()
            )
        except EvidenceError as exc:
            raise EvidenceError(f"pip-audit wrote a report gatecheck cannot read: {exc}") from None
        unaudited = facts["unaudited"]
        if unaudited:
            listed = "; ".join(f"{u['name']}: {u['reason']}" for u in unaudited[:3])
            more = f" and {len(unaudited) - 3} more" if len(unaudited) > 3 else ""
            raise EvidenceError(
                f"pip-audit could not audit {len(unaudited)} "
                f"{'dependency' if len(unaudited) == 1 else 'dependencies'} ({listed}{more}); "
                "no report written"
            )
        if not facts["packages"]:
            raise EvidenceError("pip-audit audited no dependencies; no report written")
        os.replace(tmp, output)
    finally:
        tmp.unlink(missing_ok=True)
    return {
        "dependencies": len(facts["packages"]),
        "vulnerabilities": len(facts["vulnerabilities"]),
    }


@click.group("collect")
def collect() -> None:
    """Run a scanner and keep its report as evidence."""


@collect.command("pip-audit")
@click.option(
    "-r",
    "--requirement",
    "requirements",
    multiple=True,
    type=click.Path(path_type=Path),
    help="Requirements file to audit (repeatable).",
)
@click.option(
    "--path",
    "paths",
    multiple=True,
    type=click.Path(path_type=Path),
    help="Audit the distributions installed in this directory (repeatable).",
)
@click.option(
    "--osv-url",
    help="Query this OSV API (base URL or its /v1/query endpoint) instead of PyPI's service.",
)
@click.option(
    "--no-deps",
    is_flag=True,
    help="Requirements are fully pinned: audit them as written, without resolving them "
    "through pip (pip-audit --no-deps --disable-pip).",
)
@click.option(
    "--timeout",
    type=float,
    default=DEFAULT_TIMEOUT_S,
    show_default=True,
    help="Stop pip-audit after this many seconds.",
)
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Where to write pip-audit's JSON report.",
)
@handle_errors
def pip_audit(
    requirements: tuple[Path, ...],
    paths: tuple[Path, ...],
    osv_url: str | None,
    no_deps: bool,
    timeout: float,
    output: Path,
) -> None:
    """Run pip-audit and keep its JSON report, refusing incomplete audits."""
    counts = run_pip_audit(output, requirements, paths, osv_url, no_deps, timeout)
    click.echo(
        f"pip-audit: {counts['dependencies']} dependencies audited, "
        f"{counts['vulnerabilities']} known vulnerabilities; report written to {output}",
        err=True,
    )
