"""``ttc cache info`` and ``ttc cache clear``: the on-disk cache of LM calls."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ttc_modules.cli.options import ConfigOption
from ttc_modules.cli.output import friendly_errors, out
from ttc_modules.cli.settings import settings


@friendly_errors
def cache_info(config: ConfigOption = None):
    """Show where the cache is and how much it holds (the project's cache entries only)."""
    from ttc_modules.lm.cache import cache_usage

    loaded = settings(config)
    directory = Path(loaded.cache.dir).expanduser()
    usage = cache_usage(directory)
    owned = " (not a dspy-ttc cache directory)" if usage["foreign"] else ""
    out.print(f"cache directory: {directory}{owned}\nenabled: {loaded.cache.enabled}\n"
              f"files: {usage['files']}\nsize: {usage['bytes'] / 1e6:.1f} MB")


@friendly_errors
def cache_clear(config: ConfigOption = None,
                yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False):
    """Delete every cached LM call, usage record and verifier score (nothing else in the directory)."""
    from ttc_modules.lm.cache import ENTRIES, clear_cache

    directory = Path(settings(config).cache.dir).expanduser()
    if not directory.exists():
        out.print(f"nothing to clear: {directory} does not exist")
        return
    if not yes and not typer.confirm(f"Delete the dspy-ttc caches ({', '.join(ENTRIES)}) under {directory}?"):
        raise typer.Exit(code=1)
    cleared = clear_cache(directory)
    out.print(f"cleared {', '.join(p.name for p in cleared) or 'nothing (empty)'} in {directory}")
