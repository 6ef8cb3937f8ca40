"""The strategy registry: kind name -> class, and strategies built from config dicts.

The same name is used everywhere: ``beam_search`` is the file, the config ``kind``, the registry
key, the CLI's ``--strategy`` value and the docs page. Everything that takes a kind looks it up here
when it is used, never in a list written at import time, so a strategy registered later
(:func:`register_strategy`, or the ``strategies`` setting: :func:`register_strategies`) is taken
wherever a built-in one is: options for a budget, configs (:func:`strategy_config`,
:data:`AnyStrategyConfig`), the planner's search space, policies, ``ttc calibrate`` and ``ttc serve``.

Example:
    >>> sorted(STRATEGIES)
    ['beam_search', 'best_of_n', 'dvts', 'lookahead', 'particle_filtering', 'revisions']
    >>> type(build_strategy({"kind": "best_of_n", "n": 4, "selection": "majority"})).__name__
    'BestOfN'
    >>> needs_verifier({"kind": "best_of_n", "selection": "majority"}), needs_verifier({"kind": "beam_search"})
    (False, True)
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Annotated, Any

from pydantic import BeforeValidator, SerializeAsAny

from ttc_modules.strategies.base import Strategy
from ttc_modules.strategies.beam_search import BeamSearch
from ttc_modules.strategies.best_of_n import BestOfN
from ttc_modules.strategies.config import StrategyConfig, parse_config
from ttc_modules.strategies.dvts import DVTS
from ttc_modules.strategies.lookahead import LookaheadSearch
from ttc_modules.strategies.particle_filtering import ParticleFiltering
from ttc_modules.strategies.revisions import SequentialRevisions
from ttc_modules.user_code import load_attribute

BUILT_IN: dict[str, type[Strategy]] = {
    cls.kind: cls for cls in (BestOfN, BeamSearch, LookaheadSearch, DVTS, ParticleFiltering, SequentialRevisions)
}
STRATEGIES: dict[str, type[Strategy]] = dict(BUILT_IN)  # the built-in strategies, then the user's


def strategy_config(options: dict | StrategyConfig) -> StrategyConfig:
    """The config ``options`` describe (a dict with ``kind``), validated by the config of the strategy registered
    under that kind: the union of every registered strategy's config, looked up when validating.

    Example:
        >>> strategy_config({"kind": "beam_search", "n": 8}).beam_width
        4
        >>> strategy_config({"kind": "mcts"})
        Traceback (most recent call last):
        ValueError: unknown strategy 'mcts'; use one of beam_search, best_of_n, dvts, lookahead, particle_filtering, revisions
    """
    if isinstance(options, StrategyConfig):
        options = options.model_dump()
    if not isinstance(options, dict):
        raise ValueError(f"a strategy config is a mapping with a kind, such as {{'kind': 'best_of_n'}}; got {options!r}")
    return parse_config(STRATEGIES[_known_kind(options.get("kind"))].Config, options)


AnyStrategyConfig = Annotated[SerializeAsAny[StrategyConfig], BeforeValidator(strategy_config)]
"""A pydantic field holding any registered strategy's config (:func:`strategy_config` when validating, so a
strategy registered after import counts), serialised with all of its options."""


def accepted_options(kind: str, options: dict[str, Any]) -> dict[str, Any]:
    """The part of ``options`` the ``kind`` strategy's config takes (shared extras such as max_rounds).

    Example:
        >>> accepted_options("best_of_n", {"max_rounds": 3, "selection": "weighted"})
        {'selection': 'weighted'}
    """
    fields = STRATEGIES[kind].Config.model_fields
    return {key: value for key, value in options.items() if key in fields}


def needs_verifier(options: dict[str, Any]) -> bool:
    """Whether the strategy these options describe (a dict with ``kind``) needs a verifier: best-of-N
    and revisions with majority voting do not, step-level search always does."""
    config = strategy_config(options)
    return STRATEGIES[config.kind].requires_verifier(config)


def _known_kind(kind) -> str:
    if kind not in STRATEGIES:
        raise ValueError(f"unknown strategy '{kind}'; use one of {', '.join(sorted(STRATEGIES))}")
    return kind


def register_strategy(cls: type[Strategy]) -> type[Strategy]:
    """Add a user strategy (a :class:`Strategy` subclass with its own ``kind`` and ``Config``), after the
    strategies registered before it; registering a kind again replaces its class in place.

    Example:
        >>> register_strategy(BestOfN) is BestOfN
        True
    """
    if not (isinstance(cls, type) and issubclass(cls, Strategy)):
        raise ValueError(f"{cls!r} is not a Strategy subclass; register a class such as class Mine(Strategy) "
                         "with a kind and a Config")
    if not cls.kind:
        raise ValueError(f"{cls.__name__} has no kind; set kind = 'my_strategy' on the class")
    if cls.Config is StrategyConfig:
        raise ValueError(f"{cls.__name__} has no Config of its own; give it one, e.g. class Config(StrategyConfig): "
                         f"kind: Literal[{cls.kind!r}] = {cls.kind!r}; n: int = 4")
    if cls.kind in BUILT_IN and STRATEGIES.get(cls.kind) is not cls and not issubclass(cls, BUILT_IN[cls.kind]):
        raise ValueError(f"{cls.__name__} takes the kind {cls.kind!r} of a built-in strategy; give it a kind of its "
                         "own, e.g. kind = 'my_" + cls.kind + "'")
    config_kind = cls.Config.model_fields["kind"].default
    if isinstance(config_kind, str) and config_kind != cls.kind:  # a config may leave its kind to the class
        raise ValueError(f"{cls.__name__}.Config's kind is {config_kind!r}, not {cls.kind!r}; declare "
                         f"kind: Literal[{cls.kind!r}] = {cls.kind!r} on the config")
    STRATEGIES[cls.kind] = cls
    return cls


def register_strategies(specs: Iterable[str]) -> list[type[Strategy]]:
    """Import and register the strategy classes ``specs`` name (``module:Class`` or ``file.py:Class``): the
    ``strategies`` setting, which the ``ttc`` commands and ``ttc serve``'s app register when they start.

    Example:
        >>> [cls.kind for cls in register_strategies(["ttc_modules.strategies.best_of_n:BestOfN"])]
        ['best_of_n']
    """
    return [register_strategy(_strategy_class(spec)) for spec in specs]


def _strategy_class(spec: str) -> type[Strategy]:
    found = load_attribute(spec)
    if not (isinstance(found, type) and issubclass(found, Strategy)):
        raise ValueError(f"strategies: {spec!r} names {type(found).__name__} {found!r}, not a Strategy subclass; "
                         "name a class with a kind and a Config, e.g. my_package.strategies:MyStrategy")
    return found


def options_for_budget(kind: str, n: int, **given: Any) -> dict:
    """A strategy's options for budget N (in generations): ``kind`` and what the kind's config gives for N
    (its ``for_budget``), with ``given`` options (None ones ignored) on top.

    Each config owns its defaults, after the paper: best-of-N and beam-type searches spend N as ``n``
    (``BeamSearchConfig``: M = 4 where it divides N), lookahead as N // (k + 1) beams (``LookaheadConfig``),
    revisions as sqrt(N) x sqrt(N) chains x revisions (``RevisionsConfig``).

    Example:
        >>> options_for_budget("beam_search", 8)
        {'kind': 'beam_search', 'n': 8, 'beam_width': 4}
        >>> options_for_budget("lookahead", 16, k=1)
        {'kind': 'lookahead', 'k': 1, 'n': 8, 'beam_width': 4}
        >>> options_for_budget("revisions", 16)
        {'kind': 'revisions', 'n_parallel': 4, 'n_sequential': 4, 'selection': 'majority'}
    """
    config = STRATEGIES[_known_kind(kind)].Config
    return {"kind": kind, **config.for_budget(n, **{key: value for key, value in given.items() if value is not None})}


def build_strategy(config: dict | Any, **runtime: Any) -> Strategy:
    """A strategy from a config (a dict with ``kind``, or a config model) plus runtime objects
    (``verifier``, ``budget``, ``lm``, ``generator``)."""
    options = dict(config) if isinstance(config, dict) else config.model_dump()
    return STRATEGIES[_known_kind(options.pop("kind", None))](**runtime, **options)
