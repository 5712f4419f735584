"""Artifact signatures: Sigstore bundles, key-signed DSSE envelopes, detached signatures.

Verification happens here, at parse time, offline; policies only see the outcome:
``verified`` (and ``reason`` when false), who signed (``signer``: certificate identity and
OIDC issuer for keyless signatures, key id for keys) and which digests the signature covers
(``subjects``). Whether that signer is trusted for an artifact is the control's decision
(GC-ART-002, ``trusted_signers``), so every signer is recorded, trusted or not.

Sigstore bundles are verified with sigstore-python against a trusted root
(``config.sigstore_trusted_root``: a path, ``public-good``, ``staging``, or a list of them;
default: the public-good root shipped with sigstore-python; staging only where configured).
A verified keyless signer records the root it verified under (``signer.root``, and
``signer.root_sha256``), so a signer trusted under one root is not matched by a signature
made under another (GC-ART-002). Certificates are
judged at the time the transparency log or a timestamp authority proves, never at today's
clock. Bundles sigstore-python refuses (for instance v0.1 bundles with a null inclusion proof,
or ``intoto 0.0.2`` log entries) are reported unverified with its reason.

Key-based signatures (DSSE envelopes, detached signatures, Sigstore bundles with a public key)
are verified against ``config.trusted_keys`` (``[{pem, key_id?}]``).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import logging
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cryptography.hazmat.primitives import hashes

from gatecheck.errors import ConfigError, EvidenceError
from gatecheck.evidence import safe
from gatecheck.evidence.interface import Document, EvidenceParser, ParseContext, Tool
from gatecheck.evidence.signing import dsse
from gatecheck.evidence.signing.keys import KeyError_, TrustedKey, load_public_key, trusted_keys
from gatecheck.timeutil import format_rfc3339

if TYPE_CHECKING:
    from cryptography import x509

SIGSTORE_MEDIA_TYPE_PREFIX = "application/vnd.dev.sigstore.bundle"
INTOTO_STATEMENT_PREFIX = "https://in-toto.io/Statement/"
DETACHED_SUFFIXES = (".sig", ".signature")
MAX_DETACHED_BYTES = 4096

# Fulcio certificate extensions (https://github.com/sigstore/fulcio/blob/main/docs/oid-info.md)
# Fulcio's certificate extensions. X.509 (a large import) loads only when a certificate is read:
# evidence signed with a configured key never needs it.
_OIDC_ISSUER_V1 = "1.3.6.1.4.1.57264.1.1"
_OIDC_ISSUER_V2 = "1.3.6.1.4.1.57264.1.8"
_FULCIO_OTHERNAME = "1.3.6.1.4.1.57264.1.7"

_SHIPPED_ROOTS = {
    "public-good": "https%3A%2F%2Ftuf-repo-cdn.sigstore.dev",
    "staging": "https%3A%2F%2Ftuf-repo-cdn.sigstage.dev",
}
DEFAULT_TRUSTED_ROOTS = ("public-good",)

_logger = logging.getLogger(__name__)


# -- small helpers -----------------------------------------------------------------------


def is_sigstore_bundle(obj: Any) -> bool:
    return (
        isinstance(obj, dict)
        and isinstance(obj.get("mediaType"), str)
        and obj["mediaType"].startswith(SIGSTORE_MEDIA_TYPE_PREFIX)
        and isinstance(obj.get("verificationMaterial"), dict)
    )


def is_dsse_envelope(obj: Any) -> bool:
    return (
        isinstance(obj, dict)
        and isinstance(obj.get("payloadType"), str)
        and "payload" in obj
        and "signatures" in obj
    )


def normalize_digest(digest: Any) -> dict[str, str]:
    """``{algorithm: value}`` with algorithm names lowercased and hex values lowercased;
    non-string entries dropped (an in-toto DigestSet maps names to strings)."""
    if not isinstance(digest, Mapping):
        return {}
    result: dict[str, str] = {}
    for alg, value in digest.items():
        if isinstance(alg, str) and isinstance(value, str):
            is_hex = value and all(c in "0123456789abcdefABCDEF" for c in value)
            result[alg.lower()] = value.lower() if is_hex else value
    return result


def statement_subjects(statement: Mapping[str, Any], pointer: str) -> list[dict[str, Any]]:
    """The in-toto Statement's subjects as ``[{name, digest, pointer}]``."""
    subjects = []
    for i, subject in enumerate(statement.get("subject") or []):
        if not isinstance(subject, Mapping):
            continue
        name = subject.get("name") if isinstance(subject.get("name"), str) else None
        if name is None and isinstance(subject.get("uri"), str):
            name = subject["uri"]
        subjects.append(
            {
                "name": name,
                "digest": normalize_digest(subject.get("digest")),
                "pointer": pointer if pointer.endswith("/payload") else f"{pointer}/subject/{i}",
            }
        )
    return subjects


