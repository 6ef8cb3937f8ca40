"""A plan: which strategy, with which options, for a prompt of a given difficulty bin and budget.

Plain pydantic, so a plan serialises to JSON and can be tested without an LM.

Example:
    >>> plan = Plan(kind="beam_search", options={"n": 16, "beam_width": 4}, bin=2, budget=16)
    >>> Plan.model_validate_json(plan.model_dump_json()) == plan
    True
    >>> plan.label
    'beam_search(beam_width=4,n=16)'
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from ttc_modules.strategies.base import Strategy
from ttc_modules.strategies.registry import build_strategy


class Plan(BaseModel):
    """A strategy choice.

    Attributes:
        kind: the strategy's registry name (``best_of_n``, ``beam_search``, ...).
        options: the strategy's options (its config without ``kind``).
        bin: the difficulty bin the plan is for (1 = easiest).
        budget: the generation budget of the cell, difficulty probes included (a plan other than
            best-of-N is sized for what the probes leave).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: str
    options: dict[str, Any] = Field(default_factory=dict)
    bin: int | None = None
    budget: int | None = None

    @property
    def label(self) -> str:
        """A short, stable name: the kind and its options."""
        inside = ",".join(f"{k}={v}" for k, v in sorted(self.options.items()) if k != "seed")
        return f"{self.kind}({inside})"

    def build(self, **runtime: Any) -> Strategy:
        """The strategy module this plan describes (``runtime``: verifier, lm, budget, generator, seed...)."""
        return build_strategy({"kind": self.kind, **self.options}, **runtime)
