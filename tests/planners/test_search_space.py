"""The planner's search space: plans sized for the generations the probes leave."""

from planners import ComputeOptimalPlanner, VerifierDifficulty


def test_plans_other_than_best_of_n_are_sized_for_what_the_probes_leave():
    from ttc_modules.strategies import STRATEGIES

    planner = ComputeOptimalPlanner(budgets=[2, 8], estimator=VerifierDifficulty(probes=2))
    assert {plan.kind for plan in planner.cell_plans(2)} == {"best_of_n"}  # the probes take all of it
    eight = planner.cell_plans(8)
    assert [plan.options["n"] for plan in eight if plan.kind == "best_of_n"] == [8, 8]  # the probes are reused
    others = [plan for plan in eight if plan.kind != "best_of_n"]
    assert {plan.kind for plan in others} >= {"beam_search", "revisions"} and {p.budget for p in others} == {8}
    assert {STRATEGIES[p.kind].Config(**p.options).generations() for p in others} == {6}
