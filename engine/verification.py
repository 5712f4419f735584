"""Verifying a signed report offline: signature, statement, predicate type, subjects, bundle.

A report file is one of:

- a DSSE envelope signed with a key (``evaluate --sign-key``), verified against the public
  keys given. DSSE leaves the JSON framing, base64 spelling, ``keyid`` and signature encoding
  unsigned, so only the bytes gatecheck writes verify: canonical JSON (sorted keys, no
  whitespace, standard padded base64, one trailing newline), each signature in the one form of
  ``engine/report_signatures.py`` (DER low-S ECDSA, 64-byte Ed25519), its ``keyid`` the id of
  the key that verifies it, no key's signature twice. No byte can change and still verify;
- a Sigstore bundle (``evaluate --sign sigstore``), verified with sigstore-python against a
  trusted root (default: the public-good root shipped with sigstore-python), a certificate
  identity and its OIDC issuer. Certificates are judged at the transparency-log time;
- a plain JSON report (unsigned): readable by ``report show`` and ``report replay``, never
  verified.

After the signature: the payload must be an in-toto Statement v1 with predicate type
``https://gatecheck.dev/report/v1`` whose subjects are exactly those the report implies
(``engine/attestation.py``). With a bundle, the bundle must pass its own verification and its
manifest digest and every evidence digest must equal the report's.
"""

from __future__ import annotations

import base64
import binascii
import tempfile
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gatecheck.digest import canonical_json
from gatecheck.engine import report_signatures
from gatecheck.engine.attestation import (
    BUNDLE_SUBJECT,
    PAYLOAD_TYPE,
    PREDICATE_TYPE,
    STATEMENT_TYPE,
    subjects_for,
)
from gatecheck.errors import BundleError, EvidenceError, ReportError
from gatecheck.evidence import safe
from gatecheck.evidence.signing import dsse
from gatecheck.evidence.signing.keys import PublicKey, key_id, key_type

MAX_REPORT_BYTES = 256 * 1024 * 1024
SIGSTORE_MEDIA_TYPE_PREFIX = "application/vnd.dev.sigstore.bundle"
_ENVELOPE_KEYS = {"payload", "payloadType", "signatures"}
_SIGNATURE_KEYS = {"keyid", "sig"}
_STATEMENT_KEYS = {"_type", "subject", "predicateType", "predicate"}


class VerificationFailure(ReportError):
    """The report is rejected: it does not verify, or does not match what it is checked against."""


@dataclass
class ReportFile:
    """A report file read without checking any signature."""

    kind: str
    """``report`` (plain JSON), ``dsse`` (key-signed envelope) or ``sigstore`` (bundle)."""
    report: dict[str, Any]
    statement: dict[str, Any] | None = None
    raw: bytes = b""
    document: Any = None
    """The parsed file (report, envelope or Sigstore bundle object)."""


@dataclass
class VerifiedReport:
    report: dict[str, Any]
    statement: dict[str, Any]
    kind: str
    signers: list[str]
    """Who signed: ``key <id> (<type>)`` or ``<identity> (<issuer>)``."""
    bundle: dict[str, Any] | None = None
    """What the bundle check established (path, manifest digest, evidence count)."""
    notes: list[str] = field(default_factory=list)


# -- reading -------------------------------------------------------------------------------


def read_bytes(path: Path) -> bytes:
    try:
        with open(path, "rb") as f:
            raw = f.read(MAX_REPORT_BYTES + 1)
    except OSError as exc:
        raise ReportError(f"report {path} cannot be read ({exc.strerror or exc})") from None
    if len(raw) > MAX_REPORT_BYTES:
        raise VerificationFailure(f"report {path} is larger than {MAX_REPORT_BYTES >> 20} MiB")
    return raw


def _load_json(raw: bytes, name: str) -> Any:
    try:
        return safe.load_json(raw, name=name)
    except EvidenceError as exc:
        raise VerificationFailure(f"{exc} (truncated or damaged report file?)") from None


def kind_of(document: Any) -> str:
    if isinstance(document, Mapping):
        media_type = document.get("mediaType")
        if isinstance(media_type, str) and media_type.startswith(SIGSTORE_MEDIA_TYPE_PREFIX):
            return "sigstore"
        if "payloadType" in document or "signatures" in document:
            return "dsse"
        if "report_type" in document:
            return "report"
    raise VerificationFailure(
        "not a gatecheck report, DSSE envelope or Sigstore bundle (no report_type, "
        "payloadType or Sigstore mediaType)"
    )


