"""What DSPy users do with any module works with strategies: Evaluate, Parallel, save/load, callbacks,
track_usage (acall is tested with each strategy family; compiled demos in test_generation.py)."""

import dspy
from dspy.utils.callback import BaseCallback

from ttc_modules import BestOfN
from ttc_modules.testing import scripted_lm

QUESTIONS = {"What is 2 + 2?": "4", "What is 3 + 4?": "7"}


def solver_lm():
    def reply(prompt, seed):
        answer = "4" if "2 + 2" in prompt else "7"
        return f"The sum is {answer}.\n\nThe answer is {answer}."

    return scripted_lm(reply)


def devset():
    return [dspy.Example(question=q, answer=a).with_inputs("question") for q, a in QUESTIONS.items()]


def test_dspy_evaluate_and_parallel():
    strategy = BestOfN(n=2, selection="majority", lm=solver_lm())
    result = dspy.Evaluate(devset=devset(), metric=lambda example, pred, trace=None: example.answer == pred.answer,
                           display_progress=False, num_threads=2)(strategy)
    assert result.score == 100.0
    outputs = dspy.Parallel(num_threads=2, disable_progress_bar=True)([(strategy, e.inputs()) for e in devset()])
    assert [p.answer for p in outputs] == list(QUESTIONS.values())


def test_save_and_load_keep_the_generators_demos(tmp_path):
    strategy = BestOfN(n=2, selection="majority", lm=solver_lm())
    strategy.generator.solve.demos = [dspy.Example(question="What is 1 + 1?", reasoning="1 + 1 = 2.", answer="2")]
    strategy.save(tmp_path / "program.json")
    loaded = BestOfN(n=2, selection="majority", lm=solver_lm())
    loaded.load(tmp_path / "program.json")
    assert loaded.generator.solve.demos[0]["question"] == "What is 1 + 1?"


def test_callbacks_and_track_usage():
    class Seen(BaseCallback):
        def __init__(self):
            self.events = []

        def on_module_start(self, call_id, instance, inputs):
            self.events.append(type(instance).__name__)

        def on_lm_start(self, call_id, instance, inputs):
            self.events.append("lm")

    seen = Seen()
    with dspy.context(callbacks=[seen], track_usage=True):
        prediction = BestOfN(n=2, selection="majority", lm=solver_lm())(question="What is 2 + 2?")
    assert seen.events[0] == "BestOfN" and "lm" in seen.events
    usage = prediction.get_lm_usage()
    assert sum(u["total_tokens"] for u in usage.values()) == prediction.spent["tokens"] > 0
