"""Tamper detection under 1,000 seeded random mutations of a sealed bundle.

Every mutation changes what the bundle holds (a byte, a length, a name, a file more or less,
a manifest field) and ``verify_bundle`` must refuse every one. What verification cannot see,
by construction, is pinned down too: a forger who edits only manifest metadata and re-seals
gets a self-consistent bundle whose *digest* differs, which is why reports bind that digest.
"""

from __future__ import annotations

import json
import random
import shutil
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest
from adversarial import cases as corpus
from adversarial.runner import prepare, run_forked

from gatecheck.bundles.manifest import BundleManifest
from gatecheck.bundles.store import add_evidence, verify_bundle
from gatecheck.digest import canonical_json, sha256_bytes
from gatecheck.errors import BundleError

DATA = Path(__file__).parent / "data"
MUTATIONS = 1000
CLI_SAMPLE = 20
SEED = 20260101


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A sealed bundle with a release manifest, JUnit XML, coverage XML and a pip-audit
    report (small real files), kept untouched; each mutation works on a copy."""
    work = tmp_path_factory.mktemp("tamper")
    root = corpus.draft(work)
    files = [
        DATA / "junit" / "jest-junit-2-passed.xml",
        DATA / "coverage" / "cobertura-2.1.1-java.xml",
        DATA / "vulnscan" / "pip-audit-2-vulns-with-desc.json",
    ]
    add_evidence(root, files)
    from gatecheck.bundles.store import seal_bundle

    seal_bundle(root)
    verify_bundle(root)
    return root


# --- mutations: each returns a label and leaves the copy changed ----------------------------


def _evidence(root: Path) -> list[Path]:
    return sorted((root / "evidence").iterdir())


def _manifest(root: Path) -> dict:
    return json.loads((root / "manifest.json").read_bytes())


def _write_manifest(root: Path, value: dict, *, reseal: bool) -> None:
    if reseal:
        value["digest"] = BundleManifest.model_validate(value).compute_digest()
    (root / "manifest.json").write_bytes(canonical_json(value) + b"\n")


def _flip(path: Path, rng: random.Random) -> None:
    data = bytearray(path.read_bytes())
    i = rng.randrange(len(data))
    data[i] ^= rng.randrange(1, 256)
    path.write_bytes(bytes(data))


def flip_evidence_byte(root: Path, rng: random.Random) -> None:
    _flip(rng.choice(_evidence(root)), rng)


def flip_manifest_byte(root: Path, rng: random.Random) -> None:
    path = root / "manifest.json"
    original = path.read_bytes()
    while True:
        _flip(path, rng)
        try:
            same = json.loads(path.read_bytes()) == json.loads(original)
        except ValueError:
            same = False
        if not same:  # a flip of the final newline into a space changes no content
            return
        path.write_bytes(original)


def truncate_evidence(root: Path, rng: random.Random) -> None:
    path = rng.choice(_evidence(root))
    data = path.read_bytes()
    path.write_bytes(data[: rng.randrange(len(data))])


def truncate_manifest(root: Path, rng: random.Random) -> None:
    path = root / "manifest.json"
    data = path.read_bytes()
    path.write_bytes(data[: rng.randrange(len(data) - 1)])  # -1: not just the final newline


def append_to_evidence(root: Path, rng: random.Random) -> None:
    path = rng.choice(_evidence(root))
    path.write_bytes(path.read_bytes() + rng.randbytes(rng.randrange(1, 64)))


def rename_evidence(root: Path, rng: random.Random) -> None:
    path = rng.choice(_evidence(root))
    options = [
        path.with_name(rng.randbytes(32).hex() + path.suffix),  # another content address
        path.with_suffix(".bin"),
        path.with_name(path.name.upper()),
        root / path.name,  # out of evidence/
    ]
    path.rename(rng.choice(options))


def move_evidence_into_subfolder(root: Path, rng: random.Random) -> None:
    path = rng.choice(_evidence(root))
    (root / "evidence" / "sub").mkdir()
    path.rename(root / "evidence" / "sub" / path.name)


def swap_two_evidence_files(root: Path, rng: random.Random) -> None:
    a, b = rng.sample(_evidence(root), 2)
    tmp = a.with_name("swap")
    a.rename(tmp)
    b.rename(a)
    tmp.rename(b)


def rename_manifest(root: Path, rng: random.Random) -> None:
    (root / "manifest.json").rename(root / rng.choice(["Manifest.json", "manifest.json.bak"]))


def delete_evidence(root: Path, rng: random.Random) -> None:
    rng.choice(_evidence(root)).unlink()


def delete_manifest(root: Path, rng: random.Random) -> None:
    (root / "manifest.json").unlink()


def add_file(root: Path, rng: random.Random) -> None:
    folder = rng.choice([root, root / "evidence"])
    name = rng.choice([".hidden", "extra.json", rng.randbytes(32).hex() + ".json"])
    (folder / name).write_bytes(rng.randbytes(rng.randrange(0, 32)))


def add_copy_of_evidence(root: Path, rng: random.Random) -> None:
    path = rng.choice(_evidence(root))
    shutil.copy(path, path.with_suffix(".copy"))


def add_folder(root: Path, rng: random.Random) -> None:
    (rng.choice([root, root / "evidence"]) / rng.choice(["x", ".git", "evidence2"])).mkdir()


def symlink_to_identical_copy(root: Path, rng: random.Random) -> None:
    path = rng.choice(_evidence(root))
    copy = root.parent / f"outside-{rng.randrange(10**9)}"
    copy.write_bytes(path.read_bytes())
    path.unlink()
    path.symlink_to(copy)


def edit_manifest_field(root: Path, rng: random.Random) -> None:
    """Any field, without re-sealing: the recorded digest no longer matches."""
    value = _manifest(root)
    entry = rng.choice(value["evidence"])
    target = rng.choice(["entry", "release", "top"])
    if target == "entry":
        key = rng.choice(sorted(entry))
        entry[key] = _different(entry[key], rng)
    elif target == "release":
        key = rng.choice(["name", "version"])
        value["release"][key] = value["release"][key] + "x"
    else:
        key = rng.choice(["created_at", "sealed_at"])
        value[key] = "2020-01-01T00:00:00Z"
    _write_manifest(root, value, reseal=False)


def _different(old: object, rng: random.Random) -> object:
    if isinstance(old, str):
        return old + rng.choice(["x", " ", "0"])
    if isinstance(old, int):
        return old + rng.randrange(1, 5)
    if isinstance(old, dict):
        return {**old, "k": "v"}
    return "x"


def reseal_with_wrong_file_facts(root: Path, rng: random.Random) -> None:
    """A forger re-seals after changing an entry's digest, size or path: the files on disk
    no longer match the (self-consistent) manifest."""
    value = _manifest(root)
    entry = rng.choice(value["evidence"])
    change = rng.choice(["sha256", "size", "path"])
    if change == "sha256":
        entry["sha256"] = sha256_bytes(rng.randbytes(8))
        entry["path"] = f"evidence/{entry['sha256']}.json"
    elif change == "size":
        entry["size"] += rng.choice([-1, 1, 1000])
    else:
        entry["path"] = entry["path"].rsplit(".", 1)[0] + ".bin"
    _write_manifest(root, value, reseal=True)


def reseal_without_an_entry(root: Path, rng: random.Random) -> None:
    value = _manifest(root)
    value["evidence"].pop(rng.randrange(len(value["evidence"])))
    _write_manifest(root, value, reseal=True)


def reseal_with_an_extra_entry(root: Path, rng: random.Random) -> None:
    value = _manifest(root)
    raw = rng.randbytes(16)
    digest = sha256_bytes(raw)
    value["evidence"].append(
        {
            **value["evidence"][0],
            "path": f"evidence/{digest}.json",
            "sha256": digest,
            "size": len(raw),
        }
    )
    _write_manifest(root, value, reseal=True)


def unseal(root: Path, rng: random.Random) -> None:
    value = _manifest(root)
    value["state"] = "draft"
    _write_manifest(root, value, reseal=rng.random() < 0.5)


MUTATORS: list[Callable[[Path, random.Random], None]] = [
    flip_evidence_byte,
    flip_manifest_byte,
    truncate_evidence,
    truncate_manifest,
    append_to_evidence,
    rename_evidence,
    move_evidence_into_subfolder,
    swap_two_evidence_files,
    rename_manifest,
    delete_evidence,
    delete_manifest,
    add_file,
    add_copy_of_evidence,
    add_folder,
    symlink_to_identical_copy,
    edit_manifest_field,
    reseal_with_wrong_file_facts,
    reseal_without_an_entry,
    reseal_with_an_extra_entry,
    unseal,
]


def mutated_copy(pristine: Path, dest: Path, rng: random.Random) -> str:
    shutil.copytree(pristine, dest, symlinks=True)
    mutator = rng.choice(MUTATORS)
    mutator(dest, rng)
    return mutator.__name__


def test_every_one_of_1000_random_mutations_is_detected(pristine: Path, tmp_path: Path) -> None:
    rng = random.Random(SEED)
    tried: Counter[str] = Counter()
    missed: list[str] = []
    for i in range(MUTATIONS):
        copy = tmp_path / f"m{i}" / "bundle"
        name = mutated_copy(pristine, copy, rng)
        tried[name] += 1
        try:
            verify_bundle(copy)
        except BundleError:
            pass
        else:
            missed.append(f"#{i} {name}")
        shutil.rmtree(copy.parent)
    print(
        f"\nmutations tried: {sum(tried.values())}, detected: {MUTATIONS - len(missed)}; "
        + ", ".join(f"{k} {v}" for k, v in sorted(tried.items()))
    )
    assert not missed
    assert set(tried) == {m.__name__ for m in MUTATORS}


def test_a_sample_of_mutations_is_detected_through_the_cli(pristine: Path, tmp_path: Path) -> None:
    rng = random.Random(SEED + 1)
    for i in range(CLI_SAMPLE):
        name = ""

        def build(work: Path, i: int = i) -> list[str]:
            nonlocal name
            name = mutated_copy(pristine, work / "bundle", rng)
            return ["bundle", "verify", "bundle"]

        case = corpus.Case(
            f"tamper-{i}",
            "manifest",
            build,
            r"failed verification|unreadable|invalid|not sealed|"
            r"not a gatecheck bundle",
        )
        folder, args = prepare(case, tmp_path)
        outcome = run_forked(case, folder, args)
        assert outcome.problems() == [], (name, outcome.stderr)


def test_resealed_metadata_edit_passes_verify_but_changes_the_digest(
    pristine: Path, tmp_path: Path
) -> None:
    """The limit of self-verification, stated as a test: relabelling evidence (type, labels,
    source name) and re-sealing yields a consistent bundle. Only a digest recorded elsewhere
    (the report's bundle.digest, a pinned or signed digest) can expose it."""
    copy = tmp_path / "bundle"
    shutil.copytree(pristine, copy)
    before = verify_bundle(copy).digest
    value = _manifest(copy)
    junit = next(e for e in value["evidence"] if e["type"] == "test-results")
    junit["labels"] = {"kind": "integration"}
    _write_manifest(copy, value, reseal=True)
    after = verify_bundle(copy).digest
    assert after != before
