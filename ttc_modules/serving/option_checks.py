"""A served request's strategy options, checked before anything runs: by type and range, and against its budget.

Three rules, each a 400 naming the option, the value sent and what it may be:

- every option is one the strategy's config takes, of its type and range (the config's own fields);
- the options together cost no more generations than the request's budget (``Config.generations()``:
  ``n_parallel`` x ``n_sequential`` for revisions, N x (k + 1) for lookahead, ...), so no option can
  size work, or memory, beyond what the budget pays for;
- an option that sizes a search without changing its cost (rounds, depth, threads; marked
  ``BOUNDS_SEARCH`` on the config) may be lowered by a request, never raised above the served value.

The options given are checked alone first (so a value of the wrong type never reaches the arithmetic
of :func:`~ttc_modules.strategies.registry.options_for_budget`), then with the budget's defaults.

Example:
    >>> checked_options("beam_search", {"beam_width": 2}, budget=8, served={})
    {'kind': 'beam_search', 'beam_width': 2, 'n': 8}
    >>> checked_options("revisions", {"n_parallel": 10_000_000}, budget=8, served={})
    Traceback (most recent call last):
    ttc_modules.serving.protocol.ServerError: ttc.n_parallel=10000000 makes revisions cost 10,000,000 generations, more than the request's budget of 8 (ttc.budget); at this budget ttc.n_parallel takes an integer from 1 to 8
    >>> checked_options("revisions", {"n_parallel": "x"}, budget=8, served={})
    Traceback (most recent call last):
    ttc_modules.serving.protocol.ServerError: ttc.n_parallel='x' is not valid (Input should be a valid integer); ttc.n_parallel takes an integer of at least 1
    >>> checked_options("beam_search", {"max_rounds": 400}, budget=8, served={})
    Traceback (most recent call last):
    ttc_modules.serving.protocol.ServerError: ttc.max_rounds=400 is above this server's 40 for beam_search; ttc.max_rounds takes an integer from 1 to 40
"""

from __future__ import annotations

import functools
from typing import Any

import pydantic
from pydantic import ValidationError

from ttc_modules.serving.protocol import RESERVED_OPTIONS, ServerError
from ttc_modules.serving.ranges import clipped, invalid_option, valid_values
from ttc_modules.strategies.config import StrategyConfig
from ttc_modules.strategies.registry import STRATEGIES, options_for_budget


def checked_options(kind: str, given: dict[str, Any], budget: int, served: dict[str, Any]) -> dict:
    """The options of ``kind`` at ``budget`` with ``given`` on top, when the three rules hold; else the 400
    of the first that fails. ``served`` holds the served model's own option values (the ceilings of the
    search-sizing ones); ``given`` are the request's and the served model's options."""
    config_class = STRATEGIES[kind].Config
    _known(kind, given, config_class)
    _typed(config_class, tuple(sorted(given)))(given)
    options = options_for_budget(kind, budget, **given)
    try:
        config = config_class(**options)
    except ValidationError as error:
        raise invalid_option(error, config_class, prefix="ttc.") from None
    _within_budget(config, budget, tuple(given))
    _within_served(config, served)
    return options


@functools.lru_cache(maxsize=256)
def _typed(config_class: type[StrategyConfig], names: tuple[str, ...]):
    """A check of the options ``names`` alone, by their fields' types and ranges (no cross-field rules)."""
    fields = {name: (config_class.model_fields[name].annotation, config_class.model_fields[name]) for name in names}
    alone = pydantic.create_model(f"{config_class.__name__}Given", **fields)

    def check(given: dict) -> None:
        try:
            alone.model_validate(given, strict=True)
        except ValidationError as error:
            raise invalid_option(error, alone, prefix="ttc.") from None

    return check


def _known(kind: str, given: dict, config_class: type[StrategyConfig]) -> None:
    for name in given:
        if name not in config_class.model_fields:
            takes = ", ".join(sorted(set(config_class.model_fields) - set(RESERVED_OPTIONS)))
            raise ServerError(400, f"ttc.{clipped(name)} is not an option of {kind}; its options are: {takes}",
                              param=f"ttc.{clipped(name)}")


def _within_budget(config: StrategyConfig, budget: int, asked: tuple[str, ...]) -> None:
    cost = config.generations()
    if cost <= budget:
        return
    named = [name for name in asked if name in type(config).model_fields] or ["budget"]
    given = ", ".join(f"ttc.{name}={getattr(config, name, budget)!r}" for name in named)
    if named == ["budget"]:
        raise ServerError(400, f"a budget of {budget} generations is too small for {config.kind}: its smallest "
                               f"search costs {cost:,}; ask for a larger ttc.budget or another strategy",
                          param="ttc.budget")
    fitting = next(((name, values) for name in named if (values := _values_that_fit(config, name, budget))), None)
    hint = (f"; at this budget ttc.{fitting[0]} takes an integer from {fitting[1][0]} to {fitting[1][-1]}"
            if fitting else "; ask for options that fit it")
    raise ServerError(400, f"{given} makes {config.kind} cost {cost:,} generations, more than the request's budget "
                           f"of {budget} (ttc.budget){hint}", param=f"ttc.{(fitting or named)[0]}")


def _values_that_fit(config: StrategyConfig, name: str, budget: int) -> list[int]:
    """The values of the integer option ``name`` (0 to ``budget``, the others as they are) whose cost fits."""
    if not isinstance(getattr(config, name), int) or isinstance(getattr(config, name), bool):
        return []
    return [value for value in range(budget + 1)
            if _valid(config, name, value) and config.model_copy(update={name: value}).generations() <= budget]


def _valid(config: StrategyConfig, name: str, value: int) -> bool:
    try:
        type(config)(**{**config.model_dump(), name: value})
    except ValidationError:
        return False
    return True


def _within_served(config: StrategyConfig, served: dict[str, Any]) -> None:
    for name, field in type(config).model_fields.items():
        if not (field.json_schema_extra or {}).get("bounds_search"):
            continue
        ceiling = served.get(name, field.default)
        value = getattr(config, name)
        if value > ceiling:
            raise ServerError(400, f"ttc.{name}={value!r} is above this server's {ceiling} for {config.kind}; "
                                   f"ttc.{name} takes {valid_values(field, upper=ceiling)}", param=f"ttc.{name}")
