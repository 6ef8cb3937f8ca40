"""Where things are cached: DSPy's response cache, and our own caches beside it.

LM calls are cached by DSPy (``dspy.cache``), wherever the program pointed it with
``dspy.configure_cache``; building an LM never moves it. :func:`configure_cache` points it at
``<cache.dir>/lm`` from the settings, which the ``ttc`` command does at start and a program may do
when it wants the configured directory. Our own caches sit beside DSPy's disk cache
(:func:`beside_dspy_cache`): the usage ledger (``<dir>-usage``) and verifier scores
(``<dir>-verifier``), so one directory holds all of it and DSPy's memory-only mode keeps them in
memory too.

The directory is the user's to choose, so the project marks what is its own: a marker file
(:data:`MARKER`, with the cache format) written when the cache is configured, and the entries it
creates there (:data:`ENTRIES`). :func:`cache_entries` lists only those (:func:`cache_usage` counts
them), and :func:`clear_cache` deletes only those, and only in a directory that carries the marker: a
mistaken ``cache.dir`` never costs a user's own files.

Example:
    >>> import dspy, tempfile
    >>> from pathlib import Path
    >>> from ttc_modules.config import load_settings
    >>> directory = tempfile.mkdtemp()
    >>> configure_cache(load_settings(overrides={"cache.dir": directory}))
    >>> beside_dspy_cache("verifier") == Path(directory) / "lm-verifier"
    True
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import dspy

from ttc_modules.lm.identity import CACHE_FORMAT

MARKER = ".dspy-ttc-cache"
"""The file that marks a directory as holding the project's caches."""
ENTRIES = ("lm", "lm-usage", "lm-verifier")
"""What the project writes in a cache directory: DSPy's LM cache, the usage ledger, verifier scores."""


class CacheDirError(ValueError):
    """A cache directory that is not the project's to clear."""


def configure_cache(settings) -> None:
    """Point DSPy's response cache at ``<settings.cache.dir>/lm`` (on disk when ``cache.enabled``), and
    mark the directory as holding the project's caches."""
    if settings.cache.enabled:
        mark_cache_dir(settings.cache.dir)
    dspy.configure_cache(enable_disk_cache=settings.cache.enabled, enable_memory_cache=True,
                         disk_cache_dir=os.path.join(settings.cache.dir, "lm"))


def mark_cache_dir(directory) -> None:
    """Create ``directory`` if needed and write :data:`MARKER` in it (with the cache format)."""
    marker = Path(directory).expanduser() / MARKER
    if not marker.exists():
        marker.parent.mkdir(parents=True, exist_ok=True)
        marker.write_text(json.dumps({"written_by": "dspy-ttc", "cache_format": CACHE_FORMAT,
                                      "entries": list(ENTRIES)}) + "\n")


def cache_entries(directory) -> list[Path]:
    """The project's entries in ``directory`` (nothing else there counts as cache)."""
    directory = Path(directory).expanduser()
    return [directory / name for name in ENTRIES if (directory / name).exists()]


def cache_usage(directory) -> dict:
    """What the project's entries in ``directory`` hold: ``files`` and ``bytes``, and whether the directory
    is ``foreign`` (there, without :data:`MARKER`: not a dspy-ttc cache directory).

    Example:
        >>> import tempfile
        >>> cache_usage(tempfile.mkdtemp())
        {'files': 0, 'bytes': 0, 'foreign': True}
    """
    directory = Path(directory).expanduser()
    files = [path for entry in cache_entries(directory) for path in ([entry] if entry.is_file() else entry.rglob("*"))
             if path.is_file()]
    return {"files": len(files), "bytes": sum(path.stat().st_size for path in files),
            "foreign": directory.exists() and not (directory / MARKER).exists()}


def clear_cache(directory) -> list[Path]:
    """Delete the project's entries in ``directory`` and its marker; the deleted entries. Refuses
    (:class:`CacheDirError`) a directory without the marker, whatever it holds."""
    directory = Path(directory).expanduser()
    if not (directory / MARKER).exists():
        raise CacheDirError(f"{directory} has no {MARKER} file, so it is not a dspy-ttc cache directory and "
                            "nothing was deleted; check cache.dir (or TTC_CACHE__DIR)")
    entries = cache_entries(directory)
    for entry in entries:
        if entry.is_dir():
            shutil.rmtree(entry)
        else:
            entry.unlink()
    (directory / MARKER).unlink()
    return entries


def beside_dspy_cache(name: str) -> Path | None:
    """``<DSPy's disk cache directory>-<name>``, or None when DSPy keeps no disk cache."""
    disk = getattr(dspy.cache, "disk_cache", None)
    directory = getattr(disk, "directory", None) if getattr(dspy.cache, "enable_disk_cache", False) else None
    return Path(f"{directory}-{name}") if directory else None
