"""Structural rules of the Rego library that no OPA check enforces.

1. No control package imports (or refers to) another control package: a control that borrows
   another's rules changes silently whenever that control changes. (Tests may.)
2. Shared helpers live once, in ``policies/lib/``: a helper package used by controls of more
   than one family sits in ``lib/``, and no function is defined in two helper packages (a
   helper package may re-export a ``gatecheck.lib`` function as a one-line delegate, so its
   controls keep calling it there).

The library is read as text: modules are ``opa fmt`` shaped (rule heads start a line).
"""

from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path

import pytest

POLICIES = Path(__file__).resolve().parent.parent / "policies"
CONTROL_PREFIX = "gatecheck.controls."
LIB_PACKAGE = "gatecheck.lib"

_PACKAGE = re.compile(r"^package\s+(\S+)", re.M)
_CONTROL_REF = re.compile(r"\bdata\.gatecheck\.controls\.([a-z0-9_]+)")
_HELPER_IMPORT = re.compile(r"^import\s+data\.(gatecheck\.[a-z0-9_]+)(?:\s+as\s+\w+)?\s*$", re.M)
_FUNCTION_HEAD = re.compile(r"^([a-z_][A-Za-z0-9_]*)\(([^)]*)\)\s*(?::=|if\b)", re.M)


def _modules() -> list[tuple[Path, str, str]]:
    found = []
    for path in sorted(POLICIES.rglob("*.rego")):
        text = path.read_text(encoding="utf-8")
        match = _PACKAGE.search(text)
        assert match, f"{path}: no package line"
        found.append((path, match.group(1), text))
    return found


MODULES = _modules()
POLICY_MODULES = [m for m in MODULES if not m[0].name.endswith("_test.rego")]


def _is_control(package: str) -> bool:
    return package.startswith(CONTROL_PREFIX)


def _is_helper(package: str) -> bool:
    return not _is_control(package) and package != "gatecheck.main"


def _shown(path: Path) -> str:
    return str(path.relative_to(POLICIES)) if path.is_absolute() else str(path)


def _strip_comments(text: str) -> str:
    return "\n".join(line.split("#", 1)[0] for line in text.splitlines())


def control_package_references(package: str, text: str) -> set[str]:
    """Control packages other than its own that a (non-test) module refers to."""
    own = package.removeprefix(CONTROL_PREFIX)
    return {name for name in _CONTROL_REF.findall(_strip_comments(text)) if name != own}


def duplicated_functions(modules: list[tuple[Path, str, str]]) -> dict[str, list[str]]:
    """Functions defined in more than one helper package, delegates to lib excepted."""
    defined: dict[str, set[str]] = defaultdict(set)
    for path, package, text in modules:
        if not _is_helper(package):
            continue
        body = _strip_comments(text)
        for match in _FUNCTION_HEAD.finditer(body):
            name, args = match.group(1), match.group(2)
            line = body[match.start() :].split("\n", 1)[0].strip()
            delegate = re.fullmatch(
                rf"{name}\({re.escape(args)}\)\s*(?::=|if)\s*lib\.{name}\({re.escape(args)}\)",
                line,
            )
            if package != LIB_PACKAGE and delegate:
                continue
            defined[name].add(f"{package} ({_shown(path)})")
    return {name: sorted(where) for name, where in defined.items() if len(where) > 1}


@pytest.mark.parametrize(
    ("path", "package", "text"),
    POLICY_MODULES,
    ids=[str(m[0].relative_to(POLICIES)) for m in POLICY_MODULES],
)
def test_no_control_package_imports_another(path: Path, package: str, text: str) -> None:
    if not (_is_control(package) or _is_helper(package)):
        return
    others = control_package_references(package, text)
    if not _is_control(package):
        others = set(_CONTROL_REF.findall(_strip_comments(text)))
    assert not others, (
        f"{path.relative_to(POLICIES)} ({package}) refers to control package(s) "
        f"{sorted(others)}; move what they share into policies/lib/"
    )


def test_shared_helpers_are_defined_once() -> None:
    assert duplicated_functions(POLICY_MODULES) == {}


def test_helper_packages_used_across_families_live_in_lib() -> None:
    users: dict[str, set[str]] = defaultdict(set)
    folders: dict[str, set[str]] = defaultdict(set)
    for path, package, text in POLICY_MODULES:
        folders[package].add(path.parent.relative_to(POLICIES).as_posix())
        for helper in _HELPER_IMPORT.findall(text):
            if _is_helper(helper) and helper != package:
                users[helper].add(path.parent.relative_to(POLICIES).as_posix())
    misplaced = {
        helper: sorted(families)
        for helper, families in users.items()
        if len(families) > 1 and folders[helper] != {"lib"}
    }
    assert misplaced == {}, f"helper packages shared across families outside lib/: {misplaced}"


# -- the rules catch what they are meant to catch ----------------------------------------


def test_an_import_of_another_control_is_caught() -> None:
    text = "package gatecheck.controls.art_007\n\nimport data.gatecheck.controls.art_002\n"
    assert control_package_references("gatecheck.controls.art_007", text) == {"art_002"}
    # A comment refers to nothing (test modules are not held to the rule).
    said = "package gatecheck.controls.art_007\n\n# data.gatecheck.controls.art_002 did this\n"
    assert control_package_references("gatecheck.controls.art_007", said) == set()


def test_a_second_definition_of_a_helper_is_caught() -> None:
    lib = (Path("lib/controls.rego"), LIB_PACKAGE, "blank(value) if value == null\n")
    copy = (
        Path("change/governance.rego"),
        "gatecheck.governance",
        'blank(value) if {\n\tis_string(value)\n\ttrim_space(value) == ""\n}\n',
    )
    delegate = (
        Path("lib/lifecycle.rego"),
        "gatecheck.lifecycle",
        "blank(value) if lib.blank(value)\n",
    )
    assert duplicated_functions([lib, copy, delegate]) == {
        "blank": [
            "gatecheck.governance (change/governance.rego)",
            "gatecheck.lib (lib/controls.rego)",
        ]
    }
    assert duplicated_functions([lib, delegate]) == {}