def parse_statement(payload_type: str, payload: bytes, *, name: str) -> dict[str, Any] | None:
    """The in-toto Statement carried by a DSSE payload, or None for other payload types."""
    if payload_type != dsse.PAYLOAD_TYPE_INTOTO:
        return None
    statement = safe.load_json(payload, name=f"{name} (DSSE payload)")
    if not isinstance(statement, dict) or not str(statement.get("_type", "")).startswith(
        INTOTO_STATEMENT_PREFIX
    ):
        raise EvidenceError(f"{name}: the DSSE payload is not an in-toto Statement")
    return statement


def _b64(value: Any, *, what: str) -> bytes:
    if not isinstance(value, str):
        raise EvidenceError(f"{what} is not a base64 string")
    try:
        return dsse.b64decode(value, what=what)
    except dsse.EnvelopeError as exc:
        raise EvidenceError(str(exc)) from None


def _one_line(exc: BaseException) -> str:
    """The exception's message on one line, without pydantic's boilerplate."""
    text = " ".join(str(exc).split())
    text = _PYDANTIC_NOISE.sub("", text)
    return text or type(exc).__name__


_PYDANTIC_NOISE = re.compile(r"\s*(\[type=[^\]]*\]|For further information visit \S+)")


def _release_digests(ctx: ParseContext) -> list[tuple[str | None, str]]:
    """(artifact name, sha256 hex) for every release artifact with a sha256 digest."""
    found = []
    for artifact in ctx.release.get("artifacts") or []:
        if not isinstance(artifact, Mapping):
            continue
        digest = artifact.get("digest")
        if isinstance(digest, str) and digest.lower().startswith("sha256:"):
            hex_part = digest[7:].lower()
            if len(hex_part) == 64 and all(c in "0123456789abcdef" for c in hex_part):
                found.append((artifact.get("name"), hex_part))
    return found


def _configured_keys(ctx: ParseContext) -> list[TrustedKey]:
    return trusted_keys(ctx.config.get("trusted_keys"), what="config trusted_keys")


# -- certificates ------------------------------------------------------------------------


def _der_utf8(value: bytes) -> str:
    """Decode a DER UTF8String (tag 0x0c); Fulcio's v2 extensions are encoded so."""
    if len(value) >= 2 and value[0] == 0x0C:
        length = value[1]
        offset = 2
        if length & 0x80:
            width = length & 0x7F
            length = int.from_bytes(value[2 : 2 + width], "big")
            offset = 2 + width
        return value[offset : offset + length].decode("utf-8", "replace")
    return value.decode("utf-8", "replace")


def certificate_identity(cert: x509.Certificate) -> dict[str, str | None]:
    """The signer as Fulcio records it: SAN (URI, email or Fulcio username) and OIDC issuer."""
    from cryptography import x509

    identity: str | None = None
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        values: list[str] = list(san.get_values_for_type(x509.UniformResourceIdentifier))
        values += san.get_values_for_type(x509.RFC822Name)
        values += [
            _der_utf8(other.value)
            for other in san.get_values_for_type(x509.OtherName)
            if other.type_id.dotted_string == _FULCIO_OTHERNAME
        ]
        identity = values[0] if values else None
    except x509.ExtensionNotFound:
        pass
    issuer: str | None = None
    for oid, decode in (
        (_OIDC_ISSUER_V2, _der_utf8),
        (_OIDC_ISSUER_V1, lambda b: b.decode("utf-8", "replace")),
    ):
        try:
            ext = cert.extensions.get_extension_for_oid(x509.ObjectIdentifier(oid)).value
        except x509.ExtensionNotFound:
            continue
        raw = getattr(ext, "value", None)
        if isinstance(raw, bytes):
            issuer = decode(raw)
            break
    return {"identity": identity, "issuer": issuer}


