"""Where things are cached: DSPy's response cache, and our own caches beside it.

LM calls are cached by DSPy (``dspy.cache``), wherever the program pointed it with
``dspy.configure_cache``; building an LM never moves it. :func:`configure_cache` points it at
``<cache.dir>/lm`` from the settings, which the ``ttc`` command does at start and a program may do
when it wants the configured directory. Our own caches sit beside DSPy's disk cache
(:func:`beside_dspy_cache`): the usage ledger (``<dir>-usage``) and verifier scores
(``<dir>-verifier``), so one directory holds all of it and DSPy's memory-only mode keeps them in
memory too.

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

import os
from pathlib import Path

import dspy


def configure_cache(settings) -> None:
    """Point DSPy's response cache at ``<settings.cache.dir>/lm`` (on disk when ``cache.enabled``)."""
    dspy.configure_cache(enable_disk_cache=settings.cache.enabled, enable_memory_cache=True,
                         disk_cache_dir=os.path.join(settings.cache.dir, "lm"))


def beside_dspy_cache(name: str) -> Path | None:
    """``<DSPy's disk cache directory>-<name>``, or None when DSPy keeps no disk cache."""
    disk = getattr(dspy.cache, "disk_cache", None)
    directory = getattr(disk, "directory", None) if getattr(dspy.cache, "enable_disk_cache", False) else None
    return Path(f"{directory}-{name}") if directory else None
