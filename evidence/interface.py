"""The boundary every evidence parser implements.

One module per format family (``cyclonedx``, ``pipaudit``, ...), each exposing a subclass of
:class:`EvidenceParser`. The registry (``registry.py``) tries them in order for detection and
hands the matching one a :class:`Document` to normalize.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar
from xml.etree.ElementTree import Element

from gatecheck.errors import EvidenceError
from gatecheck.evidence import safe


@dataclass(frozen=True)
class Tool:
    """The tool that produced an evidence file, when the file says."""

    name: str
    """Producer name as the file states it (e.g. ``cyclonedx-py``, ``pip-audit``)."""
    version: str | None = None
    """Producer version, if stated."""

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "version": self.version}


class Document:
    """One evidence file's bytes, decoded lazily and at most once.

    Parsers share a Document during detection, so a large JSON file is parsed once however
    many parsers look at it. Every decode goes through :mod:`gatecheck.evidence.safe`.
    """

    def __init__(self, raw: bytes, name: str) -> None:
        self.raw = raw
        self.name = name
        self._json: Any = _UNSET
        self._json_error: EvidenceError | None = None
        self._xml: Element | None | object = _UNSET
        self._xml_error: EvidenceError | None = None
        self._yaml: Any = _UNSET
        self._yaml_error: EvidenceError | None = None

    @classmethod
    def from_path(cls, path: Path, *, name: str | None = None) -> Document:
        return cls(safe.read_limited(path), name or path.name)

    @property
    def head(self) -> bytes:
        return self.raw[:4096]

    def looks_like_json(self) -> bool:
        stripped = self.head.lstrip()
        return stripped[:1] in (b"{", b"[") or stripped.startswith(safe.UTF8_BOM)

    def looks_like_xml(self) -> bool:
        stripped = self.head.lstrip(b"\xef\xbb\xbf \t\r\n")
        return stripped[:1] == b"<"

    @property
    def json(self) -> Any:
        """The parsed JSON value; raises EvidenceError when the file is not strict JSON."""
        if self._json is _UNSET:
            try:
                self._json = safe.load_json(self.raw, name=self.name)
            except EvidenceError as exc:
                self._json_error = exc
                self._json = None
        if self._json_error is not None:
            raise self._json_error
        return self._json

    @property
    def xml(self) -> Element:
        """The parsed XML root; raises EvidenceError on malformed or unsafe XML."""
        if self._xml is _UNSET:
            try:
                self._xml = safe.load_xml(self.raw, name=self.name)
            except EvidenceError as exc:
                self._xml_error = exc
                self._xml = None
        if self._xml_error is not None:
            raise self._xml_error
        return self._xml  # type: ignore[return-value]

    @property
    def yaml(self) -> Any:
        """The parsed YAML value (strict: see safe.load_yaml), parsed once however many
        parsers ask; raises EvidenceError when the file is not such YAML."""
        if self._yaml is _UNSET:
            try:
                self._yaml = safe.load_yaml(self.raw, name=self.name)
            except EvidenceError as exc:
                self._yaml_error = exc
                self._yaml = None
        if self._yaml_error is not None:
            raise self._yaml_error
        return self._yaml

    @property
    def structured(self) -> Any:
        """gatecheck's record forms: as safe.load_structured decides (JSON when it starts like
        JSON or YAML by name), from the cached parses."""
        if self.name.lower().endswith((".yaml", ".yml")):
            return self.yaml
        if self.looks_like_json():
            return self.json
        return self.yaml

    @property
    def text(self) -> str:
        return safe.decode_text(self.raw, name=self.name)

    def json_object(self) -> dict[str, Any] | None:
        """The JSON document if it is an object, else None (for detection: never raises)."""
        if not self.looks_like_json():
            return None
        try:
            value = self.json
        except EvidenceError:
            return None
        return value if isinstance(value, dict) else None

    def xml_root(self) -> Element | None:
        """The XML root if the file is well-formed, safe XML, else None (for detection)."""
        if not self.looks_like_xml():
            return None
        try:
            return self.xml
        except EvidenceError:
            return None


_UNSET = object()


@dataclass
class ParseContext:
    """What a parser may need beyond the file itself."""

    labels: dict[str, str] = field(default_factory=dict)
    """Labels recorded with the evidence entry (e.g. ``kind: unit`` for test results)."""
    config: dict[str, Any] = field(default_factory=dict)
    """The effective gatecheck configuration (``data.gatecheck.config``): trusted keys, roots..."""
    release: dict[str, Any] = field(default_factory=dict)
    """The bundle's normalized release manifest, for parsers that check subjects against it."""


class EvidenceParser(ABC):
    """Reads one family of evidence formats."""

    family: ClassVar[str]
    """Evidence type this parser produces, e.g. ``sbom``; the input key is
    ``input.evidence.<family with '-' replaced by '_'>``."""
    formats: ClassVar[tuple[str, ...]]
    """Format names this parser can return from :meth:`detect`."""

    @abstractmethod
    def detect(self, doc: Document) -> str | None:
        """Return the format name when ``doc`` is one of this parser's formats, else None.

        Must not raise for foreign files; must be cheap (look at keys or the root element).
        """

    @abstractmethod
    def parse(
        self, doc: Document, fmt: str, ctx: ParseContext
    ) -> dict[str, Any] | list[dict[str, Any]]:
        """Validate and normalize ``doc`` (already detected as ``fmt``) into plain JSON facts:
        one object, or a list for files that hold several records (e.g. approvals).

        Raise EvidenceError for a file that cannot be read as ``fmt`` at all. Problems a
        control should judge (schema-invalid SBOM, failed signature) are facts in the result
        (e.g. ``valid: false`` with ``errors``), not exceptions.
        """

    def tool(self, doc: Document, fmt: str) -> Tool | None:
        """The producing tool, if the file says; used for the manifest entry."""
        return None