class _RecordedIdentity:
    """sigstore-python verification policy that accepts any identity but requires one.

    Trust in a particular identity is the control's decision (``trusted_signers``); here a
    certificate only has to name a signer and an issuer so that decision can be made.
    """

    def verify(self, cert: x509.Certificate) -> None:
        from sigstore.errors import VerificationError

        found = certificate_identity(cert)
        if not found["identity"] or not found["issuer"]:
            raise VerificationError("certificate names no signer identity or OIDC issuer")


# -- Sigstore trusted roots --------------------------------------------------------------


@dataclass(frozen=True)
class TrustRoot:
    name: str
    sha256: str
    verifier: Any
    """sigstore.verify.Verifier for this root."""


@cache
def _load_root(data: bytes, name: str) -> TrustRoot:
    from sigstore.models import TrustedRoot
    from sigstore.verify import Verifier
    from sigstore_models.trustroot.v1 import TrustedRoot as InnerTrustedRoot

    try:
        root = TrustedRoot(InnerTrustedRoot.from_json(data))
        verifier = Verifier(trusted_root=root)
    except Exception as exc:  # noqa: BLE001 - any refusal is a config error with its reason
        raise ConfigError(f"sigstore trusted root {name}: unusable ({_one_line(exc)})") from None
    return TrustRoot(name=name, sha256=hashlib.sha256(data).hexdigest(), verifier=verifier)


def _root_bytes(entry: Any) -> bytes:
    """The trusted_root.json bytes for a shipped root name or a path."""
    if not isinstance(entry, str) or not entry:
        raise ConfigError("config sigstore_trusted_root: entries must be non-empty strings")
    if entry in _SHIPPED_ROOTS:
        try:
            return (
                resources.files("sigstore._store") / _SHIPPED_ROOTS[entry] / "trusted_root.json"
            ).read_bytes()
        except (OSError, ModuleNotFoundError) as exc:
            raise ConfigError(
                f"sigstore trusted root {entry}: not shipped with the installed "
                f"sigstore-python ({_one_line(exc)}); set sigstore_trusted_root to a file"
            ) from None
    try:
        return Path(entry).read_bytes()
    except OSError as exc:
        raise ConfigError(
            f"sigstore trusted root {entry}: cannot be read ({exc.strerror or exc})"
        ) from None


def root_digests(entries: list[str]) -> list[dict[str, str]]:
    """``[{name, sha256}]`` of each root's content, for the policy digest."""
    return [
        {"name": entry, "sha256": hashlib.sha256(_root_bytes(entry)).hexdigest()}
        for entry in entries
    ]


def sigstore_roots(config: Mapping[str, Any]) -> list[TrustRoot]:
    """The trusted roots to verify Sigstore bundles against, in order."""
    setting = config.get("sigstore_trusted_root")
    if setting is None:
        entries: list[Any] = list(DEFAULT_TRUSTED_ROOTS)
    elif isinstance(setting, str):
        entries = [setting]
    elif isinstance(setting, list) and setting:
        entries = setting
    else:
        raise ConfigError(
            "config sigstore_trusted_root: give a trusted_root.json path, "
            "`public-good`, `staging`, or a list of them"
        )
    roots = []
    for entry in entries:
        roots.append(_load_root(_root_bytes(entry), entry))
    return roots


# -- the outcome of checking one signature -----------------------------------------------


@dataclass
class SignatureCheck:
    """What verifying one signed object established. ``facts()`` is what policies see."""

    kind: str
    media_type: str | None
    pointer: str
    verified: bool = False
    reason: str | None = None
    signer: dict[str, Any] | None = None
    subjects: list[dict[str, Any]] = field(default_factory=list)
    payload_type: str | None = None
    statement: dict[str, Any] | None = None
    """The in-toto Statement of a DSSE payload (not part of the facts)."""
    timestamps: list[dict[str, str]] = field(default_factory=list)
    log: dict[str, Any] | None = None
    trusted_root: dict[str, str] | None = None
    signatures: list[dict[str, Any]] | None = None

    def fail(self, reason: str) -> SignatureCheck:
        self.verified = False
        self.reason = " ".join(reason.split())
        return self

    @property
    def signed_at(self) -> str | None:
        return min((t["time"] for t in self.timestamps), default=None)

    def facts(self) -> dict[str, Any]:
        facts: dict[str, Any] = {
            "kind": self.kind,
            "media_type": self.media_type,
            "payload_type": self.payload_type,
            "predicate_type": (self.statement or {}).get("predicateType"),
            "verified": self.verified,
            "reason": None if self.verified else (self.reason or "not verified"),
            "signer": self.signer,
            "subjects": self.subjects,
            "signed_at": self.signed_at,
            "timestamps": self.timestamps,
            "log": self.log,
            "trusted_root": self.trusted_root,
            "pointer": self.pointer,
        }
        if self.signatures is not None:
            facts["signatures"] = self.signatures
        return facts


