"""An SBOM's components indexed by license, for GC-ART-004, and by identity, for GC-ART-003.

A rule body per component and license costs OPA seconds at 50,000 components, though an SBOM
names a handful of distinct licenses. So gatecheck adds ``license_index`` to every SBOM fact:
``spdx`` maps each SPDX expression a component license resolves to onto the positions of the
components with it; ``unresolved`` lists the components with a license that resolves to none;
``none`` those with no license at all (positions ascending). GC-ART-004 then iterates distinct
licenses and the few components each finding is about, and builds the same index itself for
input gatecheck did not make (a test holds the two equal). ``unidentified_index`` lists the
components without a version or purl the same way, for GC-ART-003's count of them.
"""

from __future__ import annotations

from typing import Any


def _spdx(license: Any) -> str | None:
    """As GC-ART-004's spdx_of: the license's SPDX expression, if it resolved to one."""
    if type(license) is dict:
        spdx = license.get("spdx")
        if type(spdx) is str and spdx:
            return spdx
    return None


def license_index(components: list[Any]) -> dict[str, Any] | None:
    """None when a component has no license list (the parsers always write one): GC-ART-004
    then reads the components as they are."""
    by_spdx: dict[str, list[int]] = {}
    unresolved: list[int] = []
    unlicensed: list[int] = []
    for i, component in enumerate(components):
        licenses = component.get("licenses", []) if type(component) is dict else None
        if not isinstance(licenses, list):
            return None
        if not licenses:
            unlicensed.append(i)
        missing = False
        for license in licenses:
            spdx = _spdx(license)
            if spdx is None:
                missing = True
            else:
                by_spdx.setdefault(spdx, []).append(i)
        if missing:
            unresolved.append(i)
    return {"spdx": by_spdx, "unresolved": unresolved, "none": unlicensed}


def unidentified_index(components: list[Any]) -> list[int]:
    """As GC-ART-003's identified: the positions of the components without a non-empty
    version or purl (ascending), so the control reads only those."""
    return [
        i
        for i, c in enumerate(components)
        if not (
            type(c) is dict
            and isinstance(version := c.get("version"), str)
            and version
            and isinstance(purl := c.get("purl"), str)
            and purl
        )
    ]
