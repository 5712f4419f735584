"""Package identity keys shared by every SBOM and scanner format.

Comparing an SBOM's components with a scanner's packages needs one key per package whatever
the producer wrote: ``pkg:PyPI/Ruamel_Yaml@0.17.21?x=y`` and ``pkg:pypi/ruamel-yaml@0.17.21``
are the same package (``purl_key``; ``name_key``: lowercased name@version). Computing that key
in Rego for every component of a large SBOM costs tens of microseconds a call (a
20,000-component SBOM spent seconds in it), so gatecheck adds an ``index`` beside an SBOM's
components and a scan's packages: the items' positions by those keys (``{"purl": {purl_key:
[positions]}, "name": {name_key: [positions]}}``). GC-ART-005 finds the packages no scan listed
with set operations OPA runs natively, and computes a key in Rego only for the few components
no scan listed by purl. An SBOM's ``name`` map holds only the components without a purl key
(the only ones coverage matches by name); a scan's holds every package. The items themselves
carry no key (megabytes at 50,000 components that only repeated the index). GC-ART-005 keeps
an identical Rego ``purl_key`` and builds the same index for hand-written input; tests hold
the two to the same answers through OPA.
"""

from __future__ import annotations

import re
from typing import Any

from gatecheck.evidence import safe
from gatecheck.evidence.sbom.index import license_index, unidentified_index

_PERCENT = {"%40": "@", "%2b": "+", "%2B": "+", "%3a": ":", "%3A": ":", "%20": " "}
_PERCENT_RE = re.compile("|".join(re.escape(k) for k in _PERCENT))
_PYPI_SEPARATORS = re.compile(r"[-_.]+")


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


_UNKNOWN: Any = object()

# family -> (the list of package-like items indexed by key, whether items with a purl key are
# also indexed by name)
INDEXED: dict[str, tuple[str, bool]] = {
    "sbom": ("components", False),
    "vulnerability-scan": ("packages", True),
}


def annotate(family: str, facts: dict[str, Any], keys: dict[str, str | None] | None = None) -> None:
    """Add the ``index`` of an SBOM's components or a scan's packages by key (and an SBOM's
    ``license_index`` and ``unidentified_index``). The keys live only in the index: the items
    stay as parsed. ``keys`` remembers each purl's key across the files of one evaluation: an
    SBOM and the scan of it name the same packages."""
    field, all_names = INDEXED.get(family, ("", False))
    items = facts.get(field)
    if isinstance(items, list):
        with safe.paused_gc():
            facts["index"] = package_index(items, all_names=all_names, keys=keys)
            if family == "sbom":
                if (licenses := license_index(items)) is not None:
                    facts["license_index"] = licenses
                facts["unidentified_index"] = unidentified_index(items)


def package_index(
    items: list[Any], *, all_names: bool, keys: dict[str, str | None] | None = None
) -> dict[str, dict[str, list[int]]]:
    """Positions of the items by purl key and by name key, in one pass (items lacking a key
    are absent from that map; with ``all_names`` false, so are items with a purl key from the
    name map). ``keys``: purl -> purl_key(purl), read and filled."""
    by_purl: dict[str, list[int]] = {}
    by_name: dict[str, list[int]] = {}
    get_purl, get_name = by_purl.get, by_name.get
    memo: dict[str, str | None] = {} if keys is None else keys
    remembered = memo.get
    for i, item in enumerate(items):
        if type(item) is not dict:
            continue
        purl = item.get("purl")
        if type(purl) is str:
            key = remembered(purl, _UNKNOWN)
            if key is _UNKNOWN:
                key = memo[purl] = purl_key(purl)
        else:
            key = None
        if key is not None:
            if (positions := get_purl(key)) is None:
                by_purl[key] = [i]
            else:
                positions.append(i)
            if not all_names:
                continue
        name, version = item.get("name"), item.get("version")
        if not (type(name) is str and type(version) is str and name and version):
            continue
        key = f"{name.lower()}@{version}"  # name_key, inlined
        if (positions := get_name(key)) is None:
            by_name[key] = [i]
        else:
            positions.append(i)
    return {"purl": by_purl, "name": by_name}
