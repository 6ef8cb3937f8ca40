"""Names a package exports but imports on first use, so that importing the package stays light.

Example:
    >>> namespace = {}
    >>> getter = lazy_exports("json", {"dumps": ""}, namespace)
    >>> getter("dumps")([1])
    '[1]'
    >>> "dumps" in namespace   # kept: the next lookup does not come here
    True
"""

from __future__ import annotations

from collections.abc import Callable
from importlib import import_module


def lazy_exports(package: str, exports: dict[str, str], namespace: dict) -> Callable[[str], object]:
    """A module ``__getattr__`` for ``package``: ``exports`` maps each name to the submodule defining it ("" for the
    package itself); a name imported is stored in ``namespace`` (the package's ``globals()``)."""
    def __getattr__(name: str):
        if name not in exports:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        module = ".".join(part for part in (package, exports[name]) if part)
        value = getattr(import_module(module), name)
        namespace[name] = value
        return value

    return __getattr__
