"""Work shared by several processes writing one output directory: each item done once, by one of them.

Two evaluations (or calibrations) started on one output directory would otherwise both draw the
same samples and write the same rows. Before an item's work starts, its process takes a lock file
of the item under ``<out>/claims`` (``filelock``: an OS lock, released when the process ends,
even by ``kill -9``). :func:`do_once` goes through the items, does those nobody holds, leaves
those another process holds for last, and then waits for each of them and skips it if it was
finished meanwhile. So the processes split the work between them, and none repeats an item
another finished: at most the items in flight when a process is killed are redone. The items may
be done on threads of this process or as Ray tasks on other processes (``workers.py``).

Example:
    >>> import tempfile
    >>> done, claims = set(), Claims(tempfile.mkdtemp())
    >>> do_once(["a", "b", "a"], claims, is_done=done.__contains__, do=done.add)
    [('a', None), ('b', None)]
    >>> do_once(["a", "c"], claims, is_done=done.__contains__, do=done.add)  # "a" was done before
    [('c', None)]
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
from collections.abc import Callable, Hashable, Iterable, Iterator
from pathlib import Path

from filelock import FileLock, Timeout

from ttc_modules.evaluation.workers import RayWorkers, Threads


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
            finished: Callable[[object], object] | None = None, workers: int | Threads | RayWorkers = 1) -> list:
    """``do(item)`` for every item not ``is_done``, holding its claim; ``finished(item)`` after each item
    (done here, before, or by another process). Items held elsewhere are waited for last. ``workers``:
    how many items at once on threads that keep the caller's context, or a pool (``workers.py``: Ray
    tasks); a claim is a lock file, so two threads or tasks never do the same item either. Returns
    ``[(item, do(item))]`` for the items done by this call."""
    pool = Threads(workers) if isinstance(workers, int) else workers
    results, held_elsewhere = [], []

    def settle(item, state: str, result) -> None:
        if state == DONE_HERE:
            results.append((item, result))
        if finished:
            finished(item)

    for item, (state, result) in pool.run(functools.partial(_attempt, claims=claims, is_done=is_done, do=do),
                                          list(items)):
        if state == HELD:
            held_elsewhere.append(item)
        else:
            settle(item, state, result)
    for item in held_elsewhere:  # here, in this process, once the other one lets go
        settle(item, *_attempt(item, claims, is_done, do, wait=True))
    return results


HELD, DONE_BEFORE, DONE_HERE = "held elsewhere", "done before", "done here"


def _attempt(item, claims: Claims, is_done, do, wait: bool = False) -> tuple[str, object]:
    """Do ``item`` unless it is done: (:data:`DONE_HERE`, what ``do`` returned), (:data:`DONE_BEFORE`,
    None), or (:data:`HELD`, None) when another process holds it (and not ``wait``)."""
    if is_done(item):
        return DONE_BEFORE, None
    with claims.hold(item, wait=wait) as mine:
        if not mine:
            return HELD, None
        if is_done(item):  # another process may have finished it before we took the claim
            return DONE_BEFORE, None
        return DONE_HERE, do(item)
