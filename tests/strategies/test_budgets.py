"""Property: no strategy ever spends more generations, tokens, FLOPs or verifier calls than its Budget,
and what it counts is what the backend received."""

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ttc_modules import STRATEGIES, Budget, BudgetExceeded, BudgetMeter
from ttc_modules.testing import StepScript, scripted_lm, v_score

WIDTHS = st.sampled_from([1, 2, 4])


@st.composite
def strategy_configs(draw):
    kind = draw(st.sampled_from(sorted(STRATEGIES)))
    if kind == "best_of_n":
        return kind, {"n": draw(st.integers(1, 12)), "selection": draw(st.sampled_from(["naive", "majority", "weighted"]))}
    if kind == "revisions":
        return kind, {"n_parallel": draw(st.integers(1, 4)), "n_sequential": draw(st.integers(1, 4)),
                      "selection": draw(st.sampled_from(["weighted", "majority"]))}
    if kind == "particle_filtering":
        return kind, {"n": draw(st.integers(1, 12)), "max_rounds": draw(st.integers(1, 5)),
                      "selection": draw(st.sampled_from(["naive", "weighted"]))}
    width = draw(WIDTHS)
    options = {"n": width * draw(st.integers(1, 4)), "beam_width": width, "max_rounds": draw(st.integers(1, 5))}
    if kind == "lookahead":
        options["k"] = draw(st.integers(0, 2))
    return kind, options


budgets = st.builds(Budget, generations=st.none() | st.integers(0, 20), tokens=st.none() | st.integers(0, 600),
                    flops=st.none() | st.floats(0, 1.5e9), verifier_calls=st.none() | st.integers(0, 30))
LIMITS = ("generations", "tokens", "flops", "verifier_calls")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(config=strategy_configs(), budget=budgets, length=st.integers(1, 4), seed=st.integers(0, 3))
def test_spending_never_exceeds_the_budget_and_counts_what_the_backend_got(config, budget, length, seed):
    """Generation, token and FLOPs limits mixed, on a backend that counts what reaches it (no cache)."""
    kind, options = config
    lm = scripted_lm(StepScript(length=length), max_tokens=16, params=1e6, cache=False)
    backend = lm.provider_fake
    strategy = STRATEGIES[kind](verifier=v_score, lm=lm, budget=budget, seed=seed, **options)
    try:
        spent = strategy(question="What is the number?").spent
    except BudgetExceeded as refused:  # a token or FLOPs limit too small for the first request: refused at once
        assert refused.limit in ("tokens", "flops") and backend.calls == 0
        return
    for limit in LIMITS:
        cap = getattr(budget, limit)
        assert cap is None or spent[limit] <= cap, (limit, spent[limit], cap, kind, options)
    assert spent["lm_calls"] == backend.calls and spent["tokens"] == backend.tokens
    assert spent["flops"] == 2 * 1e6 * backend.tokens
    if kind in ("best_of_n", "revisions"):  # one generation is one sample asked for
        assert spent["generations"] == backend.samples, (spent, backend.samples)
    else:  # step-level search reserves N for its rounds; nothing when nothing was asked
        assert (spent["generations"] == 0) == (backend.calls == 0)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(config=strategy_configs(), budget=budgets, calls=st.integers(1, 3))
def test_strategies_inside_an_outer_meter_never_exceed_it_together(config, budget, calls):
    kind, options = config
    lm = scripted_lm(StepScript(length=2), max_tokens=16, params=1e6)
    strategy = STRATEGIES[kind](verifier=v_score, lm=lm, **options)  # no budget of its own
    outer = BudgetMeter(budget)
    spents = []
    with outer.active():
        for i in range(calls):
            try:
                spents.append(strategy(question=f"What is the number {i}?").spent)
            except BudgetExceeded as refused:  # what is left cannot hold one request: refused, nothing spent
                assert refused.limit in ("tokens", "flops")
                break
    total = outer.spent()
    for limit in LIMITS:
        cap = getattr(budget, limit)
        assert cap is None or total[limit] <= cap, (limit, total[limit], cap, kind, options)
        assert total[limit] == sum(spent[limit] for spent in spents)  # every call counted, none twice
