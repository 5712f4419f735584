"""SOURCE_DATE_EPOCH pins bundle times, so a bundle built twice is byte-identical."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import make_bundle

from gatecheck.bundles.archive import pack_bundle
from gatecheck.errors import UsageError


def test_bundles_built_twice_with_source_date_epoch_are_identical(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1795766400")
    for name in ("one", "two"):
        make_bundle(tmp_path / name)
        pack_bundle(tmp_path / name, tmp_path / f"{name}.tar.gz")
    assert (tmp_path / "one.tar.gz").read_bytes() == (tmp_path / "two.tar.gz").read_bytes()
    assert '"sealed_at":"2026-11-27T08:00:00Z"' in (tmp_path / "one" / "manifest.json").read_text()


def test_malformed_source_date_epoch_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "yesterday")
    with pytest.raises(UsageError, match="SOURCE_DATE_EPOCH"):
        make_bundle(tmp_path / "b")
