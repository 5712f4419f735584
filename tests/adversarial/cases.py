"""The adversarial corpus: every case writes its hostile input under a work folder and returns
the gatecheck command line that must refuse it (exit 2, one line naming the problem).

Families:
- archive: hostile .tar.gz bundles through ``bundle verify`` and ``evaluate``;
- xml / json / yaml: hostile evidence refused at ``bundle add``, or smuggled into a sealed
  bundle (the manifest crafted so every digest matches) and refused at ``evaluate`` with
  decision error;
- manifest: edited, re-sealed or rearranged bundles through ``bundle verify`` and ``evaluate``.

Large inputs (bombs, 100,000-level nesting) are generated here, never committed.
"""

from __future__ import annotations

import gzip
import json
import os
import struct
import tarfile
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from gatecheck.bundles.manifest import EvidenceEntry
from gatecheck.bundles.store import add_evidence, init_bundle, read_manifest, seal_bundle
from gatecheck.digest import canonical_json, sha256_bytes

NAME, VERSION = "payments-api", "1.4.0"
DIGEST = "sha256:" + "ab" * 32
MiB = 1024 * 1024

JUNIT = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n'
    b'<testsuites><testsuite name="unit" tests="1" failures="0" errors="0" skipped="0">'
    b'<testcase classname="t" name="ok" time="0.01"/></testsuite></testsuites>\n'
)


@dataclass(frozen=True)
class Case:
    id: str
    family: str
    build: Callable[[Path], list[str]]
    """Writes the hostile input under the work folder; returns the gatecheck arguments."""
    expect: str
    """Regular expression the one error line must match (it names the problem)."""
    evaluate: bool = False
    """An ``evaluate`` run: stdout holds a JSON report whose decision must be ``error``."""


def escape_target(case_id: str) -> Path:
    """An absolute path outside every work folder that a case tries to write; it must never
    exist afterwards."""
    return Path("/tmp") / f"gatecheck-escape-{case_id}"


# --- bundles ---------------------------------------------------------------------------------


def draft(work: Path) -> Path:
    root = work / "bundle"
    init_bundle(
        root,
        NAME,
        VERSION,
        release_class="major",
        artifacts=[{"name": NAME, "version": VERSION, "digest": DIGEST}],
    )
    return root


def sealed(work: Path) -> Path:
    root = draft(work)
    (work / "junit.xml").write_bytes(JUNIT)
    add_evidence(root, [work / "junit.xml"], labels={"kind": "unit"})
    (work / "junit.xml").unlink()
    seal_bundle(root)
    return root


def smuggle(work: Path, raw: bytes, family: str, fmt: str, ext: str) -> Path:
    """A sealed bundle holding ``raw`` as ``family``/``fmt`` although ``bundle add`` would
    refuse it: the file and its manifest entry are written by hand, so every digest matches
    and ``bundle verify`` passes. Only evaluation can catch it."""
    root = draft(work)
    digest = sha256_bytes(raw)
    rel = f"evidence/{digest}.{ext}"
    (root / rel).write_bytes(raw)
    manifest = read_manifest(root)
    manifest.evidence.append(
        EvidenceEntry(
            path=rel,
            type=family,
            format=fmt,
            sha256=digest,
            size=len(raw),
            added_at="2026-01-01T00:00:00Z",
            source_name=f"hostile.{ext}",
        )
    )
    (root / "manifest.json").write_bytes(canonical_json(manifest.to_json()) + b"\n")
    seal_bundle(root)
    return root


def edit_manifest(root: Path, edit: Callable[[dict], None], *, reseal: bool) -> None:
    """Edit manifest.json; with ``reseal``, recompute its digest as a forger would."""
    from gatecheck.bundles.manifest import BundleManifest

    path = root / "manifest.json"
    value = json.loads(path.read_bytes())
    edit(value)
    if reseal:
        value["digest"] = BundleManifest.model_validate(value).compute_digest()
    path.write_bytes(canonical_json(value) + b"\n")


def evidence_path(root: Path, family: str) -> Path:
    entry = next(e for e in read_manifest(root).evidence if e.type == family)
    return root / entry.path


# --- archives ---------------------------------------------------------------------------------


