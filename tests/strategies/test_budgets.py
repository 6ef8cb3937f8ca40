"""Property: no strategy ever spends more generations, tokens or verifier calls than its Budget."""

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ttc_modules import STRATEGIES, Budget, BudgetMeter
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
    width = draw(WIDTHS)
    options = {"n": width * draw(st.integers(1, 4)), "beam_width": width, "max_rounds": draw(st.integers(1, 5))}
    if kind == "lookahead":
        options["k"] = draw(st.integers(0, 2))
    return kind, options


budgets = st.builds(Budget, generations=st.none() | st.integers(0, 20), tokens=st.none() | st.integers(0, 600),
                    verifier_calls=st.none() | st.integers(0, 30))


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(config=strategy_configs(), budget=budgets, length=st.integers(1, 4), seed=st.integers(0, 3))
def test_spending_never_exceeds_the_budget(config, budget, length, seed):
    kind, options = config
    lm = scripted_lm(StepScript(length=length), max_tokens=16)
    strategy = STRATEGIES[kind](verifier=v_score, lm=lm, budget=budget, seed=seed, **options)
    spent = strategy(question="What is the number?").spent
    for limit, used in (("generations", spent["generations"]), ("tokens", spent["tokens"]),
                        ("verifier_calls", spent["verifier_calls"])):
        cap = getattr(budget, limit)
        assert cap is None or used <= cap, (limit, used, cap, kind, options)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(config=strategy_configs(), budget=budgets, calls=st.integers(1, 3))
def test_strategies_inside_an_outer_meter_never_exceed_it_together(config, budget, calls):
    kind, options = config
    lm = scripted_lm(StepScript(length=2), max_tokens=16)
    strategy = STRATEGIES[kind](verifier=v_score, lm=lm, **options)  # no budget of its own
    outer = BudgetMeter(budget)
    with outer.active():
        spents = [strategy(question=f"What is the number {i}?").spent for i in range(calls)]
    total = outer.spent()
    for limit in ("generations", "tokens", "verifier_calls"):
        cap = getattr(budget, limit)
        assert cap is None or total[limit] <= cap, (limit, total[limit], cap, kind, options)
        assert total[limit] == sum(spent[limit] for spent in spents)  # every call counted, none twice
