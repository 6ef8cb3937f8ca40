"""The options every strategy takes (:class:`StrategyConfig`), validated into one clear line.

Each strategy's own config subclasses :class:`StrategyConfig` with its ``kind`` (the registry name)
and its options; the shared ones (seed, step aggregation, temperature, depth, concurrency) also
set up the part of a :class:`~ttc_modules.strategies.run.Run` the strategy searches in. A config
owns its strategy's rules about cost: what its options cost (:meth:`StrategyConfig.generations`),
its options for a budget of N generations (:meth:`StrategyConfig.for_budget`) and the plans the
compute-optimal planner compares at that budget (:meth:`StrategyConfig.plans_for_budget`).

Example:
    >>> parse_config(StrategyConfig, {"kind": "mine", "seed": 3}).seed
    3
    >>> parse_config(StrategyConfig, {"kind": "mine", "beam": 3})
    Traceback (most recent call last):
    ValueError: mine has no option 'beam'; its options are: aggregation, concurrency, max_depth, seed, temperature
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ttc_modules.aggregation import StepAggregation

BOUNDS_SEARCH = {"bounds_search": True}
"""Marks an option that sizes a search without changing its cost in generations (rounds, depth, threads):
a served request may lower it, never raise it above the served value (``ttc serve``'s option checks)."""


class StrategyConfig(BaseModel):
    """Options every strategy takes."""

    model_config = ConfigDict(extra="forbid")

    kind: str
    seed: int = 0
    aggregation: StepAggregation = "last"
    temperature: float | None = Field(None, ge=0, le=2, allow_inf_nan=False)  # OpenAI's range
    max_depth: int = Field(40, ge=1, json_schema_extra=BOUNDS_SEARCH)
    concurrency: int = Field(8, ge=1, json_schema_extra=BOUNDS_SEARCH)

    def generations(self) -> int:
        """The cost in the paper's unit (sampled answers)."""
        raise NotImplementedError

    @classmethod
    def for_budget(cls, n: int, **given: Any) -> dict[str, Any]:
        """The options (without ``kind``) of a search spending a budget of ``n`` generations, ``given`` on top;
        the registry's ``options_for_budget(kind, n, ...)`` asks the kind's config.

        By default the budget is the option ``n`` where the config has one (replacing a given ``n``), and the
        rest are ``given``; a strategy that spends its budget otherwise overrides this.

        Example:
            >>> class SamplesConfig(StrategyConfig):
            ...     n: int = 4
            >>> SamplesConfig.for_budget(8, seed=1)
            {'seed': 1, 'n': 8}
        """
        options = dict(given)
        if "n" in cls.model_fields:
            options["n"] = n
        return options

    @classmethod
    def plans_for_budget(cls, n: int) -> list[dict[str, Any]]:
        """The options of each plan of this strategy the compute-optimal planner compares at a budget of ``n``
        generations (``planners/search_space.py``), each spending exactly ``n``; by default the one of
        :meth:`for_budget` for a config with an ``n`` (its budget), and none otherwise: an empty list keeps the
        strategy out of the search space (override this to size it for a budget).

        Example:
            >>> class SamplesConfig(StrategyConfig):
            ...     n: int = 4
            >>> SamplesConfig.plans_for_budget(8)
            [{'n': 8}]
        """
        return [cls.for_budget(n)] if "n" in cls.model_fields else []


def parse_config(config_class: type[StrategyConfig], options: dict) -> StrategyConfig:
    """Validate strategy options, turning pydantic's report into one line naming the value and the fix."""
    kind = options.get("kind") or config_class.model_fields["kind"].default
    try:
        return config_class(**options)
    except ValidationError as exc:
        error = exc.errors()[0]
        where = ".".join(map(str, error["loc"])) or config_class.__name__
        fields = ", ".join(sorted(f for f in config_class.model_fields if f != "kind"))
        if error["type"] == "extra_forbidden":
            raise ValueError(f"{kind} has no option '{where}'; its options are: {fields}") from None
        message = str(error["msg"]).removeprefix("Value error, ")
        if not error["loc"]:  # a rule across options: its message names them
            raise ValueError(f"{kind}: {message}") from None
        raise ValueError(f"{kind} option {where}: {message}, got {error.get('input')!r}") from None