def _pad(data: bytes) -> bytes:
    return data + b"\0" * (-len(data) % tarfile.BLOCKSIZE)


def member(
    name: str,
    data: bytes = b"",
    *,
    kind: bytes = tarfile.REGTYPE,
    linkname: str = "",
    size: int | None = None,
    pax: dict[str, str] | None = None,
) -> bytes:
    """One raw tar member (header + padded data), exactly as given: no name cleaning."""
    info = tarfile.TarInfo(name)
    info.type = kind
    info.linkname = linkname
    info.size = len(data) if size is None else size
    info.mode = 0o644
    if kind in (tarfile.CHRTYPE, tarfile.BLKTYPE):
        info.devmajor, info.devminor = 1, 3
    if pax:
        info.pax_headers = dict(pax)
        return info.tobuf(format=tarfile.PAX_FORMAT) + _pad(data)
    return info.tobuf(format=tarfile.GNU_FORMAT) + _pad(data)


def bundle_members(root: Path) -> list[bytes]:
    names = ["manifest.json"] + sorted(e.path for e in read_manifest(root).evidence)
    return [member(n, (root / n).read_bytes()) for n in names]


def write_tgz(path: Path, parts: Iterable[bytes]) -> Path:
    path.write_bytes(gzip.compress(b"".join(parts) + b"\0" * 1024, mtime=0))
    return path


