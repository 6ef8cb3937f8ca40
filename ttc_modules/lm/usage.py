"""What each LM call cost, cache hits included, and who hears of it.

DSPy empties ``usage`` when it answers from its cache, yet a budget must count a cache hit as the
work it stands for. So every real call's usage is written to a ledger under DSPy's own cache key,
and a cache hit reads it back (:func:`usage_of`). The ledger lives beside DSPy's disk cache
(``<dir>-usage``, :func:`~ttc_modules.lm.cache.beside_dspy_cache`), so clearing that directory
clears both; without a disk cache it is kept in memory.

:func:`collect_usage` lets a caller hear the usage of every call made in its context (the
verifier runner counts a judge's tokens this way, and :func:`~ttc_modules.lm.sampling.sample`
splits a request's tokens among its samples).

Example:
    >>> ledger = UsageLedger(None)  # in memory
    >>> ledger.put("k", {"prompt_tokens": 3, "completion_tokens": 4})
    >>> ledger.get("k")["completion_tokens"]
    4
    >>> with collect_usage() as usages:
    ...     heard({"prompt_tokens": 5})
    >>> usages
    [{'prompt_tokens': 5}]
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator

import diskcache
import dspy

from ttc_modules.call_context import current, entered
from ttc_modules.lm.cache import beside_dspy_cache
from ttc_modules.lm.dspy_compat import IGNORED_CACHE_KEYS

_OPEN: dict[str, UsageLedger] = {}
_OPEN_LOCK = threading.Lock()


class UsageLedger:
    """A small key -> usage store, on disk (diskcache) or in memory when ``directory`` is None."""

    def __init__(self, directory: str | None):
        self._store: dict | diskcache.Cache = {} if directory is None else diskcache.Cache(directory)

    def put(self, key: str, usage: dict) -> None:
        self._store[key] = {k: usage.get(k) for k in ("prompt_tokens", "completion_tokens", "total_tokens")}

    def get(self, key: str) -> dict | None:
        return self._store.get(key)


def ledger_for_dspy_cache() -> UsageLedger:
    """The ledger that sits beside DSPy's current disk cache (in memory when there is none)."""
    directory = beside_dspy_cache("usage")
    key = str(directory) if directory else ":memory:"
    with _OPEN_LOCK:
        if key not in _OPEN:
            _OPEN[key] = UsageLedger(None if directory is None else key)
        return _OPEN[key]


def usage_of(lm, call, result) -> dict:
    """The call's usage; for a cache hit (DSPy empties its usage) the one recorded when it was made."""
    if not call.cache:
        return dict(result.usage or {})
    key = dspy.cache.cache_key(call.key(lm, False), IGNORED_CACHE_KEYS)
    ledger = ledger_for_dspy_cache()
    if result.cache_hit:
        return ledger.get(key) or {}
    usage = dict(result.usage or {})
    ledger.put(key, usage)
    return usage


@contextlib.contextmanager
def collect_usage() -> Iterator[list[dict]]:
    """Collect the usage of every LM call made in this context (threads started in it included)."""
    usages: list[dict] = []
    with entered(usage=usages):
        yield usages


def heard(usage: dict) -> None:
    """Tell the collector of this context (if any) about one call's usage."""
    sink = current().usage
    if sink is not None:
        sink.append(usage)


def total(usages: list[dict]) -> dict:
    """Calls, prompt tokens and completion tokens of a list of usages."""
    return {"calls": len(usages),
            "prompt_tokens": sum(int(u.get("prompt_tokens") or 0) for u in usages),
            "completion_tokens": sum(int(u.get("completion_tokens") or 0) for u in usages)}
