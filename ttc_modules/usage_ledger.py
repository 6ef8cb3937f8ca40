"""What each cached LM call cost, kept beside DSPy's response cache.

DSPy empties ``usage`` when it answers from its cache, yet a budget must count a cache hit as the
work it stands for. So every real call's usage is written here under DSPy's own cache key, and a
cache hit reads it back. The ledger lives next to DSPy's disk cache (``<dir>-usage``), so clearing
the cache directory clears both.

Example:
    >>> ledger = UsageLedger(None)  # in memory
    >>> ledger.put("k", {"prompt_tokens": 3, "completion_tokens": 4})
    >>> ledger.get("k")["completion_tokens"]
    4
"""

from __future__ import annotations

import threading

_OPEN: dict[str, UsageLedger] = {}
_OPEN_LOCK = threading.Lock()


class UsageLedger:
    """A small key -> usage store, on disk (diskcache) or in memory when ``directory`` is None."""

    def __init__(self, directory: str | None):
        if directory is None:
            self._store: dict | object = {}
        else:
            import diskcache

            self._store = diskcache.Cache(directory)

    def put(self, key: str, usage: dict) -> None:
        self._store[key] = {k: usage.get(k) for k in ("prompt_tokens", "completion_tokens", "total_tokens")}

    def get(self, key: str) -> dict | None:
        return self._store.get(key)


def ledger_for_dspy_cache() -> UsageLedger:
    """The ledger that sits beside DSPy's current disk cache (in memory when there is none)."""
    import dspy

    disk = getattr(dspy.cache, "disk_cache", None)
    directory = getattr(disk, "directory", None) if getattr(dspy.cache, "enable_disk_cache", False) else None
    key = f"{directory}-usage" if directory else ":memory:"
    with _OPEN_LOCK:
        if key not in _OPEN:
            _OPEN[key] = UsageLedger(None if key == ":memory:" else key)
        return _OPEN[key]