def write_zero_bomb(path: Path, header: bytes, zeros: int, trailer: bytes = b"") -> Path:
    """``header``, then ``zeros`` zero bytes, then ``trailer``, gzip-compressed without ever
    holding the zeros: one fully flushed deflate block of 1 MiB of zeros is repeated (a full
    flush resets the compressor, so the block is the same each time). ~1000:1."""
    chunk = bytes(MiB)
    comp = zlib.compressobj(9, zlib.DEFLATED, -15)
    head = comp.compress(header) + comp.flush(zlib.Z_FULL_FLUSH)
    block = comp.compress(chunk) + comp.flush(zlib.Z_FULL_FLUSH)
    crc = zlib.crc32(header)
    with open(path, "wb") as out:
        out.write(b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff" + head)
        for _ in range(zeros // MiB):
            out.write(block)
            crc = zlib.crc32(chunk, crc)
        rest = zeros % MiB
        tail = trailer + b"\0" * 1024
        out.write(comp.compress(bytes(rest) + tail) + comp.flush())
        crc = zlib.crc32(tail, zlib.crc32(bytes(rest), crc))
        out.write(struct.pack("<II", crc, (len(header) + zeros + len(tail)) & 0xFFFFFFFF))
    return path


def _archive(
    case_id: str,
    hostile: Callable[[Path], list[bytes]],
    expect: str,
    *,
    evaluate: bool = False,
    first: bool = False,
) -> Case:
    """A packed sealed bundle plus hostile members (after the real ones, so extraction has
    begun when they are refused, unless ``first``)."""

    def build(work: Path) -> list[str]:
        root = sealed(work / "src")
        legit = bundle_members(root)
        extra = hostile(work)
        write_tgz(work / "bundle.tar.gz", extra + legit if first else legit + extra)
        return _command(evaluate, "bundle.tar.gz")

    return Case(case_id, "archive", build, expect, evaluate)


def _command(evaluate: bool, target: str) -> list[str]:
    if evaluate:
        return ["evaluate", target, "--stage", "dev", "--format", "json"]
    return ["bundle", "verify", target]


def _bomb(work: Path) -> list[str]:
    header = member("evidence/" + "0" * 64 + ".json", size=511 * MiB)
    write_zero_bomb(work / "bundle.tar.gz", header, 511 * MiB)
    return ["bundle", "verify", "bundle.tar.gz"]


def _bomb_evaluate(work: Path) -> list[str]:
    _bomb(work)
    return _command(True, "bundle.tar.gz")


def _long_header_bomb(kind: bytes) -> Callable[[Path], list[str]]:
    def build(work: Path) -> list[str]:
        size = 700 * MiB
        info = tarfile.TarInfo("././@LongLink" if kind == tarfile.GNUTYPE_LONGNAME else "pax")
        info.type, info.size = kind, size
        write_zero_bomb(work / "bundle.tar.gz", info.tobuf(format=tarfile.GNU_FORMAT), size)
        return ["bundle", "verify", "bundle.tar.gz"]

    return build


def _archive_from_bundle(mutate: Callable[[Path], None]) -> Callable[[Path], list[str]]:
    def build(work: Path) -> list[str]:
        root = sealed(work / "src")
        mutate(root)
        write_tgz(
            work / "bundle.tar.gz",
            bundle_members(root)
            + [
                member(p.relative_to(root).as_posix(), p.read_bytes())
                for p in sorted((root / "evidence").iterdir())
                if p.relative_to(root).as_posix()
                not in {e.path for e in read_manifest(root).evidence}
            ],
        )
        return ["bundle", "verify", "bundle.tar.gz"]

    return build


def _truncated(work: Path) -> list[str]:
    root = sealed(work / "src")
    data = gzip.compress(b"".join(bundle_members(root)) + b"\0" * 1024, mtime=0)
    (work / "bundle.tar.gz").write_bytes(data[: len(data) // 2])
    return ["bundle", "verify", "bundle.tar.gz"]


def _not_gzip(work: Path) -> list[str]:
    (work / "bundle.tar.gz").write_bytes(os.urandom(4096))
    return ["bundle", "verify", "bundle.tar.gz"]


def _oversized(work: Path) -> list[str]:
    # The header claims 600 MiB; the data is absent. Refused on the header alone.
    write_tgz(work / "bundle.tar.gz", [member("evidence/" + "1" * 64 + ".json", size=600 * MiB)])
    return ["bundle", "verify", "bundle.tar.gz"]


def archive_cases() -> list[Case]:
    esc = escape_target
    return [
        _archive("tar-dotdot", lambda w: [member("../escape.txt", b"x")], r"escapes the bundle"),
        _archive(
            "tar-dotdot-nested",
            lambda w: [member("evidence/../../../escape.txt", b"x")],
            r"escapes the bundle",
        ),
        _archive(
            "tar-dotdot-pax",
            lambda w: [member("benign.txt", b"x", pax={"path": "../../escape.txt"})],
            r"escapes the bundle",
        ),
        _archive(
            "tar-absolute", lambda w: [member(str(esc("tar-absolute")), b"x")], r"absolute path"
        ),
        _archive(
            "tar-backslash",
            lambda w: [member("evidence\\..\\..\\escape.txt", b"x")],
            r"invalid name",
        ),
        _archive(
            "tar-symlink",
            lambda w: [member("evidence/x.json", kind=tarfile.SYMTYPE, linkname="/etc/passwd")],
            r"is a symlink",
        ),
        _archive(
            "tar-symlink-dir-then-write",
            lambda w: [
                member(
                    "evidence",
                    kind=tarfile.SYMTYPE,
                    linkname=str(esc("tar-symlink-dir-then-write")),
                ),
                member("evidence/escape.txt", b"x"),
            ],
            r"is a symlink",
            first=True,
        ),
        _archive(
            "tar-hardlink",
            lambda w: [member("evidence/x.json", kind=tarfile.LNKTYPE, linkname="/etc/passwd")],
            r"is a hard link",
        ),
        _archive(
            "tar-chardev", lambda w: [member("evidence/null", kind=tarfile.CHRTYPE)], r"is a device"
        ),
        _archive(
            "tar-blockdev",
            lambda w: [member("evidence/disk", kind=tarfile.BLKTYPE)],
            r"is a device",
        ),
        _archive(
            "tar-fifo", lambda w: [member("evidence/fifo", kind=tarfile.FIFOTYPE)], r"special file"
        ),
        _archive(
            "tar-duplicate-manifest",
            lambda w: [member("manifest.json", b'{"forged": true}')],
            r"appears twice",
        ),
        _archive(
            "tar-case-collision",
            lambda w: [member("MANIFEST.json", b"{}")],
            r"differs only in case",
        ),
        Case("tar-gzip-bomb", "archive", _bomb, r"decompression bomb"),
        Case("tar-oversized-member", "archive", _oversized, r"larger than 512 MiB"),
        Case(
            "tar-pax-header-bomb",
            "archive",
            _long_header_bomb(tarfile.XHDTYPE),
            r"pax/long-name data",
        ),
        Case(
            "tar-gnu-longname-bomb",
            "archive",
            _long_header_bomb(tarfile.GNUTYPE_LONGNAME),
            r"pax/long-name data",
        ),
        Case("tar-truncated", "archive", _truncated, r"not a readable \.tar\.gz|truncated"),
        Case("tar-not-gzip", "archive", _not_gzip, r"not a readable \.tar\.gz"),
        Case(
            "tar-evidence-edited",
            "archive",
            _archive_from_bundle(
                lambda r: evidence_path(r, "test-results").write_bytes(
                    JUNIT.replace(b'failures="0"', b'failures="1"')
                )
            ),
            r"failed verification: .*changed",
        ),
        Case(
            "tar-extra-member",
            "archive",
            _archive_from_bundle(
                lambda r: (r / "evidence" / ("f" * 64 + ".json")).write_bytes(b"{}")
            ),
            r"unexpected file evidence/f{64}\.json",
        ),
        _archive(
            "tar-dotdot-evaluate",
            lambda w: [member("../escape.txt", b"x")],
            r"escapes the bundle",
            evaluate=True,
        ),
        _archive(
            "tar-symlink-evaluate",
            lambda w: [member("evidence/x.json", kind=tarfile.SYMTYPE, linkname="/etc/passwd")],
            r"is a symlink",
            evaluate=True,
        ),
        Case(
            "tar-gzip-bomb-evaluate",
            "archive",
            _bomb_evaluate,
            r"decompression bomb",
            evaluate=True,
        ),
    ]


# --- evidence files -------------------------------------------------------------------------


def _add(
    case_id: str,
    family: str,
    filename: str,
    raw: bytes | Callable[[], bytes],
    expect: str,
    *extra: str,
) -> Case:
    def build(work: Path) -> list[str]:
        draft(work)
        data = raw() if callable(raw) else raw
        (work / filename).write_bytes(data)
        return ["bundle", "add", "bundle", filename, *extra]

    return Case(case_id, family, build, expect)


def _smuggled(
    case_id: str,
    family: str,
    raw: bytes | Callable[[], bytes],
    ev_type: str,
    fmt: str,
    ext: str,
    expect: str,
) -> Case:
    def build(work: Path) -> list[str]:
        smuggle(work, raw() if callable(raw) else raw, ev_type, fmt, ext)
        return _command(True, "bundle")

    return Case(case_id, family, build, expect, evaluate=True)


def billion_laughs(root: str = "testsuites") -> bytes:
    entities = ['<!ENTITY lol0 "lol">'] + [
        f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10)
    ]
    return (
        f'<?xml version="1.0"?>\n<!DOCTYPE {root} [\n'
        + "\n".join(entities)
        + f"\n]>\n<{root}>&lol9;</{root}>\n"
    ).encode()


def quadratic_blowup() -> bytes:
    big = "A" * 100_000
    return (
        f'<?xml version="1.0"?><!DOCTYPE coverage [<!ENTITY a "{big}">]>'
        f'<coverage line-rate="1">{"&a;" * 20_000}</coverage>'
    ).encode()


XXE = (
    b'<?xml version="1.0"?>\n<!DOCTYPE testsuites [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
    b'\n<testsuites><testsuite name="&xxe;" tests="0"/></testsuites>\n'
)
XXE_PARAMETER = (
    b'<?xml version="1.0"?>\n<!DOCTYPE report [<!ENTITY % ext SYSTEM '
    b'"http://127.0.0.1:9/evil.dtd"> %ext;]>\n<report name="x"/>\n'
)
CDX_XML_XXE = (
    b'<?xml version="1.0"?>\n<!DOCTYPE bom [<!ENTITY v SYSTEM "file:///etc/hostname">]>'
    b'\n<bom xmlns="http://cyclonedx.org/schema/bom/1.6" version="1"><components>'
    b'<component type="library"><name>&v;</name></component></components></bom>\n'
)


def deep_xml(open_tag: str, close_tag: str, levels: int = 100_000) -> bytes:
    return (
        f"<?xml version='1.0'?>{open_tag}" + "<x>" * levels + "</x>" * levels + close_tag
    ).encode()


DEEP_JUNIT = lambda: deep_xml("<testsuites>", "</testsuites>")  # noqa: E731
DEEP_COBERTURA = lambda: deep_xml('<coverage line-rate="1">', "</coverage>")  # noqa: E731
DEEP_JACOCO = lambda: deep_xml('<report name="x">', "</report>")  # noqa: E731
DEEP_CDX = lambda: deep_xml(  # noqa: E731
    '<bom xmlns="http://cyclonedx.org/schema/bom/1.6" version="1">', "</bom>"
)


def xml_cases() -> list[Case]:
    return [
        _add("xml-billion-laughs", "xml", "junit.xml", billion_laughs(), r"unsafe XML refused"),
        _add(
            "xml-quadratic-blowup", "xml", "coverage.xml", quadratic_blowup, r"unsafe XML refused"
        ),
        _add("xml-external-entity", "xml", "junit.xml", XXE, r"unsafe XML refused"),
        _add(
            "xml-external-parameter-entity",
            "xml",
            "jacoco.xml",
            XXE_PARAMETER,
            r"unsafe XML refused",
        ),
        _add(
            "xml-cyclonedx-internal-subset-entity",
            "xml",
            "bom.xml",
            CDX_XML_XXE,
            r"unsafe XML refused",
        ),
        _add("xml-deep-junit", "xml", "junit.xml", DEEP_JUNIT, r"nested deeper than 256"),
        _add(
            "xml-deep-cobertura", "xml", "coverage.xml", DEEP_COBERTURA, r"nested deeper than 256"
        ),
        _add("xml-deep-jacoco", "xml", "jacoco.xml", DEEP_JACOCO, r"nested deeper than 256"),
        _add("xml-deep-cyclonedx", "xml", "bom.xml", DEEP_CDX, r"nested deeper than 256"),
        _add(
            "xml-invalid-utf8",
            "xml",
            "junit.xml",
            b'<?xml version="1.0" encoding="UTF-8"?><testsuites name="\xff\xfe"/>',
            r"not well-formed",
        ),
        _add("xml-truncated", "xml", "junit.xml", JUNIT[: len(JUNIT) // 2], r"not well-formed"),
        _smuggled(
            "xml-billion-laughs-smuggled",
            "xml",
            billion_laughs(),
            "test-results",
            "junit-xml",
            "xml",
            r"unsafe XML refused",
        ),
        _smuggled(
            "xml-deep-cobertura-smuggled",
            "xml",
            DEEP_COBERTURA,
            "coverage",
            "cobertura-xml",
            "xml",
            r"nested deeper than 256",
        ),
        _smuggled(
            "xml-deep-jacoco-smuggled",
            "xml",
            DEEP_JACOCO,
            "coverage",
            "jacoco-xml",
            "xml",
            r"nested deeper than 256",
        ),
        _smuggled(
            "xml-xxe-cyclonedx-smuggled",
            "xml",
            CDX_XML_XXE,
            "sbom",
            "cyclonedx-xml",
            "xml",
            r"unsafe XML refused",
        ),
    ]


CDX_HEAD = '{"bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1'


def _pip_audit(deps: str) -> bytes:
    return ('{"dependencies": ' + deps + ', "fixes": []}').encode()


def json_cases() -> list[Case]:
    big_int = lambda: (CDX_HEAD + ', "metadata": {"x": 1' + "0" * 5000 + "}}").encode()  # noqa: E731
    deep = lambda: b'{"bomFormat": "CycloneDX", "x": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"  # noqa: E731
    return [
        _add(
            "json-duplicate-key",
            "json",
            "bom.json",
            (CDX_HEAD + ', "components": [], "components": [{"name": "evil"}]}').encode(),
            r"duplicate key 'components'",
        ),
        _add(
            "json-nan",
            "json",
            "bom.json",
            (CDX_HEAD + ', "x": NaN}').encode(),
            r"NaN is not valid JSON",
        ),
        _add(
            "json-infinity",
            "json",
            "bom.json",
            (CDX_HEAD + ', "x": Infinity}').encode(),
            r"Infinity is not valid JSON",
        ),
        _add(
            "json-negative-infinity",
            "json",
            "bom.json",
            (CDX_HEAD + ', "x": -Infinity}').encode(),
            r"-Infinity is not valid JSON",
        ),
        _add("json-deep-100k", "json", "bom.json", deep, r"JSON nested too deeply"),
        _add(
            "json-float-1e400",
            "json",
            "bom.json",
            (CDX_HEAD + ', "x": 1e400}').encode(),
            r"out of range",
        ),
        _add("json-int-5000-digits", "json", "bom.json", big_int, r"5001 digits|digit"),
        _add(
            "json-int-65-digits",
            "json",
            "audit.json",
            _pip_audit('[{"name": "a", "version": ' + "9" * 65 + ', "vulns": []}]'),
            r"65 digits",
        ),
        _add(
            "json-invalid-utf8",
            "json",
            "bom.json",
            (CDX_HEAD + ', "x": "').encode() + b"\xc3\x28" + b'"}',
            r"not valid UTF-8",
        ),
        _add(
            "json-byte-order-mark",
            "json",
            "bom.json",
            b"\xef\xbb\xbf" + (CDX_HEAD + "}").encode(),
            r"byte-order mark",
        ),
        _add(
            "json-truncated",
            "json",
            "bom.json",
            (CDX_HEAD + ', "components": [{"na').encode(),
            r"not valid JSON",
        ),
        _add(
            "json-lone-surrogate",
            "json",
            "bom.json",
            (CDX_HEAD + ', "components": [{"type": "library", "name": "\\udc00"}]}').encode(),
            r"lone UTF-16 surrogate",
        ),
        _add("json-empty", "json", "empty.json", b"", r"unknown evidence format"),
        _add(
            "json-wrong-type-sarif-results",
            "json",
            "scan.sarif",
            b'{"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "x"}}, '
            b'"results": {"a": 1}}]}',
            r"results is not an array",
        ),
        _add(
            "json-wrong-type-trivy-results",
            "json",
            "trivy.json",
            b'{"SchemaVersion": 2, "ArtifactName": "x", "ArtifactType": "container_image", '
            b'"Results": 7}',
            r"Results is not a list|unexpected content",
        ),
        _add(
            "json-wrong-type-pip-audit-vulns",
            "json",
            "audit.json",
            _pip_audit('[{"name": "a", "version": "1", "vulns": 5}]'),
            r"unexpected content while reading it as pip-audit-json .*TypeError",
        ),
        _add(
            "json-wrong-type-pip-audit-aliases",
            "json",
            "audit.json",
            _pip_audit(
                '[{"name": "a", "version": "1", "vulns": [{"id": "X-1", '
                '"fix_versions": [], "aliases": 3}]}]'
            ),
            r"unexpected content while reading it as pip-audit-json",
        ),
        _smuggled(
            "json-duplicate-key-smuggled",
            "json",
            (CDX_HEAD + ', "components": [], "components": [{"name": "evil"}]}').encode(),
            "sbom",
            "cyclonedx-json",
            "json",
            r"duplicate key 'components'",
        ),
        _smuggled(
            "json-nan-smuggled",
            "json",
            _pip_audit('[{"name": "a", "version": "1", "vulns": [], "x": NaN}]'),
            "vulnerability-scan",
            "pip-audit-json",
            "json",
            r"NaN is not valid JSON",
        ),
        _smuggled(
            "json-lone-surrogate-smuggled",
            "json",
            _pip_audit('[{"name": "\\ud800", "version": "1", "vulns": []}]'),
            "vulnerability-scan",
            "pip-audit-json",
            "json",
            r"lone UTF-16 surrogate",
        ),
        _smuggled(
            "json-wrong-type-smuggled",
            "json",
            _pip_audit('[{"name": "a", "version": "1", "vulns": 5}]'),
            "vulnerability-scan",
            "pip-audit-json",
            "json",
            r"unexpected content while reading it as pip-audit-json",
        ),
        _smuggled(
            "json-deep-smuggled",
            "json",
            deep,
            "sbom",
            "cyclonedx-json",
            "json",
            r"JSON nested too deeply",
        ),
    ]


CHANGE_HEAD = "apiVersion: gatecheck.dev/v1\nkind: ChangeRecord\nid: CHG1\n"


def yaml_laughs() -> bytes:
    lines = ['a0: &a0 ["x","x","x","x","x","x","x","x","x","x"]']
    lines += [f"a{i}: &a{i} [" + ",".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, 10)]
    return (CHANGE_HEAD + "\n".join(lines) + "\n").encode()


def yaml_cases() -> list[Case]:
    return [
        _add("yaml-alias-bomb", "yaml", "change.yaml", yaml_laughs, r"aliases are not allowed"),
        _add(
            "yaml-python-tag",
            "yaml",
            "change.yaml",
            (CHANGE_HEAD + "x: !!python/object/apply:os.system ['touch /tmp/pwned']\n").encode(),
            r"not valid YAML",
        ),
        _add(
            "yaml-duplicate-key",
            "yaml",
            "change.yaml",
            (CHANGE_HEAD + "status: approved\nstatus: rejected\n").encode(),
            r"duplicate key 'status'",
        ),
        _add(
            "yaml-deep",
            "yaml",
            "change.yaml",
            (CHANGE_HEAD + "x: " + "[" * 20_000 + "]" * 20_000 + "\n").encode(),
            r"YAML nested too deeply",
        ),
        _add(
            "yaml-infinity",
            "yaml",
            "change.yaml",
            (CHANGE_HEAD + "x: .inf\n").encode(),
            r"infinite",
        ),
        _add(
            "yaml-huge-int",
            "yaml",
            "change.yaml",
            (CHANGE_HEAD + "x: 1" + "0" * 4000 + "\n").encode(),
            r"integer|digits",
        ),
        _smuggled(
            "yaml-alias-bomb-smuggled",
            "yaml",
            yaml_laughs,
            "change-record",
            "gatecheck-change-record",
            "yaml",
            r"aliases are not allowed",
        ),
    ]


# --- manifests ------------------------------------------------------------------------------


def _manifest(
    case_id: str, mutate: Callable[[Path, Path], None], expect: str, *, evaluate: bool = False
) -> Case:
    def build(work: Path) -> list[str]:
        root = sealed(work)
        mutate(work, root)
        return _command(evaluate, "bundle")

    return Case(case_id, "manifest", build, expect, evaluate)


def _point_outside(path: str) -> Callable[[Path, Path], None]:
    def mutate(work: Path, root: Path) -> None:
        outside = work / "outside.json"
        outside.write_bytes(b"{}")

        def edit(m: dict) -> None:
            entry = next(e for e in m["evidence"] if e["type"] == "test-results")
            entry.update(path=path, sha256=sha256_bytes(b"{}"), size=2)

        edit_manifest(root, edit, reseal=True)

    return mutate


def _edit_entry(field: str, value: object, *, reseal: bool) -> Callable[[Path, Path], None]:
    def mutate(work: Path, root: Path) -> None:
        def edit(m: dict) -> None:
            next(e for e in m["evidence"] if e["type"] == "test-results")[field] = value

        edit_manifest(root, edit, reseal=reseal)

    return mutate


def _swap_evidence(work: Path, root: Path) -> None:
    """A re-sealed bundle whose entry names a different file than the one present: the
    forger rewrote the entry's digest but the file on disk is still the original."""
    forged = JUNIT.replace(b'failures="0"', b'failures="0" x="1"')

    def edit(m: dict) -> None:
        entry = next(e for e in m["evidence"] if e["type"] == "test-results")
        entry["sha256"] = sha256_bytes(forged)
        entry["size"] = len(forged)
        entry["path"] = f"evidence/{entry['sha256']}.xml"

    edit_manifest(root, edit, reseal=True)


def _symlink_to_copy(work: Path, root: Path) -> None:
    target = evidence_path(root, "test-results")
    copy = work / "copy.xml"
    copy.write_bytes(target.read_bytes())
    target.unlink()
    target.symlink_to(copy)


def _symlink_evidence_dir(work: Path, root: Path) -> None:
    (root / "evidence").rename(work / "elsewhere")
    (root / "evidence").symlink_to(work / "elsewhere")


def _duplicate_entry(work: Path, root: Path) -> None:
    edit_manifest(root, lambda m: m["evidence"].append(dict(m["evidence"][0])), reseal=True)


def _second_release(work: Path, root: Path) -> None:
    """Two release manifests, both present with matching digests, re-sealed."""
    first = evidence_path(root, "release-manifest")
    raw = first.read_bytes() + b" "
    digest = sha256_bytes(raw)
    (root / "evidence" / f"{digest}.json").write_bytes(raw)

    def edit(m: dict) -> None:
        entry = dict(next(e for e in m["evidence"] if e["type"] == "release-manifest"))
        entry.update(path=f"evidence/{digest}.json", sha256=digest, size=len(raw))
        m["evidence"].append(entry)

    edit_manifest(root, edit, reseal=True)


def manifest_cases() -> list[Case]:
    return [
        _manifest(
            "manifest-entry-dotdot",
            _point_outside("evidence/../../outside.json"),
            r"not a content-addressed evidence path",
        ),
        _manifest(
            "manifest-entry-parent",
            _point_outside("../outside.json"),
            r"not a content-addressed evidence path",
        ),
        _manifest(
            "manifest-entry-absolute",
            _point_outside("/etc/passwd"),
            r"not a content-addressed evidence path",
        ),
        _manifest(
            "manifest-digest-mismatch",
            lambda w, r: evidence_path(r, "test-results").write_bytes(
                JUNIT.replace(b'failures="0"', b'failures="7"')
            ),
            r"changed \(size|changed \(sha256",
        ),
        _manifest(
            "manifest-same-size-edit",
            lambda w, r: evidence_path(r, "test-results").write_bytes(
                JUNIT.replace(b'name="ok"', b'name="OK"')
            ),
            r"changed \(sha256",
        ),
        _manifest(
            "manifest-resealed-entry-edited",
            _swap_evidence,
            r"evidence/[0-9a-f]{64}\.xml is missing; unexpected file",
        ),
        _manifest(
            "manifest-edited-not-resealed",
            _edit_entry("labels", {"kind": "integration"}, reseal=False),
            r"manifest\.json changed \(digest",
        ),
        _manifest(
            "manifest-digest-forged",
            lambda w, r: edit_manifest(
                r, lambda m: m.update(digest="sha256:" + "0" * 64), reseal=False
            ),
            r"manifest\.json changed",
        ),
        _manifest(
            "manifest-unexpected-file",
            lambda w, r: (r / "evidence" / "extra.json").write_bytes(b"{}"),
            r"unexpected file evidence/extra\.json",
        ),
        _manifest(
            "manifest-missing-file",
            lambda w, r: evidence_path(r, "test-results").unlink(),
            r"is missing",
        ),
        _manifest("manifest-symlinked-file", _symlink_to_copy, r"not a regular file"),
        _manifest(
            "manifest-symlinked-evidence-dir", _symlink_evidence_dir, r"evidence is a symbolic link"
        ),
        _manifest(
            "manifest-duplicate-json-key",
            lambda w, r: (r / "manifest.json").write_bytes(
                (r / "manifest.json")
                .read_bytes()
                .replace(b'{"created_at"', b'{"state":"draft","created_at"', 1)
            ),
            r"duplicate key 'state'",
        ),
        _manifest(
            "manifest-unknown-field",
            lambda w, r: edit_manifest(r, lambda m: m.update(trusted=True), reseal=False),
            r"invalid: trusted",
        ),
        _manifest("manifest-listed-twice", _duplicate_entry, r"lists .* twice"),
        _manifest(
            "manifest-unsealed",
            lambda w, r: edit_manifest(r, lambda m: m.update(state="draft"), reseal=False),
            r"not sealed",
        ),
        _manifest(
            "manifest-missing",
            lambda w, r: (r / "manifest.json").unlink(),
            r"not a gatecheck bundle",
        ),
        _manifest(
            "manifest-edited-evaluate",
            _edit_entry("labels", {"kind": "integration"}, reseal=False),
            r"manifest\.json changed",
            evaluate=True,
        ),
        _manifest(
            "manifest-two-releases-evaluate",
            _second_release,
            r"release manifests; exactly one",
            evaluate=True,
        ),
    ]


def all_cases() -> list[Case]:
    return archive_cases() + xml_cases() + json_cases() + yaml_cases() + manifest_cases()