def read_report_file(path: Path) -> ReportFile:
    """The report inside ``path`` (plain, envelope or Sigstore bundle), signature NOT checked."""
    raw = read_bytes(path)
    name = str(path)
    document = _load_json(raw, name)
    kind = kind_of(document)
    if kind == "report":
        return ReportFile(kind, _check_report_shape(document, name), None, raw, document)
    if kind == "dsse":
        try:
            envelope = dsse.Envelope.from_dict(document, name=name)
        except EvidenceError as exc:
            raise VerificationFailure(str(exc)) from None
        payload_type, payload = envelope.payload_type, envelope.payload
    else:
        payload_type, payload = _sigstore_payload(document, name)
    statement, report = check_statement(payload_type, payload, name=name)
    return ReportFile(kind, report, statement, raw, document)


def _sigstore_payload(document: Mapping[str, Any], name: str) -> tuple[str, bytes]:
    envelope = document.get("dsseEnvelope")
    if not isinstance(envelope, Mapping):
        raise VerificationFailure(
            f"{name}: the Sigstore bundle signs an artifact (message signature), not a report "
            "(no dsseEnvelope)"
        )
    try:
        parsed = dsse.Envelope.from_dict(envelope, name=f"{name} dsseEnvelope")
    except EvidenceError as exc:
        raise VerificationFailure(str(exc)) from None
    return parsed.payload_type, parsed.payload


def _check_report_shape(report: Any, name: str) -> dict[str, Any]:
    if not isinstance(report, dict) or report.get("report_type") != PREDICATE_TYPE:
        raise VerificationFailure(f"{name}: the predicate is not a {PREDICATE_TYPE} report")
    for key, kind in (("decision", str), ("stage", str), ("effective_time", str)):
        if not isinstance(report.get(key), kind):
            raise VerificationFailure(f"{name}: the report has no {key}")
    if not isinstance(report.get("results"), list):
        raise VerificationFailure(f"{name}: the report has no results list")
    return report


# -- the statement -------------------------------------------------------------------------


def _subject_key(subject: Any) -> str:
    return canonical_json(subject).decode("utf-8")


def _describe_subject(subject: Any) -> str:
    if isinstance(subject, Mapping):
        digest = subject.get("digest")
        parts = (
            ", ".join(f"{alg}:{value}" for alg, value in sorted(digest.items()))
            if isinstance(digest, Mapping)
            else repr(digest)
        )
        return f"{subject.get('name')!r} ({parts})"
    return repr(subject)


def check_statement(
    payload_type: str, payload: bytes, *, name: str = "report"
) -> tuple[dict[str, Any], dict[str, Any]]:
    """(statement, report) from a verified payload; VerificationFailure naming what is wrong."""
    if payload_type != PAYLOAD_TYPE:
        raise VerificationFailure(
            f"{name}: payload type {payload_type!r} is not an in-toto statement ({PAYLOAD_TYPE})"
        )
    statement = _load_json(payload, f"{name} payload")
    if not isinstance(statement, dict):
        raise VerificationFailure(f"{name}: the payload is not an in-toto statement object")
    if statement.get("_type") != STATEMENT_TYPE:
        raise VerificationFailure(
            f"{name}: statement type {statement.get('_type')!r} is not {STATEMENT_TYPE}"
        )
    predicate_type = statement.get("predicateType")
    if predicate_type != PREDICATE_TYPE:
        raise VerificationFailure(
            f"{name}: unknown predicate type {predicate_type!r}; a gatecheck report has "
            f"predicate type {PREDICATE_TYPE}"
        )
    extra = sorted(set(statement) - _STATEMENT_KEYS)
    if extra:
        raise VerificationFailure(f"{name}: the statement has unexpected fields {extra}")
    report = _check_report_shape(statement.get("predicate"), name)
    subjects = statement.get("subject")
    if not isinstance(subjects, list) or not subjects:
        raise VerificationFailure(f"{name}: the statement has no subjects")
    expected = subjects_for(report)
    have = {_subject_key(s): s for s in subjects}
    want = {_subject_key(s): s for s in expected}
    if len(have) != len(subjects):
        raise VerificationFailure(f"{name}: the statement lists a subject twice")
    problems = [
        f"subject {_describe_subject(have[k])} is not in the report" for k in have if k not in want
    ]
    problems += [
        f"the report's {_describe_subject(want[k])} is not a subject" for k in want if k not in have
    ]
    if problems:
        raise VerificationFailure(
            f"{name}: subjects do not match the report: " + "; ".join(problems)
        )
    return statement, report


