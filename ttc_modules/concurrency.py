"""Work spread over threads that keeps the caller's context: the active budget meter, DSPy's settings.

Python threads start with an empty context, so an LM call made in a worker thread would report to
no meter and run outside ``dspy.context``. :func:`in_context` runs a function in a copy of the
caller's context; :func:`map_in_context` maps one over items on a thread pool that way.

Example:
    >>> import contextvars
    >>> colour = contextvars.ContextVar("colour", default="none")
    >>> _ = colour.set("blue")
    >>> map_in_context(lambda i: f"{i} {colour.get()}", [1, 2, 3], max_workers=3)
    ['1 blue', '2 blue', '3 blue']
"""

from __future__ import annotations

import contextvars
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any


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
