"""The planner tests' fitted planner (on :mod:`tests.planners.scenario`)."""

import pytest

from planners import ComputeOptimalPlanner, VerifierDifficulty
from planners.search_space import plans
from tests.planners.scenario import examples, model, verifier
from ttc_modules.testing import scripted_lm


@pytest.fixture(scope="module")
def fitted(tmp_path_factory):
    planner = ComputeOptimalPlanner(budgets=[4], estimator=VerifierDifficulty(probes=4), bins=2,
                                    search_space=lambda budget: plans(budget)[:2],
                                    work_dir=tmp_path_factory.mktemp("fit"))
    return planner.fit(examples(), verifier=verifier, lm=scripted_lm(model))