# -- Sigstore bundles --------------------------------------------------------------------


def _bundle_certificate(material: Mapping[str, Any], name: str) -> x509.Certificate | None:
    raw = None
    if isinstance(material.get("certificate"), Mapping):
        raw = material["certificate"].get("rawBytes")
    elif isinstance(material.get("x509CertificateChain"), Mapping):
        certs = material["x509CertificateChain"].get("certificates") or []
        if certs and isinstance(certs[0], Mapping):
            raw = certs[0].get("rawBytes")
    if raw is None:
        return None
    der = _b64(raw, what=f"{name}: /verificationMaterial certificate")
    from cryptography import x509

    try:
        return x509.load_der_x509_certificate(der)
    except ValueError:
        raise EvidenceError(f"{name}: the bundle's signing certificate is not DER X.509") from None


def _bundle_log(material: Mapping[str, Any]) -> dict[str, Any] | None:
    entries = material.get("tlogEntries")
    if not isinstance(entries, list) or not entries or not isinstance(entries[0], Mapping):
        return None
    entry = entries[0]
    kind_version = entry.get("kindVersion") if isinstance(entry.get("kindVersion"), Mapping) else {}
    integrated = entry.get("integratedTime")
    integrated_time = None
    if isinstance(integrated, (str, int)) and str(integrated).isdigit() and int(integrated) > 0:
        integrated_time = format_rfc3339(datetime.fromtimestamp(int(integrated), tz=UTC))
    index = entry.get("logIndex")
    return {
        "kind": kind_version.get("kind"),
        "version": kind_version.get("version"),
        "index": int(index) if isinstance(index, (str, int)) and str(index).isdigit() else None,
        "integrated_time": integrated_time,
    }


def check_sigstore_bundle(
    obj: Mapping[str, Any],
    *,
    name: str,
    pointer: str,
    ctx: ParseContext,
    raw: bytes | None = None,
) -> SignatureCheck:
    """Verify a Sigstore bundle (keyless with sigstore-python, or with a trusted key).

    ``pointer`` locates the bundle in its file ("" at the top). ``raw`` are the bundle's own
    bytes when it is the whole file. Malformed bundles raise EvidenceError; bundles that do
    not verify yield ``verified: False`` and the reason.
    """
    media_type = obj.get("mediaType")
    material = obj["verificationMaterial"]
    check = SignatureCheck(kind="sigstore-bundle", media_type=media_type, pointer=pointer)
    check.log = _bundle_log(material)
    cert = _bundle_certificate(material, name)
    if cert is not None:
        check.signer = certificate_identity(cert)

    envelope: dsse.Envelope | None = None
    message_digest: str | None = None
    message_sig: bytes | None = None
    if isinstance(obj.get("dsseEnvelope"), Mapping):
        try:
            envelope = dsse.Envelope.from_dict(obj["dsseEnvelope"], name=name)
        except dsse.EnvelopeError as exc:
            raise EvidenceError(str(exc)) from None
        check.payload_type = envelope.payload_type
        check.statement = parse_statement(envelope.payload_type, envelope.payload, name=name)
        if check.statement is not None:
            check.subjects = statement_subjects(check.statement, f"{pointer}/dsseEnvelope/payload")
    elif isinstance(obj.get("messageSignature"), Mapping):
        signature = obj["messageSignature"]
        message_sig = _b64(signature.get("signature"), what=f"{name}: /messageSignature/signature")
        md = signature.get("messageDigest")
        if isinstance(md, Mapping):
            if md.get("algorithm") != "SHA2_256":
                return check.fail(
                    f"message digest algorithm {md.get('algorithm')!r} is not supported "
                    "(only SHA2_256)"
                )
            message_digest = _b64(
                md.get("digest"), what=f"{name}: /messageSignature/messageDigest/digest"
            ).hex()
            check.subjects = [
                {
                    "name": None,
                    "digest": {"sha256": message_digest},
                    "pointer": f"{pointer}/messageSignature/messageDigest",
                }
            ]
    else:
        raise EvidenceError(
            f"{name}: Sigstore bundle has neither a dsseEnvelope nor a messageSignature"
        )

    if cert is not None:
        return _verify_keyless(check, obj, raw, envelope, message_digest, ctx=ctx)
    if isinstance(material.get("publicKey"), Mapping):
        hint = material["publicKey"].get("hint")
        return _verify_keyed_bundle(
            check, envelope, message_digest, message_sig, hint=hint, ctx=ctx
        )
    raise EvidenceError(f"{name}: Sigstore bundle has no certificate and no public key")


