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


def license_index(components: list[Any]) -> dict[str, Any] | None:
    """None when a component has no license list (the parsers always write one): GC-ART-004
    then reads the components as they are."""
    by_spdx: dict[str, list[int]] = {}
    unresolved: list[int] = []
    unlicensed: list[int] = []
    positions_of = by_spdx.get
    # Runs once per component: GC-ART-004's spdx_of, inlined.
    for i, component in enumerate(components):
        licenses = component.get("licenses", []) if type(component) is dict else None
        if type(licenses) is not list:
            return None
        if not licenses:
            unlicensed.append(i)
            continue
        missing = False
        for license in licenses:
            spdx = license.get("spdx") if type(license) is dict else None
            if type(spdx) is not str or not spdx:
                missing = True
            elif (positions := positions_of(spdx)) is None:
                by_spdx[spdx] = [i]
            else:
                positions.append(i)
        if missing:
            unresolved.append(i)
    return {"spdx": by_spdx, "unresolved": unresolved, "none": unlicensed}


def unidentified_index(components: list[Any]) -> list[int]:
    """As GC-ART-003's identified: the positions of the components without a non-empty
    version or purl (ascending), so the control reads only those."""
    found = []
    for i, c in enumerate(components):
        if type(c) is not dict:
            found.append(i)
            continue
        version, purl = c.get("version"), c.get("purl")
        if not (type(version) is str and version and type(purl) is str and purl):
            found.append(i)
    return found
