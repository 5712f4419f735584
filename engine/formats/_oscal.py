"""What both OSCAL documents share: the trestle import, stable UUIDs, gatecheck properties and
how a framework's requirement ids become OSCAL control ids.

compliance-trestle is an optional extra and slow to import (about a second), so it is only
imported when an OSCAL document is asked for, and its absence is one actionable line.
"""

from __future__ import annotations

import json
import re
import uuid
from typing import TYPE_CHECKING, Any

from gatecheck.errors import UsageError

if TYPE_CHECKING:
    from trestle.oscal.common import Property

INSTALL_HINT = "pip install 'gatecheck[oscal]'"
# Namespace of gatecheck's own property names (OSCAL requires one for names it does not define).
PROP_NS = "https://gatecheck.dev/ns/oscal"
# Every UUID gatecheck writes into OSCAL is uuid5 in this namespace (uuid5 of the NS_URL
# namespace and "https://gatecheck.dev/ns/oscal"), so the same inputs give the same document.
UUID_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, PROP_NS)

# Where a framework's requirements are published. NIST publishes SP 800-53 r5 as an OSCAL
# catalog whose control ids are lower case with enhancements as ".N" (CM-3(4) -> cm-3.4); the
# others have no OSCAL catalog, so gatecheck names them with a URN of its own.
FRAMEWORK_SOURCES = {
    "nist-800-53": "https://raw.githubusercontent.com/usnistgov/oscal-content/main/nist.gov/"
    "SP800-53/rev5/json/NIST_SP-800-53_rev5_catalog.json",
}
_TOKEN = re.compile(r"^[_A-Za-z][_A-Za-z0-9.\-]*$")


def require_trestle() -> None:
    """Import trestle's OSCAL models or fail with the install hint (a UsageError, exit 2)."""
    try:
        import trestle.oscal.assessment_results  # noqa: F401
        import trestle.oscal.component  # noqa: F401
    except ImportError as exc:
        raise UsageError(
            f"the oscal format needs compliance-trestle, which is not installed ({exc}): "
            f"{INSTALL_HINT}"
        ) from None


def validation_message(exc: Exception) -> str:
    """A pydantic ValidationError as one line: the first error's place and reason."""
    errors = getattr(exc, "errors", lambda: [])()
    first = errors[0] if errors else {}
    where = ".".join(str(p) for p in first.get("loc", ()))
    return " ".join(f"{getattr(exc, 'title', '')} {where}: {first.get('msg', exc)}".split())


def stable_uuid(*parts: object) -> str:
    """A UUID (version 5) that only depends on ``parts``."""
    return str(uuid.uuid5(UUID_NAMESPACE, json.dumps([str(p) for p in parts])))


def prop(
    name: str, value: object, class_: str | None = None, remarks: str | None = None
) -> Property:
    """A gatecheck property; the value is one line without surrounding blanks, as OSCAL needs."""
    from trestle.oscal.common import Property

    return Property(
        name=name,
        ns=PROP_NS,
        value=line(value),
        class_=token(class_) if class_ is not None else None,
        remarks=remarks,
    )


def token(text: object) -> str:
    """Any identifier as an OSCAL token (ids, classes): characters a token cannot hold become
    ``-``; gatecheck's own control ids (GC-ART-001) are tokens already and stay as they are."""
    out = re.sub(r"[^_A-Za-z0-9.\-]+", "-", str(text).strip())
    return out if out[:1].isalpha() or out[:1] == "_" else f"_{out}"


def line(text: object) -> str:
    """Untrusted text for a one-line OSCAL field (titles): whitespace collapsed, never empty."""
    return " ".join(str(text).split()) or "(empty)"


def framework_source(key: str) -> str:
    return FRAMEWORK_SOURCES.get(key, f"urn:gatecheck:framework:{key}")


def oscal_control_id(key: str, requirement: str) -> str:
    """A framework requirement as an OSCAL control id (a token): lower case, an enhancement in
    parentheses as ``.N`` (NIST's catalog form), other characters as ``-``. The original text
    stays in a ``label`` property beside it."""
    text = str(requirement).strip().lower()
    text = re.sub(r"\((\w+)\)", r".\1", text)
    text = re.sub(r"[^a-z0-9._-]+", "-", text).strip("-.")
    if not text or not _TOKEN.match(text):
        text = token(f"{key}-{text}".strip("-"))
    return text


def one_value(value: Any) -> str:
    """A parameter value as one JSON text (lossless; OSCAL values are non-empty strings)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
