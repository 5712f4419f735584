"""Package identity keys shared by every SBOM and scanner format.

Comparing an SBOM's components with a scanner's packages needs one key per package whatever
the producer wrote: ``pkg:PyPI/Ruamel_Yaml@0.17.21?x=y`` and ``pkg:pypi/ruamel-yaml@0.17.21``
are the same package. Computing that key in Rego for every component of a large SBOM costs
tens of microseconds a call (a 20,000-component SBOM spent seconds in it), so the input
document carries it precomputed: ``purl_key`` and ``name_key`` on every package-like item.
GC-ART-005 keeps an identical Rego ``purl_key`` for hand-written input; a test holds the two
to the same answers through OPA.

The SBOM's components and the scan's packages are also indexed by those keys (``index``:
``{"purl": {purl_key: [positions]}, "name": {name_key: [positions]}}``), so GC-ART-005 finds
the packages no scan listed with set operations OPA runs natively, instead of a rule body per
component (seconds at 50,000 components). An SBOM's ``name`` map holds only the components
without a purl key (the only ones coverage matches by name); a scan's holds every package.
"""

from __future__ import annotations

import re
from typing import Any

from gatecheck.evidence import safe
from gatecheck.evidence.sbom.index import license_index

_PERCENT = {"%40": "@", "%2b": "+", "%2B": "+", "%3a": ":", "%3A": ":", "%20": " "}
_PERCENT_RE = re.compile("|".join(re.escape(k) for k in _PERCENT))
_PYPI_SEPARATORS = re.compile(r"[-_.]+")

# family -> fields holding package-like items (a list of items, or one item under a key)
PACKAGE_FIELDS: dict[str, tuple[tuple[str, ...], ...]] = {
    "sbom": (("components",), ("subjects",), ("subject",)),
    "vulnerability-scan": (("packages",), ("unaudited",)),
}


def purl_key(purl: Any) -> str | None:
    """``pkg:type/namespace/name@version`` lowercased, without qualifiers and subpath, with
    common percent-escapes decoded, PyPI names normalized (PEP 503) and Go's ``v`` dropped."""
    if not isinstance(purl, str) or purl[:4].lower() != "pkg:":
        return None
    # Runs for every package of every SBOM and scan: the common purl has no qualifier,
    # subpath or escape, so each costly step runs only when its character is present.
    base = purl
    if "#" in base:
        base = base.split("#", 1)[0]
    if "?" in base:
        base = base.split("?", 1)[0]
    if "%" in base:
        base = _PERCENT_RE.sub(lambda m: _PERCENT[m.group(0)], base)
    decoded = base.lower()
    at = decoded.rfind("@")
    if at <= 4:
        return None
    path = decoded[:at]
    if path.startswith("pkg:pypi/"):
        name = path[9:]
        if "_" in name or "." in name or "--" in name:
            path = "pkg:pypi/" + _PYPI_SEPARATORS.sub("-", name)
    version = decoded[at + 1 :]
    if not version or "/" in version:  # an npm scope's "@", not a version
        return None
    if path.startswith("pkg:golang/"):
        version = version.removeprefix("v")
    return f"{path}@{version}"


def name_key(name: Any, version: Any) -> str | None:
    if isinstance(name, str) and isinstance(version, str) and name and version:
        return f"{name.lower()}@{version}"
    return None


def _annotate_items(items: list[Any]) -> None:
    for item in items:
        if type(item) is dict:
            item["purl_key"] = purl_key(item.get("purl"))
            name, version = item.get("name"), item.get("version")
            item["name_key"] = (
                f"{name.lower()}@{version}"
                if type(name) is str and type(version) is str and name and version
                else name_key(name, version)
            )


# family -> (the list of package-like items indexed by key, whether items with a purl key are
# also indexed by name)
INDEXED: dict[str, tuple[str, bool]] = {
    "sbom": ("components", False),
    "vulnerability-scan": ("packages", True),
}


def annotate(family: str, facts: dict[str, Any]) -> None:
    """Add ``purl_key``/``name_key`` to the package-like items of one evidence fact, and
    the ``index`` of its components or packages by those keys."""
    with safe.paused_gc():
        _annotate(family, facts)
        field, all_names = INDEXED.get(family, ("", False))
        items = facts.get(field)
        if isinstance(items, list):
            facts["index"] = package_index(items, all_names=all_names)
            if family == "sbom" and (licenses := license_index(items)) is not None:
                facts["license_index"] = licenses


def package_index(items: list[Any], *, all_names: bool) -> dict[str, dict[str, list[int]]]:
    """Positions of the items by ``purl_key`` and by ``name_key`` (items lacking a key are
    absent from that map; with ``all_names`` false, so are items with a purl key from the
    name map)."""
    by_purl: dict[str, list[int]] = {}
    by_name: dict[str, list[int]] = {}
    for i, item in enumerate(items):
        if type(item) is dict:
            purl_key = item.get("purl_key")
            if purl_key is not None:
                by_purl.setdefault(purl_key, []).append(i)
            name_key = item.get("name_key")
            if name_key is not None and (all_names or purl_key is None):
                by_name.setdefault(name_key, []).append(i)
    return {"purl": by_purl, "name": by_name}


def _annotate(family: str, facts: dict[str, Any]) -> None:
    for path in PACKAGE_FIELDS.get(family, ()):
        value: Any = facts.get(path[0])
        items = value if isinstance(value, list) else [value]
        if len(path) == 2:
            items = [item.get(path[1]) if isinstance(item, dict) else None for item in items]
        _annotate_items(items)
