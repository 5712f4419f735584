"""Progress bars appear only on an interactive terminal."""

from __future__ import annotations

import io
import sys

import pytest

from gatecheck import progress as progress_module


def test_no_progress_output_when_not_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    stream = io.StringIO()
    monkeypatch.setattr(sys, "stderr", stream)
    with progress_module.progress("hashing", 10) as advance:
        advance(10)
    assert stream.getvalue() == ""


def test_no_progress_in_ci_even_on_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI", "true")
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True, raising=False)
    assert not progress_module._interactive()


def test_progress_is_drawn_on_an_interactive_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    stream = Tty()
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.delenv("GATECHECK_NO_PROGRESS", raising=False)
    monkeypatch.setattr(sys, "stderr", stream)
    with progress_module.progress("hashing", 10) as advance:
        advance(5)
    assert "hashing" in stream.getvalue()
