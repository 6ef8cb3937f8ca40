"""Where the ``ttc`` commands write: results on ``out`` (stdout), progress and errors on ``err`` (stderr).

Every expected failure (bad config, unknown model, unreachable server, bad arguments) ends in one
line on stderr and exit code 2, never a traceback (``TTC_DEBUG=1`` shows it anyway):
:func:`friendly_errors` wraps each command so.

Example:
    >>> import typer
    >>> @friendly_errors
    ... def command():
    ...     raise ValueError("--n must be >= 1, got 0")
    >>> try:
    ...     command()
    ... except typer.Exit as stopped:
    ...     stopped.exit_code
    2
"""

from __future__ import annotations

import functools
import os

import typer
from rich.console import Console
from rich.markup import escape

out = Console()
err = Console(stderr=True)


def friendly_errors(command):
    """Turn expected failures into one line on stderr and exit code 2."""

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        from ttc_modules.config import ConfigError

        try:
            return command(*args, **kwargs)
        except (ConfigError, ValueError, FileNotFoundError) as exc:
            _fail(exc)
        except Exception as exc:
            from ttc_modules.budget import BudgetExceeded
            from ttc_modules.lm import BackendError

            if isinstance(exc, (BackendError, BudgetExceeded)):
                _fail(exc)
            raise

    return wrapper


def _fail(exc: BaseException) -> None:
    if os.environ.get("TTC_DEBUG"):
        raise exc  # TTC_DEBUG=1 shows the whole traceback
    err.print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False, soft_wrap=True)  # [ray] stays as written
    raise typer.Exit(code=2)
