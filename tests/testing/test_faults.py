"""``Faults``: the failures a loopback server injects, as data."""

from collections import Counter

from ttc_modules.testing.faults import DROP, HANG, Fault, Faults


def test_queued_codes_come_first_in_order_then_none():
    faults = Faults(queued=[429, DROP])
    faults.queue(HANG, 500)
    planned = [faults.next() for _ in range(5)]
    assert planned == [Fault(429), Fault(DROP), Fault(HANG), Fault(500), None]
    assert planned[1].drops and planned[2].hangs and not planned[0].drops and not planned[0].hangs


def test_drawn_faults_follow_their_rates_and_replay_with_the_seed():
    def drawn(seed: int) -> list:
        faults = Faults(rates={429: 0.2, 500: 0.1}, seed=seed)
        return [faults.next() for _ in range(4000)]

    assert drawn(3) == drawn(3) != drawn(4)
    counts = Counter(fault.code if fault else None for fault in drawn(3))
    assert abs(counts[429] / 4000 - 0.2) < 0.03 and abs(counts[500] / 4000 - 0.1) < 0.03


def test_the_constructor_s_lists_are_its_own():
    codes, rates = [429], {500: 0.5}
    faults = Faults(queued=codes, rates=rates)
    faults.queue(503)
    faults.rates[429] = 0.1
    assert codes == [429] and rates == {500: 0.5}
