"""Difficulty bins: the data set's own level, or the oracle bin of the paper (§3.2).

The oracle bin cuts the questions into B quantile bins of their pass@1 (the fraction of correct
samples in the bank); bin 1 holds the easiest (highest pass@1). Ties stay together in one bin.

Example:
    >>> quantile_bins({"a": 1.0, "b": 0.5, "c": 0.25, "d": 0.0}, bins=2)
    {'a': 1, 'b': 1, 'c': 2, 'd': 2}
"""

from __future__ import annotations


def quantile_edges(values: list[float], bins: int) -> list[float]:
    """``bins - 1`` cut points of ``values`` (descending: bin 1 is above the first cut)."""
    ordered = sorted(values, reverse=True)
    return [ordered[min(len(ordered) - 1, (len(ordered) * b) // bins)] for b in range(1, bins)]


def bin_of(value: float, edges: list[float]) -> int:
    """The bin (1 = easiest) of a pass@1 ``value`` given descending ``edges``."""
    for index, edge in enumerate(edges, start=1):
        if value > edge:
            return index
    return len(edges) + 1


def quantile_bins(pass_at_1: dict[str, float], bins: int = 5) -> dict[str, int]:
    """Oracle difficulty bins from each question's pass@1."""
    if bins < 1:
        raise ValueError(f"bins must be >= 1, got {bins}")
    edges = quantile_edges(list(pass_at_1.values()), bins)
    return {key: bin_of(value, edges) for key, value in pass_at_1.items()}
