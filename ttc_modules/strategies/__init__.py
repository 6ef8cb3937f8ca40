"""Test-time compute strategies: DSPy modules growing a search graph within a budget.

One file per strategy (``best_of_n``, ``beam_search``, ``lookahead``, ``dvts``,
``particle_filtering``, ``revisions``), the
shared base (``base.py``) and options (``config.py``), one call's search state and moves
(``run.py``) with its request seeds (``seeds.py``), and the registry (``registry.py``).
"""

from ttc_modules.strategies.base import SearchModule, Strategy, check_question
from ttc_modules.strategies.beam_search import BeamSearch, BeamSearchConfig
from ttc_modules.strategies.best_of_n import BestOfN, BestOfNConfig
from ttc_modules.strategies.config import StrategyConfig
from ttc_modules.strategies.dvts import DVTS, DVTSConfig
from ttc_modules.strategies.lookahead import LookaheadConfig, LookaheadSearch
from ttc_modules.strategies.particle_filtering import ParticleFiltering, ParticleFilteringConfig
from ttc_modules.strategies.registry import (
    STRATEGIES,
    AnyStrategyConfig,
    accepted_options,
    build_strategy,
    needs_verifier,
    options_for_budget,
    register_strategies,
    register_strategy,
    strategy_config,
)
from ttc_modules.strategies.revisions import RevisionsConfig, SequentialRevisions
from ttc_modules.strategies.run import Run

__all__ = ["DVTS", "STRATEGIES", "AnyStrategyConfig", "BeamSearch", "BeamSearchConfig", "BestOfN", "BestOfNConfig",
           "DVTSConfig", "LookaheadConfig", "LookaheadSearch", "ParticleFiltering", "ParticleFilteringConfig",
           "RevisionsConfig", "Run", "SearchModule",
           "SequentialRevisions", "Strategy", "StrategyConfig", "accepted_options", "build_strategy",
           "check_question", "needs_verifier", "options_for_budget", "register_strategies", "register_strategy",
           "strategy_config"]
