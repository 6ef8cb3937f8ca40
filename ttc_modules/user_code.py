"""Objects from the user's own code, named ``module:attribute`` on the command line.

``--program mytask:QA`` imports ``mytask`` (from the working directory first, as ``python -m`` would)
and takes its ``QA``; ``path/to/file.py:QA`` loads that file. A dotted attribute reaches inside
(``mytask:Pipeline.reward``). Whatever fails is one line naming the value and the fix.

Example:
    >>> load_attribute("ttc_modules.tasks.coin_flip:CoinFlip").__name__
    'CoinFlip'
    >>> load_attribute("ttc_modules.tasks.coin_flip")
    Traceback (most recent call last):
    ValueError: 'ttc_modules.tasks.coin_flip' names no attribute; write module:attribute, e.g. mytask:QA
"""

from __future__ import annotations

import functools
import importlib
import importlib.util
import sys
import traceback
from pathlib import Path


def load_program(spec: str):
    """A program named on the command line: a signature written out (``"question -> answer"``), kept as the
    string, or ``module:attribute`` (:func:`load_attribute`).

    Example:
        >>> load_program("question -> answer"), load_program("ttc_modules.tasks.coin_flip:CoinFlip").__name__
        ('question -> answer', 'CoinFlip')
    """
    return spec if "->" in spec else load_attribute(spec)


def load_attribute(spec: str):
    """The object ``spec`` (``module:attribute`` or ``file.py:attribute``) names."""
    where, _, name = spec.partition(":")
    if not where or not name:
        raise ValueError(f"{spec!r} names no attribute; write module:attribute, e.g. mytask:QA")
    found = _module(where)
    for part in name.split("."):
        if not hasattr(found, part):
            raise ValueError(f"{where} has no {name!r}; check the name after the colon in {spec!r}")
        found = getattr(found, part)
    return found


def _module(where: str):
    if where.endswith(".py"):
        return _file_module(str(Path(where).resolve()))
    if str(Path.cwd()) not in sys.path:
        sys.path.insert(0, str(Path.cwd()))  # the user's modules beside them, as python -m finds them
    try:
        return importlib.import_module(where)
    except ModuleNotFoundError as error:
        if error.name and not where.startswith(error.name):  # found, but something it imports is missing
            raise ValueError(_failed_import(where, error)) from None
        raise ValueError(f"cannot import {where!r} ({error}); run from the directory holding it, or name a "
                         "file: path/to/file.py:attribute") from None
    except Exception as error:  # noqa: BLE001 - the user's module raised while it was imported: one line
        raise ValueError(_failed_import(where, error)) from None


@functools.cache
def _file_module(path: str):
    if not Path(path).is_file():
        raise ValueError(f"no such file: {path}; name an existing .py file, e.g. mytask.py:QA")
    spec = importlib.util.spec_from_file_location(Path(path).stem, path)
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
    except Exception as error:  # noqa: BLE001 - as for a module: one line, not the import's traceback
        raise ValueError(_failed_import(path, error)) from None
    return module


def _failed_import(where: str, error: Exception) -> str:
    """One line: which of the user's modules failed to import, why, and where in it.

    Example:
        >>> _failed_import("mine.py", ModuleNotFoundError("No module named 'numpyy'", name="numpyy"))
        "importing 'mine.py' failed: ModuleNotFoundError: No module named 'numpyy'; fix it (or install what it imports) and rerun"
    """
    line = getattr(error, "lineno", None) or _line_in(error, where)
    at = f" (line {line})" if line else ""
    return f"importing {where!r} failed{at}: {type(error).__name__}: {error}; fix it (or install what it imports) and rerun"


def _line_in(error: Exception, where: str) -> int | None:
    """The line of the user's file (or module) the error was raised from, if it is in the traceback."""
    frames = traceback.extract_tb(error.__traceback__)
    name = where.replace(".", "/") if not where.endswith(".py") else where
    return next((frame.lineno for frame in reversed(frames) if name in frame.filename), None)