# -- DSSE envelopes signed with keys -------------------------------------------------------


def _strict_b64(text: str, what: str) -> bytes:
    try:
        decoded = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise VerificationFailure(f"{what} is not valid base64") from None
    if base64.b64encode(decoded).decode("ascii") != text:
        raise VerificationFailure(
            f"{what} is not canonical base64 (standard alphabet, padded, no spare bits)"
        )
    return decoded


def verify_envelope(
    raw: bytes, keys: Sequence[PublicKey], *, name: str = "report"
) -> tuple[str, bytes, list[str]]:
    """(payloadType, payload, signer descriptions) of a key-signed envelope file.

    Only the bytes gatecheck writes verify: canonical JSON and one newline, canonical base64,
    each signature in the one form of ``engine/report_signatures.py``, its ``keyid`` the id of
    the trusted key that verifies it, and no key's signature listed twice.
    """
    if not keys:
        raise ReportError("no public key given to verify the envelope with")
    document = _load_json(raw, name)
    if not isinstance(document, dict) or kind_of(document) != "dsse":
        raise VerificationFailure(f"{name}: not a DSSE envelope")
    if raw != canonical_json(document) + b"\n":
        raise VerificationFailure(
            f"{name}: the envelope is not in the canonical form gatecheck writes (sorted keys, "
            "no whitespace, one trailing newline): it was changed after signing"
        )
    extra = sorted(set(document) - _ENVELOPE_KEYS)
    if extra or not set(document) >= _ENVELOPE_KEYS:
        raise VerificationFailure(
            f"{name}: a DSSE envelope has exactly payload, payloadType and signatures"
            + (f" (unexpected {extra})" if extra else "")
        )
    try:
        envelope = dsse.Envelope.from_dict(document, name=name)
    except EvidenceError as exc:
        raise VerificationFailure(str(exc)) from None
    _strict_b64(document["payload"], f"{name}: /payload")
    trusted = {key_id(k): k for k in keys}
    signers: list[str] = []
    message = envelope.pae()
    seen: set[str] = set()
    for index, (entry, signature) in enumerate(
        zip(document["signatures"], envelope.signatures, strict=True)
    ):
        where = f"{name}: /signatures/{index}"
        unexpected = sorted(set(entry) - _SIGNATURE_KEYS)
        if unexpected:
            raise VerificationFailure(f"{where} has unexpected fields {unexpected}")
        _strict_b64(entry["sig"], f"{where}/sig")
        verified_by = _verify_signature(entry.get("keyid"), signature.sig, message, trusted, where)
        if verified_by in seen:
            raise VerificationFailure(
                f"{where}: a second signature by key {verified_by}: a signature is listed once"
            )
        seen.add(verified_by)
        signers.append(f"key {verified_by} ({key_type(trusted[verified_by])})")
    return envelope.payload_type, envelope.payload, signers


def _verify_signature(
    hint: Any, sig: bytes, message: bytes, trusted: Mapping[str, PublicKey], where: str
) -> str:
    """The id of the trusted key named by ``hint`` that verifies ``sig`` in gatecheck's form."""
    if not hint:
        raise VerificationFailure(
            f"{where}: the keyid is missing or empty; gatecheck writes the signing key's id there"
        )
    key = trusted.get(hint)
    if key is not None and report_signatures.verify(key, message, sig):
        return hint
    # Only to say why: the trusted key, if any, that the signature belongs to.
    other = next(
        (kid for kid, k in sorted(trusted.items()) if report_signatures.verify(k, message, sig)),
        None,
    )
    if other is not None:
        raise VerificationFailure(
            f"{where}: keyid {hint!r} does not name the key that verified the signature ({other})"
        )
    problem = report_signatures.form_problem(key, sig) if key is not None else None
    if problem:
        raise VerificationFailure(f"{where}: {problem}; it was re-encoded after signing")
    given = ", ".join(sorted(trusted))
    raise VerificationFailure(
        f"{where}: the signature does not verify with the trusted key(s) {given}: it was made "
        "with another (untrusted) key, or the envelope was changed after signing"
        + (f" (its keyid says {hint})" if hint not in trusted else "")
    )


