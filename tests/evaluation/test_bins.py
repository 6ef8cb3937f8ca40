"""Difficulty bins by quantile."""

from ttc_modules.evaluation.bins import quantile_bins


def test_quantile_bins_put_the_easiest_in_bin_one():
    bins = quantile_bins({f"q{i}": i / 9 for i in range(10)}, bins=5)
    assert bins["q9"] == 1 and bins["q0"] == 5 and sorted(set(bins.values())) == [1, 2, 3, 4, 5]
