"""Choosing test-time compute per prompt: difficulty estimation and the compute-optimal planner.

The planner arrives with its own issue; this package exists so the distribution's layout is final.
"""

__all__: list[str] = []
