"""The drop-ins beyond DSPy's: budgets, spent, the graph, concurrent attempts, and none of the faults its
users report (DSPy's own tests for them run, import changed, beside this file)."""

import threading

import dspy
import pytest

from tests.programs.helpers import field_of, fields_reply
from ttc_modules.dropin import BestOfN, Refine
from ttc_modules.testing import scripted_lm


def chat_lm(reply):
    return scripted_lm(reply, prompt_style="signature")


class Flaky(dspy.Module):
    """Fails on its first ``failures`` calls of each question, then answers."""

    def __init__(self, failures: int):
        super().__init__()
        self.predict = dspy.Predict("question -> answer")
        self.failures, self.calls, self.lock = failures, {}, threading.Lock()

    def forward(self, question):
        with self.lock:
            self.calls[question] = self.calls.get(question, 0) + 1
            failing = self.calls[question] <= self.failures
        if failing:
            raise ValueError("deliberately failing")
        return self.predict(question=question)


def test_fail_count_is_per_call_and_zero_means_none_allowed():
    lm = chat_lm(lambda prompt, seed: fields_reply(answer="Brussels"))
    with dspy.context(lm=lm):
        twice = BestOfN(Flaky(failures=1), N=3, reward_fn=lambda args, pred: 1.0, threshold=1.0, fail_count=1)
        assert twice(question="a").answer == "Brussels" and twice(question="b").answer == "Brussels"
        strict = BestOfN(Flaky(failures=1), N=3, reward_fn=lambda args, pred: 1.0, threshold=1.0, fail_count=0)
        with pytest.raises(ValueError, match="deliberately failing"):
            strict(question="c")


def test_every_attempt_failing_raises_instead_of_returning_none():
    with dspy.context(lm=chat_lm(lambda prompt, seed: fields_reply(answer="x"))), \
            pytest.raises(ValueError, match="deliberately failing"):
        BestOfN(Flaky(failures=9), N=3, reward_fn=lambda args, pred: 1.0, threshold=None)(question="q")


def test_without_a_threshold_the_attempts_are_drawn_concurrently_within_the_budget():
    threads = set()

    def reply(prompt, seed):
        threads.add(threading.get_ident())
        return fields_reply(answer=str(seed % 3))

    with dspy.context(lm=chat_lm(reply)):
        pred = BestOfN(Flaky(failures=0), N=6, reward_fn=lambda args, pred: float(pred.answer), threshold=None,
                       budget=4)(question="q")
    assert pred.spent["generations"] == 4 and pred.graph.number_of_nodes() == 5 and len(threads) > 1
    assert pred.answer == "2"  # the best reward among the four drawn


def test_refine_passes_advice_to_the_next_attempt_as_hint():
    hints = []

    def reply(prompt, seed):
        if field_of(prompt, "program_code") is not None:  # DSPy's OfferFeedback, asking for advice
            return fields_reply(discussion="Too long.", advice='{"self": "Answer in one word."}')
        hints.append(field_of(prompt, "hint_"))
        return fields_reply(answer="Brussels" if hints[-1] else "The city of Brussels")

    one_word = lambda args, pred: float(len(pred.answer.split()) == 1)  # noqa: E731
    with dspy.context(lm=chat_lm(reply)):
        pred = Refine(dspy.Predict("question -> answer"), N=3, reward_fn=one_word, threshold=1.0)(question="Capital?")
    assert hints == [None, "Answer in one word."] and pred.answer == "Brussels"
    assert pred.spent["generations"] == 2 and pred.graph.number_of_nodes() == 3


def test_unreadable_attempts_count_as_failures_and_all_of_them_raise_as_dspy_s_do():
    from dspy.utils.exceptions import AdapterParseError

    with dspy.context(lm=chat_lm(lambda prompt, seed: "no fields at all")), pytest.raises(AdapterParseError):
        BestOfN(dspy.ChainOfThought("question -> answer: int"), N=3, reward_fn=lambda args, pred: 1.0,
                threshold=1.0, fail_count=0)(question="q")


def test_the_prediction_holds_the_program_s_fields_and_the_search_beside_them():
    with dspy.context(lm=chat_lm(lambda prompt, seed: fields_reply(answer="x"))):
        pred = BestOfN(dspy.Predict("question -> answer"), N=2, reward_fn=lambda args, pred: 1.0, threshold=None)(
            question="q")
    assert pred.toDict() == {"answer": "x"} and pred.spent["generations"] == 2 and pred.graph is not None
