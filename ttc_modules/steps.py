"""Solutions as steps: a solution is a text whose steps are separated by a delimiter (a blank line).

The final answer of a solution is read by :mod:`ttc_modules.answers`.

Example:
    >>> split_steps("a = 1\\n\\nb = 2\\n")
    ['a = 1', 'b = 2']
"""

from __future__ import annotations


def split_steps(solution: str, delimiter: str = "\n\n") -> list[str]:
    """Split a solution into its non-empty steps (blank lines separate steps by default)."""
    return [part.strip() for part in solution.split(delimiter) if part.strip()]