def _verify_keyless(
    check: SignatureCheck,
    obj: Mapping[str, Any],
    raw: bytes | None,
    envelope: dsse.Envelope | None,
    message_digest: str | None,
    *,
    ctx: ParseContext,
) -> SignatureCheck:
    from sigstore.hashes import Hashed
    from sigstore.models import Bundle
    from sigstore_models.common.v1 import HashAlgorithm

    roots = sigstore_roots(ctx.config)
    try:
        bundle = Bundle.from_json(raw if raw is not None else json.dumps(obj))
    except Exception as exc:  # noqa: BLE001 - sigstore-python refusing a bundle is a fact
        return check.fail(f"sigstore-python cannot load this bundle: {_one_line(exc)}")

    digests: list[str]
    if envelope is not None:
        digests = []
    elif message_digest is not None:
        digests = [message_digest]
    else:
        # The bundle does not say what it signed: try the release's artifact digests.
        digests = [hex_ for _, hex_ in _release_digests(ctx)]
        if not digests:
            return check.fail(
                "the bundle names no message digest and the release lists no artifact digest "
                "to verify it against"
            )

    failures: list[tuple[str, str]] = []
    for root in roots:
        attempts: list[Callable[[], Any]]
        if envelope is not None:
            attempts = [lambda root=root: root.verifier.verify_dsse(bundle, _RecordedIdentity())]
        else:
            attempts = [
                lambda root=root, d=d: root.verifier.verify_artifact(
                    Hashed(algorithm=HashAlgorithm.SHA2_256, digest=bytes.fromhex(d)),
                    bundle,
                    _RecordedIdentity(),
                )
                for d in digests
            ]
        for i, attempt in enumerate(attempts):
            try:
                attempt()
            except Exception as exc:  # noqa: BLE001 - a refusal of any kind means unverified
                failures.append((root.name, _one_line(exc)))
                continue
            check.verified = True
            check.reason = None
            check.trusted_root = {"name": root.name, "sha256": root.sha256}
            if check.signer is not None:
                check.signer = {**check.signer, "root": root.name, "root_sha256": root.sha256}
            check.timestamps = _verified_times(root, bundle)
            if envelope is None and message_digest is None:
                check.subjects = [
                    {"name": None, "digest": {"sha256": digests[i]}, "pointer": check.pointer}
                ]
            return check
    return check.fail(_summarize(failures) or "no trusted root configured")


def _summarize(failures: list[tuple[str, str]]) -> str:
    """One line per distinct failure, naming the roots that gave it."""
    by_reason: dict[str, list[str]] = {}
    for root, reason in failures:
        roots = by_reason.setdefault(reason, [])
        if root not in roots:
            roots.append(root)
    return "; ".join(f"{reason} [{', '.join(roots)}]" for reason, roots in by_reason.items())


def _verified_times(root: TrustRoot, bundle: Any) -> list[dict[str, str]]:
    """The signed times sigstore-python accepted (log integration time, RFC 3161 tokens).

    sigstore-python establishes these during verification but does not return them; asking
    again gives the same answer for the same bundle and root.
    """
    try:
        results = root.verifier._establish_time(bundle)
    except Exception:  # noqa: BLE001 - the bundle verified; only the time detail is missing
        _logger.debug("could not re-establish verified times", exc_info=True)
        return []
    times = []
    for result in results:
        source = getattr(result.source, "name", str(result.source)).lower()
        times.append(
            {
                "source": "timestamp-authority" if "authority" in source else "transparency-log",
                "time": format_rfc3339(result.time.replace(microsecond=0)),
            }
        )
    return sorted(times, key=lambda t: (t["time"], t["source"]))


