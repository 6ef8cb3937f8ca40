"""Whole-program rollouts: the user's module run ``n`` times, each run a sample of its own.

Rollout ``i`` of a request with seed ``s`` runs with rollout id ``i`` and seed ``s + i`` (and the
strategy's temperature, if it sets one), as :func:`~ttc_modules.lm.sampling.sample` draws samples,
so a rerun comes from the cache and rollouts differ. A program that is one ``Predict`` or
``ChainOfThought`` is asked for all ``n`` in one request where the LM takes ``n`` (the rest topped up
one by one); any other module is run once per rollout, the runs concurrent, with its LM set to the
rollout's (``dspy.context``; a predictor with an LM of its own gets that LM's copy, as
``dspy.BestOfN`` does). Every run goes through the lenient adapter, so a sample the adapter cannot
read is a failed candidate, not an error; a run that raises is a failed candidate too, counted in
``spent["program_errors"]`` (a budget that runs out, a backend that fails and a cancelled search
still end the search).

Example:
    >>> import dspy
    >>> from ttc_modules.testing import scripted_lm
    >>> lm = scripted_lm(lambda prompt, seed: f"[[ ## answer ## ]]\\n{seed % 2}\\n\\n[[ ## completed ## ]]")
    >>> [outcome.outputs for outcome in rollouts(dspy.Predict("question -> answer"), lm, {"question": "Odd?"}, 3, seed=0)]
    [{'answer': '0'}, {'answer': '1'}, {'answer': '0'}]
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import dspy

from ttc_modules.budget import BudgetExceeded, current_meter
from ttc_modules.call_context import SearchCancelled, in_worker_thread
from ttc_modules.lenient_adapter import Unparsed, lenient
from ttc_modules.lm.errors import BackendError
from ttc_modules.lm.sampling import draw_with_top_up, rollout_options, share_tokens
from ttc_modules.lm.usage import collect_usage, total

logger = logging.getLogger(__name__)

ENDS_THE_SEARCH = (BudgetExceeded, BackendError, SearchCancelled)


@dataclass
class Outcome:
    """One rollout: the program's outputs (None when it failed), its raw text, its completion tokens, and
    what it raised (for a run that raised)."""

    outputs: dict | None
    raw: str
    tokens: int = 0
    error: BaseException | None = None


def takes_config(module: dspy.Module) -> bool:
    """Whether ``module`` passes DSPy's ``config`` (``n``, ``seed``...) to its one predictor as it is."""
    forward = getattr(type(module), "forward", None)
    return forward in (dspy.Predict.forward, dspy.ChainOfThought.forward)


def rollouts(module: dspy.Module, lm, inputs: dict, n: int, seed: int, temperature: float | None = None,
             max_tokens: int | None = None, adapter: dspy.Adapter | None = None) -> list[Outcome]:
    """``n`` rollouts of ``module`` on ``inputs`` (see the module docstring); ``adapter`` replaces the
    configured one (it is made lenient)."""
    base = {**({"max_tokens": max_tokens} if max_tokens else {}),
            **({"temperature": temperature} if temperature is not None else {})}
    one_request = takes_config(module)

    def call(options: dict) -> list[Outcome]:
        options = {**base, **options}
        return _in_one_request(module, options, inputs) if one_request else [_run(module, lm, options, inputs)]

    async def acall(options: dict) -> list[Outcome]:
        options = {**base, **options}
        return await _ain_one_request(module, options, inputs) if one_request else [await _arun(module, lm, options,
                                                                                                 inputs)]

    with dspy.context(lm=lm, adapter=lenient(adapter)), collect_usage() as usages:
        outcomes, _ = draw_with_top_up(call, acall, n, seed, rollout_options(lm, temperature),
                                       batched=one_request and (getattr(lm, "takes_n", True) or n == 1),
                                       max_workers=getattr(lm, "concurrency", 8))
    shares = share_tokens(total(usages)["completion_tokens"], [outcome.raw for outcome in outcomes])
    for outcome, tokens in zip(outcomes, shares, strict=True):
        outcome.tokens = tokens
    return outcomes


def _in_one_request(module: dspy.Module, config: dict, inputs: dict) -> list[Outcome]:
    return [outcome_of(completion) for completion in module(**inputs, config=config).completions]


async def _ain_one_request(module: dspy.Module, config: dict, inputs: dict) -> list[Outcome]:
    return [outcome_of(completion) for completion in (await module.acall(**inputs, config=config)).completions]


def _rollout_module(module: dspy.Module, options: dict) -> dspy.Module:
    """``module``, or a copy of it whose predictors with LMs of their own use those LMs' rollout copies."""
    if all(predictor.lm is None for _, predictor in module.named_predictors()):
        return module
    copy = module.deepcopy()
    for _, predictor in copy.named_predictors():
        if predictor.lm is not None:
            predictor.lm = predictor.lm.copy(**options)
    return copy


def _run(module: dspy.Module, lm, options: dict, inputs: dict) -> Outcome:
    """One rollout: the module run with its LM set to the rollout's."""
    try:
        with dspy.context(lm=lm.copy(**options)):
            return outcome_of(_rollout_module(module, options)(**inputs))
    except ENDS_THE_SEARCH:
        raise
    except Exception as error:
        return failed_run(module, error)


async def _arun(module: dspy.Module, lm, options: dict, inputs: dict) -> Outcome:
    """:func:`_run` under ``asyncio`` (in a thread for a module without an ``aforward`` of its own)."""
    if getattr(type(module), "aforward", None) is getattr(dspy.Module, "aforward", None):
        return await in_worker_thread(_run, module, lm, options, inputs)
    try:
        with dspy.context(lm=lm.copy(**options)):
            return outcome_of(await _rollout_module(module, options).acall(**inputs))
    except ENDS_THE_SEARCH:
        raise
    except Exception as error:
        return failed_run(module, error)


def failed_run(module: dspy.Module, error: Exception) -> Outcome:
    """A rollout that raised: a failed candidate, counted and logged in one line."""
    meter = current_meter()
    if meter is not None:
        meter.record_failure("program_errors")
    message = f"{type(error).__name__}: {' '.join(str(error).split())[:300]}"
    logger.warning("a rollout of %s failed (%s); it counts as a failed candidate", type(module).__name__, message)
    return Outcome(None, message, error=error)


def outcome_of(prediction) -> Outcome:
    """A prediction's fields as produced; a field the adapter could not read makes it a failed outcome."""
    outputs = dict(prediction.items()) if prediction is not None else {}
    unread = next((value for value in outputs.values() if isinstance(value, Unparsed)), None)
    if unread is not None or not outputs:
        return Outcome(None, str(unread or ""))
    return Outcome(outputs, "\n\n".join(str(value) for value in outputs.values()))
