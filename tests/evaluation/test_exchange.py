"""The exchange rate between test-time and pretraining compute."""

import pytest

from ttc_modules.evaluation.exchange import inference_multiplier


def test_exchange_matches_the_papers_formula():
    assert inference_multiplier(14, 0.16) == pytest.approx(14 + 3 * (1 / 0.16) * 13)
    assert inference_multiplier(1, 5) == 1
    with pytest.raises(ValueError, match="ratio"):
        inference_multiplier(14, 0)
