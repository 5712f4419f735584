"""The policy set: Rego modules and data documents, each with its digest.

The set's digest binds a decision to the exact policies and data it was made with, and to the
decision inputs that live outside the policy data (``bindings``: trust anchors by key bytes,
Sigstore roots by content, JUnit kind patterns, waivers); replay refuses when it differs and
names the part (``parts``). Data files are documents rooted at ``data``; built-in ones are merged
strictly (a conflict is a library bug), user ``--data`` files and the config overlay override.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from gatecheck.digest import canonical_json, sha256_bytes
from gatecheck.errors import EvidenceError, GatecheckError, PolicyError
from gatecheck.evidence import safe

MAX_POLICY_FILE_BYTES = 8 * 1024 * 1024
BUILTIN_PREFIX = "builtin"
_PACKAGE_RE = re.compile(r"^package\s+([A-Za-z_][\w.]*)", re.MULTILINE)
_TEST_RULE_RE = re.compile(r"^(test_\w+)\b", re.MULTILINE)
# data.gatecheck.config keys with their own part; trust keys that are anchors (named as such).
PART_KEYS = ("params", "stages", "trust")
ANCHOR_KEYS = ("keys", "sigstore")
BINDING_NAMES = {
    "trust_anchors": "trust anchors",
    "sigstore_roots": "Sigstore roots",
    "junit_kind_patterns": "junit_kind_patterns",
    "waivers": "waivers",
}


@dataclass(frozen=True)
class PolicyFile:
    path: str
    """Logical name recorded in reports: ``builtin/...``, ``<dir name>/...`` or the data file name."""
    sha256: str
    text: str


@dataclass
class PolicySet:
    modules: list[PolicyFile] = field(default_factory=list)
    tests: list[PolicyFile] = field(default_factory=list)
    data_files: list[PolicyFile] = field(default_factory=list)
    data: dict[str, Any] = field(default_factory=dict)
    bindings: dict[str, Any] = field(default_factory=dict)
    """Decision inputs outside the data (engine/config.py ``Config.bindings``)."""

    @property
    def files(self) -> list[dict[str, str]]:
        """Every policy and data file with its digest, as the report lists them."""
        entries = [{"path": f.path, "sha256": f.sha256, "kind": "rego"} for f in self.modules]
        entries += [{"path": f.path, "sha256": f.sha256, "kind": "data"} for f in self.data_files]
        return sorted(entries, key=lambda e: (e["kind"], e["path"]))

    @property
    def revision(self) -> str:
        """sha256 over the file list plus the effective merged data (which includes overlays):
        what an OPA server must serve (the bundle revision of ``gatecheck policy build``)."""
        return "sha256:" + sha256_bytes(canonical_json({"files": self.files, "data": self.data}))

    @property
    def digest(self) -> str:
        """The revision plus the bindings: everything that can change a decision."""
        if not self.bindings:
            return self.revision
        whole = {"files": self.files, "data": self.data, "bindings": self.bindings}
        return "sha256:" + sha256_bytes(canonical_json(whole))

    def parts(self) -> dict[str, str]:
        """sha256 of each part of the digest that replay can name when it differs."""
        config = self.data.get("gatecheck", {}).get("config", {})
        trust = {k: v for k, v in (config.get("trust") or {}).items() if k not in ANCHOR_KEYS}
        rest = {
            **self.data,
            "gatecheck": {
                **self.data.get("gatecheck", {}),
                "config": {k: v for k, v in config.items() if k not in PART_KEYS},
            },
        }
        parts = {
            "params": config.get("params"),
            "stage profiles": config.get("stages"),
            "trust policy (producers, people, roles)": trust,
            "other policy data": rest,
            **{BINDING_NAMES[k]: v for k, v in self.bindings.items()},
        }
        return {name: sha256_bytes(canonical_json(value)) for name, value in parts.items()}

    def test_rules(self) -> list[tuple[str, str, str]]:
        """(package, rule, file) for every ``test_*`` rule in the test modules."""
        found: dict[tuple[str, str], str] = {}
        for module in self.tests:
            package = package_of(module)
            for rule in _TEST_RULE_RE.findall(module.text):
                found.setdefault((package, rule), module.path)
        return [(pkg, rule, path) for (pkg, rule), path in sorted(found.items())]


def package_of(module: PolicyFile) -> str:
    match = _PACKAGE_RE.search(module.text)
    if not match:
        raise PolicyError(f"{module.path}: no package declaration")
    return match.group(1)


def _read_text(path: Path, logical: str) -> PolicyFile:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise PolicyError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    if len(raw) > MAX_POLICY_FILE_BYTES:
        raise PolicyError(f"{path}: larger than the 8 MiB policy file limit")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise PolicyError(f"{path}: not valid UTF-8") from None
    return PolicyFile(logical, sha256_bytes(raw), text)


def _is_test(path: Path) -> bool:
    return path.name.endswith("_test.rego")


def _collect(
    root: Path, prefix: str
) -> tuple[list[PolicyFile], list[PolicyFile], list[PolicyFile]]:
    modules, tests, data_files = [], [], []
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        rel = path.relative_to(root).as_posix()
        if any(part.startswith(".") for part in path.relative_to(root).parts):
            continue
        logical = f"{prefix}/{rel}"
        if path.suffix == ".rego":
            (tests if _is_test(path) else modules).append(_read_text(path, logical))
        elif path.suffix in (".json", ".yaml", ".yml"):
            data_files.append(_read_text(path, logical))
    return modules, tests, data_files


def builtin_root() -> Path:
    return Path(str(resources.files("gatecheck.policies")))


def _load_data_document(file: PolicyFile) -> dict[str, Any]:
    try:
        value = safe.load_structured(file.text.encode("utf-8"), name=file.path)
    except EvidenceError as exc:
        raise PolicyError(str(exc)) from None
    if not isinstance(value, dict):
        raise PolicyError(f"{file.path}: a data document must be a JSON object rooted at data")
    return value


def merge_strict(
    base: dict[str, Any], extra: dict[str, Any], origin: str, path: str = "data"
) -> None:
    for key, value in extra.items():
        here = f"{path}.{key}"
        if key in base and isinstance(base[key], dict) and isinstance(value, dict):
            merge_strict(base[key], value, origin, here)
        elif key in base and base[key] != value:
            raise PolicyError(f"{origin}: {here} conflicts with a value another data file sets")
        else:
            base[key] = value


def merge_override(base: dict[str, Any], extra: dict[str, Any]) -> None:
    for key, value in extra.items():
        if key in base and isinstance(base[key], dict) and isinstance(value, dict):
            merge_override(base[key], value)
        else:
            base[key] = value


def _roots(
    policy_dirs: list[Path] | tuple[Path, ...], include_builtin: bool
) -> list[tuple[Path, str]]:
    """Each policy directory with the prefix its files are named under."""
    roots: list[tuple[Path, str]] = []
    if include_builtin:
        roots.append((builtin_root(), BUILTIN_PREFIX))
    seen_prefixes = {BUILTIN_PREFIX}
    for directory in policy_dirs:
        if not directory.is_dir():
            raise PolicyError(f"{directory}: policy directory does not exist")
        prefix = directory.resolve().name or "policy"
        while prefix in seen_prefixes:
            prefix += "_"
        seen_prefixes.add(prefix)
        roots.append((directory, prefix))
    return roots


def likely_modules(policy_dirs: list[Path] | tuple[Path, ...] = ()) -> list[PolicyFile] | None:
    """The Rego modules ``load_policy_set(policy_dirs)`` will hold, read ahead of it so the
    engine can parse them early; None when reading fails (load_policy_set then reports why,
    in its own order)."""
    try:
        modules: list[PolicyFile] = []
        for root, prefix in _roots(policy_dirs, include_builtin=True):
            modules += _collect(root, prefix)[0]
        return modules
    except (GatecheckError, OSError):
        return None


def load_policy_set(
    policy_dirs: list[Path] | tuple[Path, ...] = (),
    data_paths: list[Path] | tuple[Path, ...] = (),
    overlay: dict[str, Any] | None = None,
    *,
    include_builtin: bool = True,
    include_tests: bool = False,
    bindings: dict[str, Any] | None = None,
) -> PolicySet:
    """Built-in library, then each ``--policy`` dir, then ``--data`` files, then the overlay."""
    policy_set = PolicySet(bindings=dict(bindings or {}))
    for root, prefix in _roots(policy_dirs, include_builtin):
        modules, tests, data_files = _collect(root, prefix)
        policy_set.modules += modules
        if include_tests:
            policy_set.tests += tests
        for file in data_files:
            merge_strict(policy_set.data, _load_data_document(file), file.path)
            policy_set.data_files.append(file)
    if not policy_set.modules:
        raise PolicyError("no Rego modules found in the policy set")
    for path in data_paths:
        if not path.is_file():
            raise PolicyError(f"{path}: data file does not exist")
        file = _read_text(path, f"data/{path.name}")
        merge_override(policy_set.data, _load_data_document(file))
        policy_set.data_files.append(file)
    if overlay:
        merge_override(policy_set.data, overlay)
    return policy_set
