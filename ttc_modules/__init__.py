"""dspy-ttc: test-time compute strategies for DSPy, spending inference compute where it pays.

The public API, as a table of contents (each name is imported on first use, so importing a
submodule such as ``ttc_modules.budget`` does not pull in DSPy and LiteLLM):

- :class:`Budget`, :class:`BudgetMeter`, :class:`BudgetExceeded` (``budget.py``): limits and what was spent;
  :class:`BudgetLedger`, :class:`WindowLedger` (``ledgers.py``): a mean budget shared by many calls.
- :class:`TTCLM`, :func:`build_lm`, :func:`sample`, :class:`BackendError` (``lm/``): the LM boundary.
- :class:`Settings`, :func:`load_settings`, :class:`ConfigError` (``config.py``): configuration.
- :class:`BestOfN`, :class:`BeamSearch`, :class:`LookaheadSearch`, :class:`DVTS`,
  :class:`ParticleFiltering`, :class:`SequentialRevisions`, :data:`STRATEGIES`, :func:`build_strategy` (``strategies/``).
- :class:`Generator` (``generation.py``): what strategies sample the math word-problem program with.
- :func:`as_verifier`, :class:`ArithmeticChecker`, :class:`LLMJudge`, :class:`RemotePRM`, :class:`LearnedPRM`,
  :class:`OracleVerifier`, :class:`Verifier` (``verifiers/``).

Example:
    >>> from ttc_modules import Budget
    >>> Budget(generations=16).generations
    16
"""

import os

from ttc_modules.lazy import lazy_exports

# LiteLLM fetches its price map from the network on first use unless told to read its own copy.
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

_EXPORTS = {
    "Budget": "budget", "BudgetExceeded": "budget", "BudgetMeter": "budget",
    "BudgetLedger": "ledgers", "WindowLedger": "ledgers", "Generator": "generation",
    "ConfigError": "config", "Settings": "config", "load_settings": "config",
    "BackendError": "lm", "TTCLM": "lm", "build_lm": "lm", "sample": "lm",
    "BestOfN": "strategies", "BeamSearch": "strategies", "LookaheadSearch": "strategies", "DVTS": "strategies",
    "ParticleFiltering": "strategies",
    "SequentialRevisions": "strategies", "STRATEGIES": "strategies", "Strategy": "strategies",
    "build_strategy": "strategies",
    "as_verifier": "verifiers", "ArithmeticChecker": "verifiers", "LLMJudge": "verifiers", "RemotePRM": "verifiers",
    "OracleVerifier": "verifiers", "Verifier": "verifiers", "LearnedPRM": "verifiers",
}

__all__ = sorted(_EXPORTS)


__getattr__ = lazy_exports("ttc_modules", _EXPORTS, globals())


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
