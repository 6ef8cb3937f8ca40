"""Where a sweep's questions are worked on: threads of this process, or Ray tasks on many.

:func:`~ttc_modules.evaluation.claims.do_once` hands each item to a pool's :meth:`run`, which yields
``(item, result)`` as items finish, so results, counts and the progress bar stay with the caller
whichever pool did the work.

- :class:`Threads` (``--workers N``): N items at once on threads, in the caller's context.
- :class:`RayWorkers` (``--ray [ADDRESS]``): each item a Ray task, at most ``workers`` in flight, on a
  local cluster started here (``ray.init()``) or the cluster at ADDRESS. A task gets the function
  pickled (the LM, the verifier, the strategy: their keys stay in environment variables) and points
  DSPy's cache where the caller's points, so workers on one machine share the LM and verifier
  caches. A task whose worker process dies is retried by Ray on another; with the claims and the
  results log (``claims.py``, ``results.py``) no finished item is redone and no row written twice.

Example:
    >>> sorted(Threads(2).run(lambda item: item * item, [1, 2, 3]))
    [(1, 1), (2, 4), (3, 9)]
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed

from ttc_modules.call_context import in_context

LOCAL = "local"  # ``--ray`` without an address: a cluster of this machine, started for the run


class Threads:
    """Items on ``count`` threads of this process (the caller's thread alone for one)."""

    def __init__(self, count: int):
        self.count = count

    def run(self, fn: Callable, items: Sequence) -> Iterator[tuple]:
        """``(item, fn(item))`` for each item, as they finish."""
        call = in_context(fn)
        if self.count <= 1 or len(items) <= 1:
            for item in items:
                yield item, call(item)
            return
        with ThreadPoolExecutor(max_workers=min(self.count, len(items))) as pool:
            futures = {pool.submit(call, item): item for item in items}
            for future in as_completed(futures):
                yield futures[future], future.result()


class RayWorkers:
    """Items as Ray tasks (see the module docstring).

    Args:
        address: a Ray cluster's address (``auto``, ``HEAD:6379``; ``ray://HEAD:10001`` with
            ``ray[client]``), or :data:`LOCAL` for a cluster of this machine started by
            :meth:`connect` (and ended with this process).
        workers: tasks in flight at once (each takes a fraction of a CPU: they wait on LM servers; a local
            cluster gets at least that many logical CPUs, so Ray keeps that many worker processes alive).
    """

    def __init__(self, address: str = LOCAL, workers: int = 4):
        try:
            import ray  # noqa: F401 - only checked here
        except ImportError as missing:
            raise ValueError("--ray needs Ray (pip install 'dspy-ttc[ray]'); or leave out --ray to run the "
                             "questions on threads of this process (--workers)") from missing
        self.address, self.workers = address, workers

    def run(self, fn: Callable, items: Sequence) -> Iterator[tuple]:
        """``(item, fn(item))`` for each item, as the tasks finish; a task's error is raised here."""
        import ray

        self.connect()
        task = ray.remote(_run_task).options(num_cpus=_task_cpus(self.workers), max_retries=3)
        shared = ray.put((fn, _cache_setting()))
        pending, waiting = iter(items), {}
        for item in itertools.islice(pending, self.workers):
            waiting[task.remote(shared, item)] = item
        while waiting:
            ready, _ = ray.wait(list(waiting), num_returns=1)
            item = waiting.pop(ready[0])
            for following in itertools.islice(pending, 1):  # one in, one out
                waiting[task.remote(shared, following)] = following
            yield item, _result(ray, ready[0])

    def connect(self) -> None:
        """Start the local cluster, or join the one at the address (once per process; :meth:`run` calls it)."""
        import ray

        if ray.is_initialized():
            return
        if self.address == LOCAL:  # a cluster of its own, even beside one `ray start` made; with at least as many
            # logical CPUs as tasks in flight, so Ray keeps that many workers alive
            ray.init(address="local", num_cpus=max(self.workers, os.cpu_count() or 1), **_QUIET)
            return
        try:
            ray.init(address=self.address, **_QUIET)
        except ConnectionError as error:
            raise ValueError(f"no Ray cluster at --ray {self.address}; start one there (ray start --head), or give "
                             "--ray alone for a cluster of this machine") from error


def worker_pool(workers: int, ray: str | None = None) -> int | RayWorkers:
    """Where a sweep's questions are worked on: ``workers`` threads (the count, as the harness and the planner
    take it), or with ``ray`` (an address, or :data:`LOCAL`) that many Ray tasks at once on that cluster,
    joined now: a cluster that cannot be reached fails here, before anything is written.

    Example:
        >>> worker_pool(4)
        4
    """
    if ray is None:
        return workers
    pool = RayWorkers(ray, workers)
    pool.connect()
    return pool


_QUIET = {"include_dashboard": False, "logging_level": "WARNING", "log_to_driver": False, "configure_logging": False}


def _task_cpus(workers: int) -> float:
    """The CPU share of one task: ``workers`` of them fit on one CPU of this machine's cluster."""
    return max(0.01, round(1.0 / workers, 2))


def _result(ray, ref):
    """A task's value, or the error it raised (not Ray's wrapper, so callers see their own errors)."""
    try:
        return ray.get(ref)
    except ray.exceptions.RayTaskError as error:
        cause = getattr(error, "cause", None)
        raise (cause if isinstance(cause, BaseException) else error) from None


def _cache_setting() -> tuple[bool, str | None]:
    """Where DSPy caches LM calls in this process: (on disk?, directory)."""
    import dspy

    return bool(getattr(dspy.cache, "enable_disk_cache", False)), getattr(dspy.cache, "disk_cache_dir", None)


def _run_task(shared: tuple, item):
    """A Ray task: the caller's cache setting in this worker, then ``fn(item)``."""
    fn, (on_disk, directory) = shared
    _use_cache(on_disk, directory)
    return fn(item)


def _use_cache(on_disk: bool, directory: str | None) -> None:
    """Point this worker's DSPy cache where the caller's points (once per worker process)."""
    import dspy

    if _cache_setting() != (on_disk, directory):
        dspy.configure_cache(enable_disk_cache=on_disk, enable_memory_cache=True,
                             **({"disk_cache_dir": directory} if directory else {}))