# -- Sigstore bundles ----------------------------------------------------------------------


def sigstore_roots(names: Sequence[str]) -> list[Any]:
    """Trusted roots by name (``public-good``, ``staging``) or trusted_root.json path."""
    from gatecheck.evidence.signing.signatures import sigstore_roots as load_roots

    return load_roots({"sigstore_trusted_root": list(names)})


def verify_sigstore_bundle(
    raw: bytes,
    *,
    identity: str,
    issuer: str,
    trusted_roots: Sequence[str] = ("public-good",),
    name: str = "report",
) -> tuple[str, bytes, list[str]]:
    """(payloadType, payload, signer) of a DSSE Sigstore bundle, verified offline against the
    trusted roots for exactly this certificate identity and OIDC issuer."""
    from sigstore.models import Bundle
    from sigstore.verify.policy import Identity

    if not identity or not issuer:
        raise ReportError("keyless verification needs --cert-identity and --cert-oidc-issuer")
    document = _load_json(raw, name)
    if kind_of(document) != "sigstore":
        raise VerificationFailure(f"{name}: not a Sigstore bundle")
    if not isinstance(document.get("dsseEnvelope"), Mapping):
        raise VerificationFailure(
            f"{name}: the Sigstore bundle signs an artifact (message signature), not a report"
        )
    try:
        bundle = Bundle.from_json(raw)
    except Exception as exc:  # noqa: BLE001 - sigstore-python's refusal reasons vary
        raise VerificationFailure(
            f"{name}: sigstore-python cannot load the bundle ({_one_line(exc)})"
        ) from None
    policy = Identity(identity=identity, issuer=issuer)
    failures: list[str] = []
    for root in sigstore_roots(trusted_roots):
        try:
            payload_type, payload = root.verifier.verify_dsse(bundle, policy)
        except Exception as exc:  # noqa: BLE001 - any refusal means not verified by this root
            failures.append(f"{_one_line(exc)} [{root.name}]")
            continue
        return payload_type, payload, [f"{identity} ({issuer}) under the {root.name} root"]
    raise VerificationFailure(
        f"{name}: the Sigstore bundle does not verify: " + "; ".join(failures)
    )


# -- the evidence bundle -------------------------------------------------------------------


# What `gatecheck bundle pack` writes: gzip magic, deflate, no flags, mtime 0, level 9, OS unknown.
_PACKED_GZIP_HEADER = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff"


def _gunzip_exactly(raw: bytes, what: str) -> bytes:
    """One gzip member with a valid CRC and length, and nothing after it."""
    inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
    try:
        data = inflater.decompress(raw) + inflater.flush()
    except zlib.error as exc:
        raise VerificationFailure(f"{what}: the compressed stream is damaged ({exc})") from None
    if not inflater.eof:
        raise VerificationFailure(f"{what}: the compressed stream is truncated")
    if inflater.unused_data:
        raise VerificationFailure(f"{what}: has bytes after the end of its compressed stream")
    return data


def _check_archive_bytes(archive: Path, root: Path) -> None:
    """An archive must be exactly what ``bundle pack`` makes of its verified contents.

    Unpacking reads members only, so it does not see a changed gzip header, trailer (CRC and
    length) or tar padding; these checks do. The tar stream is compared after decompression,
    so a different zlib build (which may compress differently) gives no false rejection.
    """
    from gatecheck.bundles.archive import pack_bundle

    what = f"bundle archive {archive}"
    try:
        raw = archive.read_bytes()
    except OSError as exc:
        raise VerificationFailure(f"{what} cannot be read ({exc.strerror or exc})") from None
    if not raw.startswith(_PACKED_GZIP_HEADER):
        raise VerificationFailure(
            f"{what}: its gzip header is not the one `gatecheck bundle pack` writes (changed "
            "after packing, or packed by another tool)"
        )
    with tempfile.TemporaryDirectory(prefix="gatecheck-repack-") as tmp:
        repacked = Path(tmp) / "bundle.tar.gz"
        pack_bundle(root, repacked)
        expected = _gunzip_exactly(repacked.read_bytes(), "repacked bundle")
    if _gunzip_exactly(raw, what) != expected:
        raise VerificationFailure(
            f"{what}: its tar stream differs from the deterministic packing of its contents "
            "(changed after packing)"
        )


