"""Choosing test-time compute per prompt: difficulty estimation and the compute-optimal planner.

- :class:`Plan` (``plan.py``): a strategy choice, serialisable.
- :class:`VerifierDifficulty`, :class:`OracleDifficulty`, :class:`LMRatedDifficulty` (``difficulty.py``).
- :func:`candidates` (``search_space.py``): the strategies compared at each budget.
- :class:`ComputeOptimalPlanner` (``compute_optimal.py``): fitted per (bin, budget) with cross-validation.
- :class:`AdaptiveTTC` (``adaptive.py``): the dspy.Module users put in their programs.
"""

from planners.adaptive import AdaptiveTTC
from planners.compute_optimal import ComputeOptimalPlanner
from planners.difficulty import LMRatedDifficulty, OracleDifficulty, VerifierDifficulty
from planners.plan import Plan
from planners.search_space import candidates

__all__ = ["AdaptiveTTC", "ComputeOptimalPlanner", "LMRatedDifficulty", "OracleDifficulty", "Plan",
           "VerifierDifficulty", "candidates"]
