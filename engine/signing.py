"""Signing reports: a DSSE envelope with a key (offline), or a Sigstore bundle (keyless).

Key signing makes a DSSE envelope over the canonical in-toto Statement
(``engine/attestation.py``) with one signature in the single form report verification accepts
(``engine/report_signatures.py``: DER low-S for ECDSA) and ``keyid`` the key id; the file
written is the envelope as canonical JSON plus a newline.
Ed25519 is the default key type, ECDSA P-256 the alternative (``gatecheck keys generate``).

Keyless signing uses sigstore-python: an OIDC identity token from ``SIGSTORE_ID_TOKEN`` or
ambient CI credentials (GitHub Actions, GitLab, Buildkite, CircleCI, GCP), a short-lived
Fulcio certificate and a Rekor entry; the file written is the Sigstore bundle. It needs the
network: when Fulcio or Rekor cannot be reached the signer raises :class:`SigningError` and
nothing is written. Signers are built before the evaluation, so a missing key, passphrase or
identity token fails fast.
"""

from __future__ import annotations

import os
import re
from abc import ABC, abstractmethod
from collections.abc import Sequence
from pathlib import Path

from gatecheck.digest import canonical_json
from gatecheck.engine import report_signatures
from gatecheck.engine.attestation import PAYLOAD_TYPE
from gatecheck.errors import ReportError
from gatecheck.evidence.signing import dsse
from gatecheck.evidence.signing.keys import (
    KeyError_,
    PrivateKey,
    key_id,
    key_type,
    load_private_key,
)

TOKEN_ENV = "SIGSTORE_ID_TOKEN"
TRUST_CONFIG_ENV = "GATECHECK_SIGSTORE_TRUST_CONFIG"
MAX_KEY_FILE_BYTES = 64 * 1024


class SigningError(ReportError):
    """A report could not be signed; the caller must not write it."""


def passphrase_from_env(variable: str | None, *, what: str) -> bytes | None:
    """The passphrase held by environment variable ``variable`` (None when not asked for)."""
    if not variable:
        return None
    value = os.environ.get(variable)
    if not value:
        raise SigningError(f"{what}: environment variable {variable} is unset or empty")
    return value.encode("utf-8")


def load_signing_key(path: Path, *, passphrase_env: str | None = None) -> PrivateKey:
    """A private key from a PEM file, decrypted with the passphrase in ``passphrase_env``."""
    try:
        with open(path, "rb") as f:
            pem = f.read(MAX_KEY_FILE_BYTES + 1)
    except OSError as exc:
        raise SigningError(f"signing key {path} cannot be read ({exc.strerror or exc})") from None
    if len(pem) > MAX_KEY_FILE_BYTES:
        raise SigningError(f"signing key {path} is too large to be a PEM private key")
    password = passphrase_from_env(passphrase_env, what=f"signing key {path}")
    if password is None and b"ENCRYPTED" in pem:
        raise SigningError(
            f"signing key {path} is encrypted; name the environment variable holding its "
            "passphrase with --sign-key-passphrase-env VAR"
        )
    try:
        return load_private_key(pem, password=password, what=f"signing key {path}")
    except KeyError_ as exc:
        raise SigningError(str(exc)) from None


class ReportSigner(ABC):
    """Turns statement payloads into signed files."""

    kind: str
    """``dsse`` (key-signed envelope) or ``sigstore`` (Sigstore bundle)."""

    @abstractmethod
    def sign(self, payloads: Sequence[bytes]) -> list[bytes]:
        """One signed file's bytes per in-toto Statement payload; SigningError on failure."""

    @abstractmethod
    def describe(self) -> str:
        """Who signs, for messages."""


class KeySigner(ReportSigner):
    """DSSE envelopes signed with a private key."""

    kind = "dsse"

    def __init__(self, key: PrivateKey) -> None:
        self.key = key
        self.key_id = key_id(key)

    def sign(self, payloads: Sequence[bytes]) -> list[bytes]:
        signed = []
        for payload in payloads:
            try:
                sig = report_signatures.sign(self.key, dsse.pae(PAYLOAD_TYPE, payload))
            except (TypeError, ValueError) as exc:
                raise SigningError(f"signing with key {self.key_id} failed ({exc})") from None
            envelope = dsse.Envelope(
                payload_type=PAYLOAD_TYPE,
                payload=payload,
                signatures=(dsse.Signature(sig=sig, keyid=self.key_id),),
            )
            signed.append(envelope_bytes(envelope))
        return signed

    def describe(self) -> str:
        return f"key {self.key_id} ({key_type(self.key)})"


