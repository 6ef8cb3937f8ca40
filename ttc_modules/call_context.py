"""What one call carries implicitly, in one object (:class:`CallContext`), and the one way its work fans out.

A strategy call hands a few things down to code it does not call directly: the LM client reserves
from the call's budget meter, a parallel item draws its request seeds from its own stream, a collector
hears the usage of every LM call below it, under ``asyncio`` requests go to the caller's event
loop and stop once that caller is cancelled, a planner hands its run to the strategy it calls, and a
parallel item takes its turn to add nodes to the graph. All of it lives in one :class:`CallContext`, held in
one context variable, read with :func:`current` and changed only by :func:`entered` (a new copy
with some fields replaced, for the ``with`` block). Nothing else in the package keeps call state in
a context variable (``tests/test_layers.py`` checks it).

Python threads start with an empty context, so work spread over threads would lose the call's
meter, seeds and usage collector, and DSPy's settings. :func:`fan_out` is the one way to spread
work: items run in copies of the caller's context, as coroutines on the call's event loop where
there is one (``await module.acall(...)``: :func:`in_search_thread` runs the search's own control
flow in a worker thread and records the loop), on threads otherwise. When the awaiting task is
cancelled (a timeout), the search's thread cannot be stopped, but its next :func:`fan_out`
raises :class:`SearchCancelled`, so it sends nothing more.

Example:
    >>> with entered(usage=[]):
    ...     current().usage.append({"prompt_tokens": 5})
    ...     fan_out(lambda i: len(current().usage) + i, [1, 2, 3], max_workers=3)  # threads see the call's fields
    [2, 3, 4]
    >>> current().usage is None   # the block's fields are gone after it
    True
    >>> async def double(i):
    ...     return 2 * i
    >>> def search():  # the search's own thread; its requests run on the caller's loop
    ...     return fan_out(lambda i: -i, [1, 2, 3], max_workers=2, acall=double)  # -i: what threads would give
    >>> asyncio.run(in_search_thread(search))
    [2, 4, 6]
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import contextvars
import dataclasses
import functools
import threading
from collections.abc import Awaitable, Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

SEARCH_THREADS = 64
"""Searches run at once under ``asyncio`` (one thread each; their requests share the caller's loop)."""


@dataclasses.dataclass(frozen=True)
class CallContext:
    """What the code below a strategy call reads without being handed it.

    Attributes:
        meter: the budget meter LM and verifier calls reserve from (``BudgetMeter.active``).
        seeds: the seed stream of the parallel item this code runs in (``Run.parallel``; ``seeds.py``).
        usage: the list every LM call's usage is appended to (``lm.usage.collect_usage``).
        loop: the event loop of the ``acall`` this search serves; :func:`fan_out` sends requests there.
        cancelled: set once that ``acall``'s caller is cancelled; :func:`fan_out` then refuses to go on.
        handoff: ``(strategy, run)`` while a planner calls ``strategy`` to search on its ``run``
            (``Strategy.forward`` takes the run instead of starting one, ``planners/adaptive.py``).
        turns: ``(run, finished, index)`` for each parallel phase this code runs in, outermost first: item
            ``index`` adds nodes to that run's graph only once the items before it are ``finished``
            (``Run.parallel``), so node ids do not depend on thread timing.
    """

    meter: Any = None  # a BudgetMeter (not imported: this module sits below budget.py and seeds.py)
    seeds: Any = None  # a SeedStream
    usage: list[dict] | None = None
    loop: asyncio.AbstractEventLoop | None = None
    cancelled: threading.Event | None = None
    handoff: tuple[Any, Any] | None = None
    turns: tuple[tuple[Any, list[threading.Event], int], ...] = ()


_OUTSIDE_ANY_CALL = CallContext()  # frozen: a safe default
_CALL: contextvars.ContextVar[CallContext] = contextvars.ContextVar("ttc_call", default=_OUTSIDE_ANY_CALL)
_search_pool = ThreadPoolExecutor(max_workers=SEARCH_THREADS, thread_name_prefix="ttc-search")


class SearchCancelled(RuntimeError):
    """The ``acall`` that started this search was cancelled: the search stops before its next request."""


def current() -> CallContext:
    """The context of the call this code runs in (empty outside one: no meter, no seeds, no turns)."""
    return _CALL.get()


@contextlib.contextmanager
def entered(**fields: Any) -> Iterator[CallContext]:
    """The current context with ``fields`` replaced, for the ``with`` block (the one place it is set)."""
    token = _CALL.set(dataclasses.replace(_CALL.get(), **fields))
    try:
        yield _CALL.get()
    finally:
        _CALL.reset(token)


def in_context(fn: Callable) -> Callable:
    """Wrap ``fn`` so each call runs in a fresh copy of the caller's context (taken now)."""
    context = contextvars.copy_context()
    return lambda *args: context.copy().run(fn, *args)


def fan_out(call: Callable[[Any], Any], items: Sequence, max_workers: int,
            acall: Callable[[Any], Awaitable] | None = None) -> list:
    """``[call(item) for item in items]``, at most ``max_workers`` at once, in order, in the caller's context.

    With ``acall`` and an event loop recorded by :func:`in_search_thread`, the items run as coroutines
    ``acall(item)`` on that loop; otherwise on threads (one item, or one worker, in the calling thread).
    Raises :class:`SearchCancelled` when the search's caller has been cancelled.
    """
    cancelled = current().cancelled
    if cancelled is not None and cancelled.is_set():
        raise SearchCancelled("the search's caller was cancelled (a timeout, or a client that went away)")
    loop = _loop_to_use() if acall is not None else None
    if loop is None or not items:
        return _on_threads(call, items, max_workers)
    context = contextvars.copy_context()
    done: concurrent.futures.Future = concurrent.futures.Future()

    def start() -> None:
        task = loop.create_task(_gather(acall, items, max_workers), context=context)
        task.add_done_callback(lambda finished: _settle(done, finished))

    loop.call_soon_threadsafe(start)
    return done.result()


async def in_search_thread(fn: Callable, *args: Any, **kwargs: Any) -> Any:
    """``fn(*args, **kwargs)`` in a worker thread, in the caller's context, with the running event loop
    as the one :func:`fan_out` sends its requests to; the loop stays free meanwhile."""
    loop = asyncio.get_running_loop()
    cancelled = threading.Event()
    work = functools.partial(_with_loop, loop, cancelled, fn, *args, **kwargs)
    try:
        return await loop.run_in_executor(_search_pool, functools.partial(contextvars.copy_context().run, work))
    except asyncio.CancelledError:
        cancelled.set()  # the thread cannot be stopped; its search ends at its next request (fan_out)
        raise


async def in_worker_thread(fn: Callable, *args: Any, **kwargs: Any) -> Any:
    """``fn(*args, **kwargs)`` in a worker thread, in the caller's context (blocking work under ``asyncio``)."""
    return await asyncio.to_thread(fn, *args, **kwargs)


def _with_loop(loop, cancelled, fn: Callable, *args: Any, **kwargs: Any) -> Any:
    with entered(loop=loop, cancelled=cancelled):
        return fn(*args, **kwargs)


def _on_threads(call: Callable[[Any], Any], items: Sequence, max_workers: int) -> list:
    run = in_context(call)
    if len(items) <= 1 or max_workers <= 1:
        return [run(item) for item in items]
    with ThreadPoolExecutor(max_workers=min(max_workers, len(items))) as pool:
        return list(pool.map(run, items))


def _loop_to_use() -> asyncio.AbstractEventLoop | None:
    """The event loop to send requests to: :func:`in_search_thread`'s, unless it is closed or is this very
    thread's (blocking on it here would stop it)."""
    loop = current().loop
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
