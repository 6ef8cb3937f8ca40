"""Choosing test-time compute per prompt: difficulty estimation and the compute-optimal planner.

- :class:`Plan` (``plan.py``): a strategy choice, serialisable.
- :class:`VerifierDifficulty`, :class:`OracleDifficulty`, :class:`LMRatedDifficulty`,
  :func:`estimator_named` (``difficulty.py``).
- :func:`plans`, :func:`of_kinds`, :func:`cell_plans` (``search_space.py``): the plans
  compared at each budget.
- :class:`ComputeOptimalPlanner` (``compute_optimal.py``): fitted per (bin, budget) with cross-validation.
- :class:`AdaptiveTTC` (``adaptive.py``): the dspy.Module users put in their programs.
- :func:`compute_optimal_program` for the evaluation harness, :func:`policy_program` for ``ttc serve``,
  :func:`load_adaptive` for an ``AdaptiveTTC`` saved with DSPy's ``save`` (``policies.py``).
"""

from planners.adaptive import AdaptiveTTC
from planners.compute_optimal import ComputeOptimalPlanner
from planners.difficulty import LMRatedDifficulty, OracleDifficulty, VerifierDifficulty, estimator_named
from planners.plan import Plan
from planners.policies import compute_optimal_program, load_adaptive, policy_program
from planners.search_space import cell_plans, of_kinds, plans

__all__ = ["AdaptiveTTC", "ComputeOptimalPlanner", "LMRatedDifficulty", "OracleDifficulty", "Plan",
           "VerifierDifficulty", "cell_plans", "compute_optimal_program", "estimator_named",
           "load_adaptive", "of_kinds", "plans", "policy_program"]
