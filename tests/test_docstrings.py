"""The examples in the docstrings run, so the docs cannot drift from the code."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import planners
import ttc_modules


def _modules() -> list[str]:
    names = []
    for package in (ttc_modules, planners):
        names.append(package.__name__)
        names += [info.name for info in pkgutil.walk_packages(package.__path__, prefix=f"{package.__name__}.")]
    return sorted(names)


@pytest.mark.parametrize("name", _modules())
def test_docstring_examples_run(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE, verbose=False)
    assert result.failed == 0, f"{result.failed} docstring example(s) failed in {name}"
