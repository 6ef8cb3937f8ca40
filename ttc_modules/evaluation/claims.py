"""Work shared by several processes writing one output directory: each item done once, by one of them.

Two evaluations (or calibrations) started on one output directory would otherwise both draw the
same samples and write the same rows. Before an item's work starts, its process takes a lock file
of the item under ``<out>/claims`` (``filelock``: an OS lock, released when the process ends,
even by ``kill -9``). :func:`do_once` goes through the items, does those nobody holds, leaves
those another process holds for last, and then waits for each of them and skips it if it was
finished meanwhile. So the processes split the work between them, and none repeats an item
another finished: at most the items in flight when a process is killed are redone.

Example:
    >>> import tempfile
    >>> done, claims = set(), Claims(tempfile.mkdtemp())
    >>> do_once(["a", "b", "a"], claims, is_done=done.__contains__, do=done.add)
    >>> sorted(done)
    ['a', 'b']
"""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Callable, Hashable, Iterable, Iterator
from pathlib import Path

from filelock import FileLock, Timeout

from ttc_modules.concurrency import map_in_context


class Claims:
    """Lock files of work items under ``<directory>/claims``, one per item."""

    def __init__(self, directory: str | Path):
        self.directory = Path(directory) / "claims"
        self.directory.mkdir(parents=True, exist_ok=True)

    @contextlib.contextmanager
    def hold(self, item: Hashable, wait: bool) -> Iterator[bool]:
        """Hold ``item``'s claim in this block; yields False (at once) if another process holds it and not ``wait``."""
        name = hashlib.sha256(repr(item).encode()).hexdigest()[:32]
        lock = FileLock(self.directory / f"{name}.lock")
        try:
            lock.acquire(timeout=-1 if wait else 0)
        except Timeout:
            yield False
            return
        try:
            yield True
        finally:
            lock.release()


def do_once(items: Iterable, claims: Claims, is_done: Callable[[object], bool], do: Callable[[object], object],
            finished: Callable[[object], object] | None = None, workers: int = 1) -> None:
    """``do(item)`` for every item not ``is_done``, holding its claim; ``finished(item)`` after each item
    (done here, before, or by another process). Items held elsewhere are waited for last. ``workers``
    items are done at once, on threads that keep the caller's context (a claim is a lock file, so
    two threads never do the same item either)."""

    def attempt(item, wait: bool):
        if not _try(item, claims, is_done, do, wait=wait):
            return item
        if finished:
            finished(item)
        return None

    held_elsewhere = [item for item in map_in_context(lambda item: attempt(item, False), list(items), workers)
                      if item is not None]
    for item in held_elsewhere:
        attempt(item, True)


def _try(item, claims: Claims, is_done, do, wait: bool) -> bool:
    """Do ``item`` unless it is done; False when another process holds it (and not ``wait``)."""
    if is_done(item):
        return True
    with claims.hold(item, wait=wait) as mine:
        if not mine:
            return False
        if not is_done(item):  # another process may have finished it before we took the claim
            do(item)
    return True
