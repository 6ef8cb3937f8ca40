"""The settings a ``ttc`` command runs with, and the command-line values it reads as lists.

Example:
    >>> int_list("1,2,4", "--budgets"), names_list(" majority, pass ,"), float_list("0.16,22", "--ratios")
    ([1, 2, 4], ['majority', 'pass'], [0.16, 22.0])
"""

from __future__ import annotations

from pathlib import Path


def settings(config: Path | None, **overrides):
    """The settings from ``config`` (None: ``$TTC_CONFIG`` or the defaults), with the command line's ``overrides``
    (``{"backend.max_tokens": 64}``; None ones ignored)."""
    from ttc_modules.config import load_settings

    return load_settings(config, overrides=overrides)


def settings_with_cache(config: Path | None, **overrides):
    """The settings, with DSPy's LM cache pointed at their ``cache.dir`` and the user's strategies of their
    ``strategies`` registered (for the commands that call models)."""
    from ttc_modules.lm import configure_cache
    from ttc_modules.strategies.registry import register_strategies

    loaded = settings(config, **overrides)
    configure_cache(loaded)
    register_strategies(loaded.strategies)
    return loaded


def names_list(text: str) -> list[str]:
    """The comma-separated names in ``text`` (``--strategies``, ``--kinds``), blanks left out."""
    return [name.strip() for name in text.split(",") if name.strip()]


def int_list(text: str, flag: str) -> list[int]:
    """The comma-separated positive integers in ``text``, or one line naming ``flag`` and the fix."""
    try:
        values = [int(x) for x in text.split(",") if x.strip()]
    except ValueError:
        raise ValueError(f"{flag} takes comma-separated integers such as 1,2,4,8, got {text!r}") from None
    if not values or min(values) < 1:
        raise ValueError(f"{flag} takes positive integers such as 1,2,4,8, got {text!r}")
    return values


def float_list(text: str, flag: str) -> list[float]:
    """The comma-separated numbers in ``text``, or one line naming ``flag`` and the fix."""
    try:
        return [float(x) for x in text.split(",") if x.strip()]
    except ValueError:
        raise ValueError(f"{flag} takes comma-separated numbers such as 0.16,0.79,22, got {text!r}") from None
