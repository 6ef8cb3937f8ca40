"""Ledgers: a mean budget over every prefix of the calls, and over a sliding window of requests."""

import random
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from ttc_modules.ledgers import BudgetLedger, WindowLedger


def test_the_ledger_holds_the_mean_over_every_prefix_also_from_many_threads():
    ledger, lock, spends = BudgetLedger(mean=6), threading.Lock(), []

    def question(i):
        grant = ledger.open(wanted=16 if i % 3 == 0 else None)
        spent = grant.granted if i % 3 == 0 else min(grant.granted, 2)
        ledger.close(grant, spent)
        with lock:
            spends.append(spent)

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(question, range(60)))
    assert ledger.questions == 60 and ledger.spent == sum(spends) <= 6 * 60
    assert ledger.mean_spent() <= 6 and max(spends) > 6  # savings were spent on the questions that wanted more


def test_a_grant_is_never_below_one_generation():
    ledger = BudgetLedger(mean=1)
    for _ in range(5):
        grant = ledger.open()
        assert grant.granted == 1
        ledger.close(grant, 1)


@pytest.mark.parametrize("seed", range(5))
def test_a_window_ledger_holds_every_window_and_grants_at_least_the_smallest(seed):
    rng = random.Random(seed)
    window, mean, smallest = rng.choice([1, 3, 8, 20]), rng.choice([4, 6, 10]), 4
    ledger, opened, lock = WindowLedger(mean, window, smallest), [], threading.Lock()

    def request(i):
        with lock:  # opened in the order recorded; closed in any order, some while others are open
            grant = ledger.open(wanted=rng.choice([4, 8, 16, 32, None]))
            opened.append((grant.slot, grant.granted))
        ledger.close(grant, rng.randint(0, grant.granted) if i % 2 else grant.granted)

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(request, range(120)))
    assert all(granted >= smallest for _, granted in opened)
    spends = [slot[0] for slot, _ in opened]  # in the order the requests opened
    assert all(sum(spends[i:i + window]) <= mean * window for i in range(len(spends)))
    assert ledger.questions == 120 and ledger.spent == sum(spends)


def test_a_window_of_one_is_the_mean_per_request():
    ledger = WindowLedger(mean=6, window=1, smallest=2)
    assert [ledger.open(wanted=16).granted for _ in range(3)] == [6, 6, 6]


def test_bad_windows_and_means_are_one_line():
    with pytest.raises(ValueError, match="mean_budget_window must be at least 1 request, got 0"):
        WindowLedger(8, 0)
    with pytest.raises(ValueError, match="mean_budget 2 is below the smallest budget the policy is fitted for"):
        WindowLedger(2, 10, smallest=4)
