"""Deterministic packing of a sealed bundle, and unpacking that refuses hostile archives.

Packing: regular files only, sorted, USTAR headers with fixed owner, mode and mtime, gzip
without name or time, so the same bundle always gives the same bytes.

Unpacking: only regular files and directories; no absolute paths, ``..``, links, devices,
duplicate or case-colliding names; bounded member size, total size and member count, counted
while reading so a lying header or a gzip bomb cannot exhaust the disk. Two bounds guard what
tarfile itself would otherwise do unbounded: a pax or GNU long-name header is read whole into
memory (a 3 MB archive declaring a 700 MB pax header took 2 GB and 28 s), and a gzip bomb
under the size caps would still write gigabytes before the total cap stops it, so past
``RATIO_FREE_BYTES`` the stream may not expand more than ``MAX_RATIO`` times.
"""

from __future__ import annotations

import gzip
import io
import os
import tarfile
import tempfile
import zlib
from pathlib import Path, PurePosixPath

from gatecheck.bundles.fsutil import atomic_write
from gatecheck.bundles.manifest import MANIFEST_NAME
from gatecheck.bundles.store import verify_bundle
from gatecheck.errors import BundleError

MAX_MEMBER_BYTES = 512 * 1024 * 1024
MAX_TOTAL_BYTES = 2 * 1024 * 1024 * 1024
# A bundle holds its manifest and one file per evidence item: dozens, rarely hundreds.
# Creating a file or folder per member costs ~0.35 ms here, so 100,000 members (a 1 MB
# archive) took 35 s; 10,000 keeps any archive's member count under ~4 s.
MAX_MEMBERS = 10_000
# Real evidence compresses 2-31x with gzip -9 (the corpus; synthetic JUnit 26x); a run of
# zeros compresses ~1000x. The first RATIO_FREE_BYTES are never judged, so small bundles
# of any content unpack.
MAX_RATIO = 200
RATIO_FREE_BYTES = 64 * 1024 * 1024
# pax extended headers and GNU long names carry names and attributes: a few KiB in practice.
MAX_HEADER_BYTES = 1024 * 1024
_LONG_HEADER_TYPES = (
    tarfile.XHDTYPE,
    tarfile.XGLTYPE,
    tarfile.SOLARIS_XHDTYPE,
    tarfile.GNUTYPE_LONGNAME,
    tarfile.GNUTYPE_LONGLINK,
)


class _BoundedTarInfo(tarfile.TarInfo):
    """tarfile reads a pax/GNU long header's whole payload into memory before yielding the
    member it describes; refuse an oversized one before that read (same steps as
    ``TarInfo.fromtarfile``, with the check in between)."""

    @classmethod
    def fromtarfile(cls, tarfile: tarfile.TarFile) -> tarfile.TarInfo:  # type: ignore[override]
        buf = tarfile.fileobj.read(_BLOCKSIZE)
        obj = cls.frombuf(buf, tarfile.encoding, tarfile.errors)
        if obj.type in _LONG_HEADER_TYPES and obj.size > MAX_HEADER_BYTES:
            raise _OversizedHeader(
                f"header {obj.name!r} declares {obj.size} bytes of pax/long-name data "
                f"(more than {MAX_HEADER_BYTES // 1024} KiB)"
            )
        obj.offset = tarfile.fileobj.tell() - _BLOCKSIZE
        return obj._proc_member(tarfile)


_BLOCKSIZE = tarfile.BLOCKSIZE


class _OversizedHeader(Exception):
    pass


class _RatioGuard:
    """Counts compressed bytes read from the archive file, to judge the expansion ratio."""

    def __init__(self, raw: io.BufferedReader) -> None:
        self.raw = raw

    def check(self, archive: Path, expanded: int) -> None:
        if expanded <= RATIO_FREE_BYTES:
            return
        compressed = max(self.raw.tell(), 1)
        if expanded > compressed * MAX_RATIO:
            raise BundleError(
                f"{archive}: expands more than {MAX_RATIO} times ({compressed} compressed bytes "
                f"gave {expanded}); refused as a decompression bomb"
            )


def _check_end(archive: Path, gz: gzip.GzipFile, guard: _RatioGuard) -> None:
    """Read the gzip stream to its end: tarfile stops at the end-of-archive blocks, so without
    this a corrupted CRC or length trailer, or data appended after the archive, would pass.
    Only the zero padding tar writes may follow the last member."""
    while chunk := gz.read(1 << 16):
        guard.check(archive, gz.tell())
        if chunk.strip(b"\0"):
            raise BundleError(f"{archive}: data after the end of the tar archive")


def is_archive(path: Path) -> bool:
    return path.is_file() and path.name.endswith((".tar.gz", ".tgz"))