def _verify_keyed_bundle(
    check: SignatureCheck,
    envelope: dsse.Envelope | None,
    message_digest: str | None,
    message_sig: bytes | None,
    *,
    hint: Any,
    ctx: ParseContext,
) -> SignatureCheck:
    """A bundle signed by a public key: the signature is checked against trusted keys (its
    transparency-log entry is not, as for any key-signed DSSE envelope)."""
    keys = _configured_keys(ctx)
    hint_text = hint if isinstance(hint, str) and hint else None
    check.signer = {"key_id": None, "key_alias": None, "key_hint": hint_text}
    if not keys:
        return check.fail(
            f"signed by a public key ({hint_text or 'no hint'}) and no trusted_keys are configured"
        )
    if envelope is not None:
        verified = dsse.verify(envelope, keys)
        if verified:
            first = verified[0]
            check.signer = {"key_id": first.key_id, "key_alias": first.alias, "key_hint": hint_text}
            check.verified = True
            return check
    elif message_digest is not None and message_sig is not None:
        for key in keys:
            if dsse.verify_message(
                key.key, bytes.fromhex(message_digest), message_sig, prehashed=hashes.SHA256()
            ):
                check.signer = {"key_id": key.key_id, "key_alias": key.alias, "key_hint": hint_text}
                check.verified = True
                return check
    else:
        return check.fail("the bundle names no message digest to verify its signature against")
    return check.fail(f"no trusted key verifies this signature (key hint {hint_text or 'none'})")


# -- DSSE envelopes ----------------------------------------------------------------------


def check_dsse_envelope(
    obj: Mapping[str, Any], *, name: str, pointer: str, ctx: ParseContext
) -> SignatureCheck:
    """Verify a bare DSSE envelope against the trusted keys."""
    try:
        envelope = dsse.Envelope.from_dict(obj, name=name)
    except dsse.EnvelopeError as exc:
        raise EvidenceError(str(exc)) from None
    check = SignatureCheck(kind="dsse", media_type=dsse.ENVELOPE_MEDIA_TYPE, pointer=pointer)
    check.payload_type = envelope.payload_type
    check.statement = parse_statement(envelope.payload_type, envelope.payload, name=name)
    if check.statement is not None:
        check.subjects = statement_subjects(check.statement, f"{pointer}/payload")

    keys = _configured_keys(ctx)
    verified = {v.index: v for v in dsse.verify(envelope, keys)} if keys else {}
    check.signatures = [
        {
            "pointer": f"{pointer}/signatures/{i}",
            "keyid": s.keyid,
            "verified": i in verified,
            "key_id": verified[i].key_id if i in verified else None,
        }
        for i, s in enumerate(envelope.signatures)
    ]
    if verified:
        first = verified[min(verified)]
        check.signer = {
            "key_id": first.key_id,
            "key_alias": first.alias,
            "key_hint": first.keyid_hint,
        }
        check.verified = True
        return check

    hints = sorted({s.keyid for s in envelope.signatures if s.keyid})
    check.signer = {"key_id": None, "key_alias": None, "key_hint": hints[0] if hints else None}
    embedded = [s for s in envelope.signatures if s.cert]
    if embedded:
        return _embedded_certificate(check, envelope, embedded[0], name=name)
    if not keys:
        return check.fail(
            f"signed by key {', '.join(hints) or '(no keyid)'} and no trusted_keys are configured"
        )
    return check.fail(
        f"no trusted key verifies any of the {len(envelope.signatures)} signature(s) "
        f"(keyid {', '.join(hints) or 'none'})"
    )


def _embedded_certificate(
    check: SignatureCheck, envelope: dsse.Envelope, signature: dsse.Signature, *, name: str
) -> SignatureCheck:
    """An envelope carrying its signing certificate but no log entry or timestamp: the
    signature may match the certificate, yet nothing proves it was made while the short-lived
    certificate was valid, so it cannot be trusted."""
    from cryptography import x509

    try:
        cert = x509.load_pem_x509_certificate(signature.cert.encode("utf-8"))  # type: ignore[union-attr]
    except ValueError:
        return check.fail("the certificate embedded in the envelope is not PEM X.509")
    check.signer = certificate_identity(cert)
    try:
        key = load_public_key(signature.cert or "", what=f"{name}: embedded certificate")
    except KeyError_ as exc:
        return check.fail(str(exc))
    matches = dsse.verify_message(key, envelope.pae(), signature.sig)
    return check.fail(
        ("the signature matches" if matches else "the signature does not match")
        + " the certificate embedded in the envelope, but no transparency-log entry or signed "
        "timestamp proves it was made while that certificate was valid; verify the Sigstore "
        "bundle instead"
    )


