"""Progress bars for long work (hashing a large bundle, normalizing big evidence), shown only
on an interactive terminal: CI logs and pipes get nothing."""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Callable, Iterator


def _interactive() -> bool:
    return (
        sys.stderr.isatty()
        and not os.environ.get("CI")
        and "GATECHECK_NO_PROGRESS" not in os.environ
    )


@contextlib.contextmanager
def progress(description: str, total: int) -> Iterator[Callable[[int], None]]:
    """Yields ``advance(n)``; a transient rich bar on stderr when interactive, else a no-op."""
    if not _interactive() or total <= 0:
        yield lambda n=1: None
        return
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn

    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        TaskProgressColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task(description, total=total)
        yield lambda n=1: bar.advance(task, n)