def envelope_bytes(envelope: dsse.Envelope) -> bytes:
    """The report file form of an envelope: canonical JSON and one newline."""
    return canonical_json(envelope.to_dict()) + b"\n"


def identity_token_from_environment() -> str:
    """``SIGSTORE_ID_TOKEN``, else an ambient CI credential; SigningError when there is none."""
    token = os.environ.get(TOKEN_ENV, "").strip()
    if token:
        return token
    from sigstore.oidc import detect_credential

    try:
        detected = detect_credential()
    except Exception as exc:  # noqa: BLE001 - sigstore's ambient detection errors vary by CI
        raise SigningError(
            f"Sigstore keyless signing: ambient CI credentials could not be read ({_one_line(exc)})"
        ) from None
    if not detected:
        raise SigningError(
            f"Sigstore keyless signing needs an OIDC identity token: set {TOKEN_ENV}, or run in "
            "CI with ambient credentials (e.g. GitHub Actions with `permissions: id-token: "
            "write`); or sign offline with --sign-key KEY"
        )
    return detected


class SigstoreSigner(ReportSigner):
    """Keyless signing with sigstore-python: Fulcio certificate, Rekor entry, Sigstore bundle."""

    kind = "sigstore"

    def __init__(self, token: str | None = None, *, trust_config: Path | None = None) -> None:
        from sigstore.oidc import IdentityToken

        raw = token or identity_token_from_environment()
        try:
            self.identity = IdentityToken(raw)
        except Exception as exc:  # noqa: BLE001 - sigstore's IdentityError and jwt errors
            raise SigningError(
                f"Sigstore keyless signing: the identity token is unusable ({_one_line(exc)})"
            ) from None
        if trust_config is None and os.environ.get(TRUST_CONFIG_ENV):
            trust_config = Path(os.environ[TRUST_CONFIG_ENV])
        self.trust_config_path = trust_config
        self._trust_config = self._load_trust_config(trust_config) if trust_config else None

    @staticmethod
    def _load_trust_config(path: Path):  # noqa: ANN205 - sigstore type imported lazily
        from sigstore.models import ClientTrustConfig

        try:
            return ClientTrustConfig.from_json(path.read_text(encoding="utf-8"))
        except OSError as exc:
            raise SigningError(
                f"Sigstore trust config {path} cannot be read ({exc.strerror or exc})"
            ) from None
        except Exception as exc:  # noqa: BLE001 - pydantic/protobuf validation errors
            raise SigningError(
                f"Sigstore trust config {path} is not a client trust config ({_one_line(exc)})"
            ) from None

    def sign(self, payloads: Sequence[bytes]) -> list[bytes]:
        from sigstore.dsse import Statement
        from sigstore.models import ClientTrustConfig
        from sigstore.sign import SigningContext

        try:
            trust = self._trust_config or ClientTrustConfig.production()
            context = SigningContext.from_trust_config(trust)
            signed = []
            with context.signer(self.identity, cache=True) as signer:
                for payload in payloads:
                    bundle = signer.sign_dsse(Statement(payload))
                    signed.append(bundle.to_json().encode("utf-8") + b"\n")
            return signed
        except SigningError:
            raise
        except Exception as exc:  # noqa: BLE001 - network, TUF, Fulcio and Rekor errors
            where = (
                f"the trust config {self.trust_config_path}"
                if self.trust_config_path
                else "the Sigstore public-good instance"
            )
            raise SigningError(
                f"Sigstore keyless signing failed: {_one_line(exc)}; it needs network access to "
                f"Fulcio and Rekor of {where}; sign offline with --sign-key KEY instead"
            ) from None

    def describe(self) -> str:
        return f"Sigstore identity {self.identity.identity} ({self.identity.federated_issuer})"


def _one_line(exc: BaseException) -> str:
    """A short reason; network failures as ``cannot connect to URL (reason)``."""
    try:
        from requests.exceptions import RequestException
    except ImportError:  # pragma: no cover - requests comes with sigstore
        RequestException = ()  # type: ignore[assignment,misc]  # noqa: N806
    current: BaseException | None = exc
    while current is not None:
        if isinstance(current, RequestException):
            text = str(current)
            found = _ERRNO_RE.search(text)
            if found:
                reason = found.group(1).strip()
            elif "timed out" in text.lower():
                reason = "timed out"
            else:
                reason = type(current).__name__
            request = getattr(current, "request", None)
            url = getattr(request, "url", None)
            return f"cannot connect to {url} ({reason})" if url else f"network error ({reason})"
        current = current.__cause__ or current.__context__
    return " ".join(str(exc).split())[:300] or type(exc).__name__


_ERRNO_RE = re.compile(r"\[Errno -?\d+\] ([^'\")]+)")