# -- detached signatures -----------------------------------------------------------------


def _detached_bytes(raw: bytes) -> bytes:
    """A detached signature is base64 text (cosign) or the raw signature bytes (openssl)."""
    text = raw.strip()
    if text and all(33 <= b < 127 for b in text):
        try:
            return base64.b64decode(text, validate=True)
        except (binascii.Error, ValueError):
            pass
    return raw


def _detached_candidates(doc: Document, ctx: ParseContext) -> list[tuple[str | None, str]]:
    """The artifact digests a detached signature may be over, most specific first."""
    label_digest = ctx.labels.get("digest")
    if isinstance(label_digest, str) and label_digest.lower().startswith("sha256:"):
        return [(ctx.labels.get("artifact"), label_digest[7:].lower())]
    artifacts = _release_digests(ctx)
    wanted = ctx.labels.get("artifact")
    if not wanted:
        stem = doc.name
        for suffix in DETACHED_SUFFIXES:
            if stem.lower().endswith(suffix):
                stem = stem[: -len(suffix)]
        wanted = stem
    named = [a for a in artifacts if a[0] == wanted]
    return named if named else ([] if ctx.labels.get("artifact") else artifacts)


def check_detached(doc: Document, ctx: ParseContext) -> SignatureCheck:
    check = SignatureCheck(kind="detached", media_type=None, pointer="")
    signature = _detached_bytes(doc.raw)
    keys = _configured_keys(ctx)
    candidates = _detached_candidates(doc, ctx)
    check.signer = {"key_id": None, "key_alias": None, "key_hint": None}
    if not candidates:
        return check.fail(
            "no artifact digest to verify the detached signature against: list the artifact "
            "with its sha256 digest in the release manifest, or label the file with "
            "`digest=sha256:...`"
        )
    if not keys:
        return check.fail("a detached signature needs trusted_keys, and none are configured")
    for artifact, digest in candidates:
        for key in keys:
            if dsse.verify_message(
                key.key, bytes.fromhex(digest), signature, prehashed=hashes.SHA256()
            ):
                check.verified = True
                check.signer = {"key_id": key.key_id, "key_alias": key.alias, "key_hint": None}
                check.subjects = [{"name": artifact, "digest": {"sha256": digest}, "pointer": ""}]
                return check
    tried = ", ".join(sorted({a or d[:12] for a, d in candidates}))
    return check.fail(
        f"no trusted key verifies this signature over the digest of {tried} "
        "(Ed25519 detached signatures cannot be checked from a digest: sign a DSSE envelope)"
    )


# -- the parser --------------------------------------------------------------------------


class SignatureParser(EvidenceParser):
    family = "signature"
    formats = ("sigstore-bundle", "dsse-envelope", "detached-signature")

    def detect(self, doc: Document) -> str | None:
        obj = doc.json_object()
        if obj is not None:
            if is_sigstore_bundle(obj):
                return "sigstore-bundle"
            if is_dsse_envelope(obj):
                return "dsse-envelope"
            return None
        lowered = doc.name.lower()
        if (
            lowered.endswith(DETACHED_SUFFIXES)
            and 0 < len(doc.raw) <= MAX_DETACHED_BYTES
            and not doc.looks_like_json()
        ):
            return "detached-signature"
        return None

    def parse(self, doc: Document, fmt: str, ctx: ParseContext) -> dict[str, Any]:
        if fmt == "detached-signature":
            if not 0 < len(doc.raw) <= MAX_DETACHED_BYTES:
                raise EvidenceError(
                    f"{doc.name}: not a detached signature (empty or over {MAX_DETACHED_BYTES} bytes)"
                )
            return check_detached(doc, ctx).facts()
        obj = doc.json
        if fmt == "sigstore-bundle":
            if not is_sigstore_bundle(obj):
                raise EvidenceError(f"{doc.name}: not a Sigstore bundle (no sigstore mediaType)")
            return check_sigstore_bundle(
                obj, name=doc.name, pointer="", ctx=ctx, raw=doc.raw
            ).facts()
        if fmt == "dsse-envelope":
            return check_dsse_envelope(obj, name=doc.name, pointer="", ctx=ctx).facts()
        raise EvidenceError(f"{doc.name}: unknown signature format {fmt!r}")

    def tool(self, doc: Document, fmt: str) -> Tool | None:
        return Tool("sigstore") if fmt == "sigstore-bundle" else None