def check_bundle(report: Mapping[str, Any], bundle_path: Path) -> dict[str, Any]:
    """The bundle at ``bundle_path`` must verify and be the one the report was made from."""
    from gatecheck.bundles.archive import OpenedBundle, is_archive
    from gatecheck.bundles.manifest import MANIFEST_NAME

    try:
        with OpenedBundle(bundle_path) as opened:
            manifest = opened.manifest
            manifest_raw = (opened.root / MANIFEST_NAME).read_bytes()
            if is_archive(bundle_path):
                _check_archive_bytes(bundle_path, opened.root)
    except BundleError as exc:
        raise VerificationFailure(exc.diagnostics()) from None
    # The manifest is written canonically; any other spelling is a change after sealing that
    # the digest (over the parsed manifest) would not see.
    if manifest_raw != canonical_json(manifest.to_json()) + b"\n":
        raise VerificationFailure(
            f"bundle {bundle_path}: {MANIFEST_NAME} is not in the canonical form it was sealed "
            "in (it was edited after sealing)"
        )
    recorded = report.get("bundle_digest")
    if manifest.digest != recorded:
        raise VerificationFailure(
            f"bundle {bundle_path} (manifest digest {manifest.digest}) is not the bundle this "
            f"report was made from ({recorded})"
        )
    subject = next((s for s in subjects_for(report) if s["name"] == BUNDLE_SUBJECT), None)
    if subject is None or "sha256:" + subject["digest"]["sha256"] != manifest.digest:
        raise VerificationFailure(
            f"the report's {BUNDLE_SUBJECT} subject does not match the bundle"
        )
    have = {
        e.path: {"path": e.path, "type": e.type, "format": e.format, "sha256": e.sha256}
        for e in manifest.evidence
    }
    bundle_info = report.get("bundle") or {}
    listed = bundle_info.get("evidence") if isinstance(bundle_info, Mapping) else None
    if not isinstance(listed, list):
        raise VerificationFailure("the report lists no bundle evidence to compare")
    want: dict[str, Any] = {}
    for entry in listed:
        if not isinstance(entry, Mapping) or not isinstance(entry.get("path"), str):
            raise VerificationFailure("the report's bundle evidence list is malformed")
        want[entry["path"]] = dict(entry)
    problems = [f"{p} is in the bundle but not in the report" for p in have if p not in want]
    problems += [f"{p} is in the report but not in the bundle" for p in want if p not in have]
    problems += [
        f"{p} differs (bundle sha256 {have[p]['sha256'][:16]}..., report "
        f"{str(want[p].get('sha256'))[:16]}...)"
        for p in have
        if p in want and have[p] != want[p]
    ]
    if problems:
        raise VerificationFailure(
            f"bundle {bundle_path} does not match the report's evidence: " + "; ".join(problems)
        )
    return {"path": str(bundle_path), "digest": manifest.digest, "evidence": len(have)}


# -- the whole check -----------------------------------------------------------------------


def verify_report(
    path: Path,
    *,
    keys: Sequence[PublicKey] = (),
    identity: str | None = None,
    issuer: str | None = None,
    trusted_roots: Sequence[str] = ("public-good",),
    bundle: Path | None = None,
) -> VerifiedReport:
    """Verify the signed report at ``path``; VerificationFailure says why it is rejected."""
    raw = read_bytes(path)
    name = str(path)
    document = _load_json(raw, name)
    kind = kind_of(document)
    if kind == "report":
        raise VerificationFailure(
            f"{name} is an unsigned report; sign reports with `gatecheck evaluate --report FILE "
            "--sign-key KEY` or `--sign sigstore`"
        )
    if kind == "dsse":
        if not keys:
            raise ReportError(f"{name} is a key-signed DSSE envelope: verify it with --key PUB")
        payload_type, payload, signers = verify_envelope(raw, keys, name=name)
    else:
        if identity is None or issuer is None:
            raise ReportError(
                f"{name} is a Sigstore bundle: verify it with --cert-identity and "
                "--cert-oidc-issuer"
            )
        payload_type, payload, signers = verify_sigstore_bundle(
            raw, identity=identity, issuer=issuer, trusted_roots=trusted_roots, name=name
        )
    statement, report = check_statement(payload_type, payload, name=name)
    verified = VerifiedReport(report=report, statement=statement, kind=kind, signers=signers)
    if bundle is not None:
        verified.bundle = check_bundle(report, bundle)
    return verified


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())[:300] or type(exc).__name__
