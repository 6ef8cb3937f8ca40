"""Drop-in replacements for DSPy's ``dspy.BestOfN`` and ``dspy.Refine``: change one import line.

``BestOfN(module, N, reward_fn, threshold, fail_count=None)`` and ``Refine(...)`` take DSPy's
constructors and behave as DSPy's do: up to ``N`` attempts of ``module`` at temperature 1.0, each a
rollout of its own; the reward is called as ``reward_fn(args, pred)``; an attempt whose reward
reaches ``threshold`` is returned at once, else the best (the first drawn among equals); an attempt
that raises counts as failed, and the ``fail_count + 1``-th failure raises it (``fail_count``
defaults to ``N``). Refine, after an attempt below the threshold, asks the LM for advice to each of
the module's predictors (DSPy's own ``OfferFeedback``) and passes it to the next attempt as the
``hint_`` input field.

Beyond DSPy's: each call runs on a :class:`~ttc_modules.strategies.run.Run`, so it has a budget
(``budget=``), says what it spent (``pred.spent``), keeps the search graph (``pred.graph``) and
its LM calls in the cache; without a threshold that can stop them early (``threshold=None``) the
attempts are drawn concurrently. And none of the faults DSPy's users report: ``fail_count`` is
per call (DSPy's shrinks across calls), ``fail_count=0`` means no failure is allowed (DSPy's
ignores it), and a call whose every attempt fails raises the last error (DSPy's returns None). A
reward that raises fails its attempt's score (0) without counting as a failed attempt.

Example:
    >>> import dspy
    >>> from ttc_modules.testing import scripted_lm
    >>> lm = scripted_lm(lambda p, seed: f"[[ ## answer ## ]]\\n{'Brussels' if seed % 3 == 1 else 'City of Brussels'}"
    ...                  "\\n\\n[[ ## completed ## ]]", prompt_style="signature")
    >>> one_word = lambda args, pred: float(len(pred.answer.split()) == 1)
    >>> with dspy.context(lm=lm):
    ...     pred = BestOfN(dspy.Predict("question -> answer"), N=3, reward_fn=one_word, threshold=1.0)(question="?")
    >>> pred.answer, pred.spent["generations"]
    ('Brussels', 2)
"""

from __future__ import annotations

import inspect
import json
import logging
from collections.abc import Callable

import dspy
from dspy.predict.refine import OfferFeedback, inspect_modules, recursive_mask

from ttc_modules import strategies
from ttc_modules.budget import Budget
from ttc_modules.graph import ROOT, Node
from ttc_modules.programs.added_field import with_input_field
from ttc_modules.strategies.run import Run
from ttc_modules.verifiers.callable import CallableVerifier

logger = logging.getLogger(__name__)

HINT = "hint_"


class BestOfN(dspy.Module):
    """DSPy's ``BestOfN``, on this library's search (see the module docstring).

    Args:
        module: the DSPy module to run.
        N: attempts at most.
        reward_fn: ``reward_fn(args, pred) -> float``.
        threshold: an attempt whose reward reaches it is returned at once (None: draw all N, concurrently).
        fail_count: failed attempts allowed before the next failure raises (default N).
        budget: limits for each call (a :class:`~ttc_modules.budget.Budget` or a number of generations).
    """

    def __init__(self, module: dspy.Module, N: int, reward_fn: Callable, threshold: float | None,  # noqa: N803
                 fail_count: int | None = None, budget: Budget | int | None = None):
        super().__init__()
        self.module, self.N, self.threshold = module, N, threshold
        self.fail_count = N if fail_count is None else fail_count
        self.reward_fn = lambda *args: reward_fn(*args)  # as DSPy's: a lambda, so it is not a parameter
        self.budget = budget

    def _search(self) -> strategies.BestOfN:
        return strategies.BestOfN(self.module, n=self.N, selection="naive", threshold=self.threshold,
                                  fail_count=self.fail_count, temperature=1.0, budget=self.budget,
                                  verifier=CallableVerifier(self.reward_fn, name="reward_fn", shape="reward"))

    def forward(self, **kwargs) -> dspy.Prediction:
        return self._search()(**kwargs)


class Refine(BestOfN):
    """DSPy's ``Refine``, on this library's search (see the module docstring); its arguments are
    :class:`BestOfN`'s."""

    def __init__(self, module: dspy.Module, N: int, reward_fn: Callable, threshold: float | None,  # noqa: N803
                 fail_count: int | None = None, budget: Budget | int | None = None):
        super().__init__(module, N, reward_fn, threshold, fail_count, budget)
        self.module_code = _source(module.__class__)
        self.reward_fn_code = _source(reward_fn)

    def forward(self, **kwargs) -> dspy.Prediction:
        search = self._search()
        run = search.start_run(kwargs, search.config, search.budget)
        with run.meter.active():
            chosen = self._attempts(run, search)
        return run.prediction(chosen)

    def _attempts(self, run: Run, search: strategies.BestOfN) -> int | None:
        """Attempts one after another, each after the last one's advice, until one reaches the threshold."""
        advice, chain = None, [ROOT]
        for attempt in range(self.N):
            if not run.reserve_up_to(1):
                break
            with dspy.context(adapter=self._hinting(advice)):
                chain.append(run.revise(chain[-1], []))
            reward = run.score([chain[-1]])[0]
            search.check_failures(run, chain[1:])
            if search.reached(run, chain[-1:]) or attempt == self.N - 1:
                break
            advice = self._advice(run, chain[-1], reward)
        return run.best(chain[1:], "naive")

    def _hinting(self, advice: dict | None) -> dspy.Adapter | None:
        """The adapter that passes each predictor its advice as ``hint_`` (None before any advice)."""
        if not advice:
            return dspy.settings.adapter
        names = {predictor.signature: name for name, predictor in self.module.named_predictors()}
        return with_input_field(dspy.settings.adapter or dspy.ChatAdapter(), HINT,
                                "A hint to the module from an earlier run",
                                lambda signature: advice.get(names.get(signature), "N/A"))

    def _advice(self, run: Run, node: int, reward: float) -> dict | None:
        """DSPy's ``OfferFeedback`` on the attempt at ``node``: advice per predictor, or None when it fails."""
        outputs = Node(run.graph, node).outputs or {}
        asked = {"program_code": self.module_code, "modules_defn": inspect_modules(self.module),
                 "program_inputs": kwargs_text(run.generator.program_inputs(run.inputs)),
                 "program_trajectory": "[]", "program_outputs": kwargs_text(outputs),
                 "reward_code": self.reward_fn_code, "target_threshold": self.threshold, "reward_value": reward,
                 "module_names": [name for name, _ in self.module.named_predictors()]}
        try:
            with dspy.context(lm=run.generator.resolve_lm()):
                return dict(dspy.Predict(OfferFeedback)(**asked).advice)
        except Exception as error:  # as DSPy's Refine: no advice this time, the attempts go on
            logger.warning("Refine: no advice after an attempt (%s: %s)", type(error).__name__, error)
            return None


def kwargs_text(values: dict) -> str:
    """Values as DSPy's Refine shows them to ``OfferFeedback``: indented JSON, anything else masked."""
    return json.dumps(recursive_mask(values), indent=2, default=str)


def _source(obj) -> str:
    try:
        return inspect.getsource(obj)
    except (TypeError, OSError):
        try:
            return inspect.getsource(obj.__class__)
        except (TypeError, OSError):
            return repr(obj)
