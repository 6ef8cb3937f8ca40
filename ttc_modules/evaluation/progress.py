"""A rich progress bar with ETA for long evaluations (silent when disabled).

Example:
    >>> with progress_bar(2, enabled=False) as advance:
    ...     advance("one"); advance("two")
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator


@contextlib.contextmanager
def progress_bar(total: int, enabled: bool = True, title: str = "evaluating") -> Iterator[Callable[[str], None]]:
    """Yield ``advance(label)``, which moves the bar one step and shows what was just done."""
    if not enabled or total <= 0:
        yield lambda label: None
        return
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    columns = (TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
               TextColumn("ETA"), TimeRemainingColumn(), TextColumn("{task.fields[label]}"))
    with Progress(*columns, console=Console(stderr=True)) as bar:
        task = bar.add_task(title, total=total, label="")
        yield lambda label: bar.update(task, advance=1, label=label)
