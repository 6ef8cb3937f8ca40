"""Progress with ETA for long work: a rich bar on a terminal, a plain line now and then elsewhere.

When stderr is not a terminal (a log file, CI, ``nohup``), a live bar would print nothing until the
end, so a line like ``calibrating: 40/120 (33%), 2m10s elapsed, ETA 4m20s: beam_search@4 q7`` goes
to stderr every ``every`` seconds instead.

Example:
    >>> with progress_bar(2, enabled=False) as advance:
    ...     advance("one"); advance("two")
"""

from __future__ import annotations

import contextlib
import sys
import time
from collections.abc import Callable, Iterator

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)


@contextlib.contextmanager
def progress_bar(total: int, enabled: bool = True, title: str = "evaluating",
                 every: float = 30.0) -> Iterator[Callable[[str], None]]:
    """Yield ``advance(label)``, which moves the progress one step and shows what was just done."""
    if not enabled or total <= 0:
        yield lambda label: None
        return
    console = Console(stderr=True)
    if not console.is_terminal:
        yield _log_lines(total, title, every)
        return
    yield from _rich_bar(total, title, console)


def _rich_bar(total: int, title: str, console) -> Iterator[Callable[[str], None]]:
    columns = (TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
               TextColumn("ETA"), TimeRemainingColumn(), TextColumn("{task.fields[label]}"))
    with Progress(*columns, console=console) as bar:
        task = bar.add_task(title, total=total, label="")
        yield lambda label: bar.update(task, advance=1, label=label)


def _log_lines(total: int, title: str, every: float) -> Callable[[str], None]:
    started = last = time.monotonic()
    done = 0

    def advance(label: str) -> None:
        nonlocal done, last
        done += 1
        now = time.monotonic()
        if now - last < every and done < total:
            return
        last = now
        elapsed = now - started
        eta = elapsed / done * (total - done)
        print(f"{title}: {done}/{total} ({100 * done // total}%), {_duration(elapsed)} elapsed, "
              f"ETA {_duration(eta)}: {label}", file=sys.stderr, flush=True)

    return advance


def _duration(seconds: float) -> str:
    minutes, seconds = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m" if hours else f"{minutes}m{seconds:02d}s"
