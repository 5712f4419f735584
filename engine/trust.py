"""The trust policy: who may vouch for which evidence, and who the people are.

Part of the configuration (``trust:``), and so of the policy digest: the digest covers the
resolved anchors (key ids computed from the key bytes, Sigstore identities and roots), never
the paths or names that led to them, so swapping a key behind the same path changes it.

- ``producers``: CI jobs and systems of record. Each names the evidence types it may vouch
  for and the keys or Sigstore identities it signs with.
- ``people``: the directory. Each person has one canonical id, the identities they sign with,
  the aliases (e-mail, login) under which evidence names them, and their roles. A person is
  established only by a verified signature or, for facts an authorized producer vouched for,
  by an alias; names and roles written inside evidence establish nothing.

Identities are compared NFKC-normalized and case-folded: ``Alice@Example.com`` and
``alice@example.com`` are one alias, while a look-alike from another script (Cyrillic ``а``)
is another string and so nobody, unless the directory lists it.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from gatecheck.errors import ConfigError

APPROVAL = "approval"
SHIPPED_ROOTS = ("public-good", "staging")


def normalize_identity(value: str) -> str:
    """The comparison form of a name, e-mail or login: NFKC, case-folded, trimmed."""
    return unicodedata.normalize("NFKC", value).casefold().strip()


class KeyRef(BaseModel):
    """A public key, by file (relative to the configuration file) or inline PEM."""

    model_config = ConfigDict(extra="forbid")
    path: str | None = Field(None, description="PEM public key file.")
    pem: str | None = Field(None, description="PEM public key, inline.")

    @model_validator(mode="after")
    def _one_source(self) -> KeyRef:
        if (self.path is None) == (self.pem is None):
            raise ValueError("give exactly one of `path` or `pem`")
        return self


class SigstoreRef(BaseModel):
    """A keyless signer: the certificate identity (SAN) and OIDC issuer Fulcio recorded."""

    model_config = ConfigDict(extra="forbid")
    identity: str = Field(min_length=1, description="Certificate identity (e-mail or URI).")
    issuer: str = Field(min_length=1, description="OIDC issuer URL.")
    root: str = Field(
        "public-good",
        description="Trusted root: `public-good`, `staging`, or a trusted_root.json path.",
    )


class Producer(BaseModel):
    model_config = ConfigDict(extra="forbid")
    types: list[str] = Field(
        min_length=1, description="Evidence types this producer may vouch for (`sbom`, ...)."
    )
    keys: list[KeyRef] = Field(default_factory=list)
    sigstore: list[SigstoreRef] = Field(default_factory=list)

    @model_validator(mode="after")
    def _has_identity(self) -> Producer:
        if not self.keys and not self.sigstore:
            raise ValueError("a producer needs at least one key or Sigstore identity")
        return self


class Person(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str = Field(min_length=1, description="Canonical id, as reports name the person.")
    roles: list[str] = Field(default_factory=list)
    keys: list[KeyRef] = Field(default_factory=list)
    sigstore: list[SigstoreRef] = Field(default_factory=list)
    aliases: list[str] = Field(
        default_factory=list, description="E-mail addresses and logins evidence may name."
    )

    @field_validator("id", "aliases")
    @classmethod
    def _not_blank(cls, value: Any) -> Any:
        for text in value if isinstance(value, list) else [value]:
            if not normalize_identity(text):
                raise ValueError("identities must not be blank")
        return value


class TrustPolicy(BaseModel):
    model_config = ConfigDict(extra="forbid")
    producers: dict[str, Producer] = Field(default_factory=dict)
    people: list[Person] = Field(default_factory=list)


# -- resolved form ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Signer:
    """A verified signing identity: ``key:<sha256 key id>`` or ``sigstore:<identity>`` with
    its issuer and root."""

    key_id: str | None = None
    identity: str | None = None
    issuer: str | None = None
    root: str | None = None

    @property
    def label(self) -> str:
        if self.key_id:
            return f"key:{self.key_id}"
        return f"sigstore:{self.identity} ({self.issuer})"


@dataclass
class ResolvedTrust:
    """The trust policy with key files read and every identity indexed."""

    producers: dict[str, set[str]] = field(default_factory=dict)
    """Producer name -> evidence types it may vouch for."""
    roles: dict[str, list[str]] = field(default_factory=dict)
    """Person id -> roles."""
    key_pems: dict[str, str] = field(default_factory=dict)
    """Key id -> PEM, for signature verification."""
    by_key: dict[str, list[str]] = field(default_factory=dict)
    """Key id -> owners (``producer:NAME`` / ``person:ID``)."""
    by_sigstore: dict[tuple[str, str, str], list[str]] = field(default_factory=dict)
    """(identity, issuer, root) -> owners."""
    by_alias: dict[str, str] = field(default_factory=dict)
    """Normalized alias or id -> person id."""
    roots: list[str] = field(default_factory=list)
    """Sigstore roots some identity names (verification tries only these)."""

    @property
    def empty(self) -> bool:
        return not self.producers and not self.roles

    def owners(self, signer: Signer) -> list[str]:
        if signer.key_id:
            return self.by_key.get(signer.key_id, [])
        key = (signer.identity or "", signer.issuer or "", signer.root or "")
        return self.by_sigstore.get(key, [])

    def person(self, name: Any) -> str | None:
        """The person a name, e-mail, login or id stands for, or None."""
        if not isinstance(name, str):
            return None
        return self.by_alias.get(normalize_identity(name))

    def digest_view(self) -> dict[str, Any]:
        """What enters the policy digest: anchors by content, no paths."""
        return {
            "producers": {name: sorted(types) for name, types in sorted(self.producers.items())},
            "people": {pid: sorted(roles) for pid, roles in sorted(self.roles.items())},
            "keys": {kid: sorted(owners) for kid, owners in sorted(self.by_key.items())},
            "sigstore": sorted(
                [identity, issuer, root, sorted(owners)]
                for (identity, issuer, root), owners in self.by_sigstore.items()
            ),
            "aliases": dict(sorted(self.by_alias.items())),
        }


def _read_key(ref: KeyRef, base_dir: Path, where: str) -> tuple[str, str]:
    from gatecheck.evidence.signing.keys import KeyError_, key_id, load_public_key

    pem = ref.pem
    if ref.path is not None:
        path = (base_dir / ref.path).expanduser()
        try:
            pem = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(
                f"{where}: key {path} cannot be read ({getattr(exc, 'strerror', None) or exc})"
            ) from None
    try:
        key = load_public_key(pem or "", what=f"{where} key")
    except KeyError_ as exc:
        raise ConfigError(str(exc)) from None
    return key_id(key), pem or ""


def _root_name(root: str, base_dir: Path) -> str:
    return root if root in SHIPPED_ROOTS else str((base_dir / root).expanduser())


def resolve(policy: TrustPolicy | None, base_dir: Path) -> ResolvedTrust:
    """Read every key and index every identity; ConfigError on anything ambiguous."""
    resolved = ResolvedTrust()
    if policy is None:
        return resolved

    def index(owner: str, keys: Iterable[KeyRef], sigstore: Iterable[SigstoreRef]) -> None:
        for i, ref in enumerate(keys):
            kid, pem = _read_key(ref, base_dir, f"trust {owner} keys[{i}]")
            resolved.key_pems[kid] = pem
            resolved.by_key.setdefault(kid, []).append(owner)
        for ref in sigstore:
            root = _root_name(ref.root, base_dir)
            if root not in resolved.roots:
                resolved.roots.append(root)
            key = (ref.identity, ref.issuer, root)
            resolved.by_sigstore.setdefault(key, []).append(owner)

    for name, producer in policy.producers.items():
        resolved.producers[name] = set(producer.types)
        index(f"producer:{name}", producer.keys, producer.sigstore)
    for person in policy.people:
        if person.id in resolved.roles:
            raise ConfigError(f"trust people: {person.id!r} is listed twice")
        resolved.roles[person.id] = list(person.roles)
        index(f"person:{person.id}", person.keys, person.sigstore)
        for alias in [person.id, *person.aliases, *(s.identity for s in person.sigstore)]:
            norm = normalize_identity(alias)
            other = resolved.by_alias.get(norm)
            if other is not None and other != person.id:
                raise ConfigError(f"trust people: {alias!r} names both {other!r} and {person.id!r}")
            resolved.by_alias[norm] = person.id
    for kid, owners in resolved.by_key.items():
        persons = [o for o in owners if o.startswith("person:")]
        if len(persons) > 1:
            raise ConfigError(f"trust people: key {kid} belongs to {', '.join(persons)}")
    return resolved
