"""Work spread over threads or coroutines that keeps the caller's context: the active budget meter,
DSPy's settings.

Python threads start with an empty context, so an LM call made in a worker thread would report to
no meter and run outside ``dspy.context``. :func:`in_context` runs a function in a copy of the
caller's context; :func:`map_in_context` maps one over items on a thread pool that way.

Under ``asyncio`` (``await module.acall(...)``), :func:`in_search_thread` runs a search's own control
flow in a worker thread and remembers the caller's event loop; from that thread :func:`fan_out` sends
requests that may run at once (the samples of a prompt) to that loop as coroutines, instead of one
thread each. Called without a loop, :func:`fan_out` is :func:`map_in_context`. When the awaiting
task is cancelled (a timeout), the search's thread cannot be stopped, but its next
:func:`fan_out` raises :class:`SearchCancelled`, so it sends nothing more.

Example:
    >>> import asyncio, contextvars
    >>> colour = contextvars.ContextVar("colour", default="none")
    >>> _ = colour.set("blue")
    >>> map_in_context(lambda i: f"{i} {colour.get()}", [1, 2, 3], max_workers=3)
    ['1 blue', '2 blue', '3 blue']
    >>> async def double(i):
    ...     return 2 * i
    >>> def search():  # the search's own thread; its requests run on the caller's loop
    ...     return fan_out(lambda i: -i, double, [1, 2, 3], max_workers=2)  # -i: what threads would give
    >>> asyncio.run(in_search_thread(search))
    [2, 4, 6]
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextvars
import functools
import threading
from collections.abc import Awaitable, Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

SEARCH_THREADS = 64
"""Searches run at once under ``asyncio`` (one thread each; their requests share the caller's loop)."""

_requests_loop: contextvars.ContextVar[asyncio.AbstractEventLoop | None] = contextvars.ContextVar(
    "ttc_requests_loop", default=None)
_cancelled: contextvars.ContextVar[threading.Event | None] = contextvars.ContextVar("ttc_search_cancelled", default=None)
_search_pool = ThreadPoolExecutor(max_workers=SEARCH_THREADS, thread_name_prefix="ttc-search")


class SearchCancelled(RuntimeError):
    """The ``acall`` that started this search was cancelled: the search stops before its next request."""


def in_context(fn: Callable) -> Callable:
    """Wrap ``fn`` so each call runs in a fresh copy of the caller's context (taken now)."""
    context = contextvars.copy_context()
    return lambda *args: context.copy().run(fn, *args)


def map_in_context(fn: Callable[[Any], Any], items: Sequence, max_workers: int) -> list:
    """``[fn(item) for item in items]`` on up to ``max_workers`` threads, in the caller's context, in order.

    One item (or one worker) runs in the calling thread.
    """
    call = in_context(fn)
    if len(items) <= 1 or max_workers <= 1:
        return [call(item) for item in items]
    with ThreadPoolExecutor(max_workers=min(max_workers, len(items))) as pool:
        return list(pool.map(call, items))


async def in_search_thread(fn: Callable, *args: Any, **kwargs: Any) -> Any:
    """``fn(*args, **kwargs)`` in a worker thread, in the caller's context, with the running event loop
    as the one :func:`fan_out` sends its requests to; the loop stays free meanwhile."""
    loop = asyncio.get_running_loop()
    context = contextvars.copy_context()
    context.run(_requests_loop.set, loop)
    cancelled = threading.Event()
    context.run(_cancelled.set, cancelled)
    try:
        return await loop.run_in_executor(_search_pool, functools.partial(context.run, fn, *args, **kwargs))
    except asyncio.CancelledError:
        cancelled.set()  # the thread cannot be stopped; its search ends at its next request (fan_out)
        raise


def fan_out(call: Callable[[Any], Any], acall: Callable[[Any], Awaitable], items: Sequence, max_workers: int) -> list:
    """``[call(item) for item in items]``, at most ``max_workers`` at once, in order, in the caller's context:
    as coroutines ``acall(item)`` on the event loop of :func:`in_search_thread` when there is one, else
    on threads (:func:`map_in_context`). Raises :class:`SearchCancelled` when that search's caller has
    been cancelled."""
    cancelled = _cancelled.get()
    if cancelled is not None and cancelled.is_set():
        raise SearchCancelled("the search's caller was cancelled (a timeout, or a client that went away)")
    loop = _loop_to_use()
    if loop is None or not items:
        return map_in_context(call, items, max_workers)
    context = contextvars.copy_context()
    done: concurrent.futures.Future = concurrent.futures.Future()

    def start() -> None:
        task = loop.create_task(_gather(acall, items, max_workers), context=context)
        task.add_done_callback(lambda finished: _settle(done, finished))

    loop.call_soon_threadsafe(start)
    return done.result()


def _loop_to_use() -> asyncio.AbstractEventLoop | None:
    """The event loop to send requests to: :func:`in_search_thread`'s, unless it is closed or is this very
    thread's (blocking on it here would stop it)."""
    loop = _requests_loop.get()
    if loop is None or loop.is_closed():
        return None
    try:
        running = asyncio.get_running_loop()
    except RuntimeError:
        running = None
    return None if running is loop else loop


async def _gather(acall: Callable[[Any], Awaitable], items: Sequence, max_workers: int) -> list:
    slots = asyncio.Semaphore(max(1, max_workers))

    async def one(item):
        async with slots:
            return await acall(item)

    results = await asyncio.gather(*(one(item) for item in items), return_exceptions=True)
    failed = next((r for r in results if isinstance(r, BaseException)), None)
    if failed is not None:  # raised once every request has ended, as a thread pool does
        raise failed
    return list(results)


def _settle(future: concurrent.futures.Future, task: asyncio.Task) -> None:
    if task.cancelled():
        future.cancel()
    elif task.exception() is not None:
        future.set_exception(task.exception())
    else:
        future.set_result(task.result())