def pack_bundle(root: Path, output: Path) -> str:
    """Write ``output`` from the sealed bundle at ``root``; returns the manifest digest."""
    manifest = verify_bundle(root)
    members = [MANIFEST_NAME] + sorted({e.path for e in manifest.evidence})
    buffer = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buffer, mtime=0, compresslevel=9) as gz:
        with tarfile.open(fileobj=gz, mode="w", format=tarfile.USTAR_FORMAT) as tar:
            for name in members:
                data = (root / name).read_bytes()
                info = tarfile.TarInfo(name)
                info.size = len(data)
                info.mtime = 0
                info.mode = 0o644
                info.uid = info.gid = 0
                info.uname = info.gname = ""
                tar.addfile(info, io.BytesIO(data))
    atomic_write(output, buffer.getvalue())
    return manifest.digest or ""


def _check_name(name: str, seen: set[str], seen_folded: set[str]) -> str:
    if not name or "\x00" in name or "\\" in name:
        raise BundleError(f"archive member {name!r} has an invalid name")
    path = PurePosixPath(name)
    if path.is_absolute():
        raise BundleError(f"archive member {name!r} has an absolute path")
    if any(part == ".." for part in path.parts):
        raise BundleError(f"archive member {name!r} escapes the bundle (..)")
    clean = path.as_posix().removeprefix("./")
    if clean in seen:
        raise BundleError(f"archive member {clean!r} appears twice")
    if clean.casefold() in seen_folded:
        raise BundleError(
            f"archive member {clean!r} collides with another name that differs only in case"
        )
    seen.add(clean)
    seen_folded.add(clean.casefold())
    return clean


def unpack_bundle(archive: Path, destination: Path) -> None:
    """Extract ``archive`` into the empty directory ``destination`` or raise BundleError."""
    seen: set[str] = set()
    seen_folded: set[str] = set()
    total = 0
    count = 0
    try:
        with (
            open(archive, "rb") as raw,
            gzip.GzipFile(fileobj=raw, mode="rb") as gz,
            tarfile.open(fileobj=gz, mode="r:", tarinfo=_BoundedTarInfo) as tar,
        ):
            guard = _RatioGuard(raw)
            for member in tar:
                guard.check(archive, gz.tell())
                count += 1
                if count > MAX_MEMBERS:
                    raise BundleError(f"{archive}: more than {MAX_MEMBERS} members")
                name = _check_name(member.name, seen, seen_folded)
                if member.isdir():
                    (destination / name).mkdir(parents=True, exist_ok=True)
                    continue
                if not member.isreg():
                    kind = (
                        "symlink"
                        if member.issym()
                        else "hard link"
                        if member.islnk()
                        else "device"
                        if member.ischr() or member.isblk()
                        else "special file"
                    )
                    raise BundleError(
                        f"{archive}: member {name!r} is a {kind}; only regular files are allowed"
                    )
                if member.size > MAX_MEMBER_BYTES:
                    raise BundleError(
                        f"{archive}: member {name!r} is larger than {MAX_MEMBER_BYTES // 2**20} MiB"
                    )
                total += member.size
                if total > MAX_TOTAL_BYTES:
                    raise BundleError(
                        f"{archive}: unpacks to more than {MAX_TOTAL_BYTES // 2**30} GiB"
                    )
                target = destination / name
                if not target.resolve().is_relative_to(destination.resolve()):
                    raise BundleError(f"archive member {name!r} escapes the bundle")
                target.parent.mkdir(parents=True, exist_ok=True)
                source = tar.extractfile(member)
                if source is None:
                    raise BundleError(f"{archive}: member {name!r} cannot be read")
                written = 0
                with open(target, "xb") as out:
                    while chunk := source.read(1 << 20):
                        written += len(chunk)
                        if written > member.size:
                            raise BundleError(
                                f"{archive}: member {name!r} is longer than its header says"
                            )
                        out.write(chunk)
                        guard.check(archive, gz.tell())
                if written != member.size:
                    raise BundleError(f"{archive}: member {name!r} is truncated")
            _check_end(archive, gz, guard)
    except _OversizedHeader as exc:
        raise BundleError(f"{archive}: {exc}") from None
    except (tarfile.TarError, EOFError, zlib.error, gzip.BadGzipFile) as exc:
        raise BundleError(f"{archive}: not a readable .tar.gz bundle ({exc})") from None
    except FileExistsError as exc:
        raise BundleError(f"{archive}: member {exc.filename} appears twice") from None
    except OSError as exc:
        raise BundleError(f"{archive}: cannot be unpacked ({exc.strerror or exc})") from None


class OpenedBundle:
    """A verified bundle directory; for an archive, a private temporary copy removed on close."""

    def __init__(self, source: Path) -> None:
        self.source = source
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        if is_archive(source):
            self._tmp = tempfile.TemporaryDirectory(prefix="gatecheck-bundle-")
            self.root = Path(self._tmp.name)
            os.chmod(self.root, 0o700)
            try:
                unpack_bundle(source, self.root)
            except BaseException:
                self.close()
                raise
        elif source.is_dir():
            self.root = source
        elif source.exists():
            raise BundleError(f"{source}: not a bundle directory or .tar.gz archive")
        else:
            raise BundleError(f"{source}: no such bundle")
        try:
            self.manifest = verify_bundle(self.root)
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    def __enter__(self) -> OpenedBundle:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
