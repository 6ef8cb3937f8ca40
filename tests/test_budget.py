import contextlib
import threading

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ttc_modules.budget import Budget, BudgetExceeded, BudgetMeter, current_meter


def test_reserve_refuses_before_crossing_a_limit():
    meter = BudgetMeter(Budget(generations=4))
    meter.reserve(generations=3)
    with pytest.raises(BudgetExceeded, match="generations"):
        meter.reserve(generations=2)
    assert meter.spent()["generations"] == 3
    assert meter.spent()["exhausted"] == "generations"


def test_reserve_is_all_or_nothing():
    meter = BudgetMeter(Budget(generations=10, verifier_calls=1))
    with pytest.raises(BudgetExceeded):
        meter.reserve(generations=2, verifier_calls=2)
    assert meter.spent()["generations"] == 0


def test_token_reservation_settles_to_real_usage():
    meter = BudgetMeter(Budget(tokens=100), params=1e6)
    meter.reserve(tokens=80)
    assert meter.remaining("tokens") == 20
    meter.record_call(prompt_tokens=10, completion_tokens=5, reserved_tokens=80)
    assert meter.remaining("tokens") == 85
    spent = meter.spent()
    assert spent["tokens"] == 15 and spent["lm_calls"] == 1
    assert spent["flops"] == pytest.approx(2 * 1e6 * 15)


def test_cache_hits_count_as_work():
    meter = BudgetMeter()
    meter.record_call(prompt_tokens=3, completion_tokens=4, cache_hit=True)
    assert meter.spent()["cache_hits"] == 1 and meter.spent()["tokens"] == 7


@pytest.mark.parametrize("field", ["generations", "tokens", "verifier_calls"])
def test_negative_budget_is_a_one_line_error(field):
    with pytest.raises(ValueError) as info:
        Budget(**{field: -1})
    message = str(info.value)
    assert "\n" not in message and field in message and "-1" in message


def test_unknown_budget_field_is_refused():
    with pytest.raises(ValueError, match="gens"):
        Budget(gens=3)


def test_active_meter_is_visible_in_context():
    meter = BudgetMeter()
    assert current_meter() is None
    with meter.active():
        assert current_meter() is meter
    assert current_meter() is None


def test_a_nested_meter_is_bound_by_its_parent_and_counted_in_it():
    outer = BudgetMeter(Budget(generations=5, verifier_calls=1))
    inner = BudgetMeter(Budget(generations=4), parent=outer)
    inner.reserve(generations=3)
    assert inner.remaining("generations") == 1 and outer.remaining("generations") == 2
    sibling = BudgetMeter(parent=outer)  # no limit of its own: the outer one applies
    with pytest.raises(BudgetExceeded, match="generations"):
        sibling.reserve(generations=3)
    with pytest.raises(BudgetExceeded, match="verifier_calls"):
        inner.reserve(generations=1, verifier_calls=2)  # all or nothing, across the chain
    assert inner.spent()["generations"] == 3 and outer.spent()["generations"] == 3
    assert sibling.spent()["exhausted"] == "generations" and outer.spent()["exhausted"] == "verifier_calls"
    inner.record_call(prompt_tokens=10, completion_tokens=5, cache_hit=True)
    assert outer.spent()["tokens"] == 15 and outer.spent()["cache_hits"] == 1


@settings(max_examples=60, deadline=None)
@given(limit=st.integers(0, 50), asks=st.lists(st.integers(0, 12), max_size=30))
def test_concurrent_reservations_never_exceed_the_limit(limit, asks):
    meter = BudgetMeter(Budget(generations=limit, tokens=limit * 10))

    def spend(amount):
        with contextlib.suppress(BudgetExceeded):
            meter.reserve(generations=amount, tokens=amount * 10)

    threads = [threading.Thread(target=spend, args=(a,)) for a in asks]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert meter.spent()["generations"] <= limit
    assert meter.remaining("tokens") >= 0
