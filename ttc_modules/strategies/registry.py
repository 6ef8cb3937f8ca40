"""The strategy registry: kind name -> class, and strategies built from config dicts.

The same name is used everywhere: ``beam_search`` is the file, the config ``kind``, the registry
key, the CLI's ``--strategy`` value and the docs page.

Example:
    >>> sorted(STRATEGIES)
    ['beam_search', 'best_of_n', 'dvts', 'lookahead', 'revisions']
    >>> type(build_strategy({"kind": "best_of_n", "n": 4, "selection": "majority"})).__name__
    'BestOfN'
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field

from ttc_modules.strategies.base import Strategy
from ttc_modules.strategies.beam_search import BeamSearch, BeamSearchConfig
from ttc_modules.strategies.best_of_n import BestOfN, BestOfNConfig
from ttc_modules.strategies.dvts import DVTS, DVTSConfig
from ttc_modules.strategies.lookahead import LookaheadConfig, LookaheadSearch
from ttc_modules.strategies.revisions import RevisionsConfig, SequentialRevisions

STRATEGIES: dict[str, type[Strategy]] = {
    cls.kind: cls for cls in (BestOfN, BeamSearch, LookaheadSearch, DVTS, SequentialRevisions)
}

AnyStrategyConfig = Annotated[
    BestOfNConfig | BeamSearchConfig | LookaheadConfig | DVTSConfig | RevisionsConfig, Field(discriminator="kind")]


def register_strategy(cls: type[Strategy]) -> type[Strategy]:
    """Add a user strategy (a :class:`Strategy` subclass with its own ``kind`` and ``Config``)."""
    if not cls.kind:
        raise ValueError(f"{cls.__name__} has no kind; set kind = 'my_strategy' on the class")
    STRATEGIES[cls.kind] = cls
    return cls


def build_strategy(config: dict | Any, **runtime: Any) -> Strategy:
    """A strategy from a config (a dict with ``kind``, or a config model) plus runtime objects
    (``verifier``, ``budget``, ``lm``, ``generator``)."""
    options = dict(config) if isinstance(config, dict) else config.model_dump()
    kind = options.pop("kind", None)
    if kind not in STRATEGIES:
        raise ValueError(f"unknown strategy kind {kind!r}; known: {', '.join(sorted(STRATEGIES))}")
    return STRATEGIES[kind](**runtime, **options)
