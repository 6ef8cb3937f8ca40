"""A program of your own for ttc eval, ttc calibrate and ttc serve (docs/programs.md): two inputs, a Literal
output, a metric that grades it and a reward that reads only what the program saw and wrote.

    ttc eval --program examples/own_program/verdict.py:Verdict --metric examples/own_program/verdict.py:metric \\
        --dataset examples/own_program/verdicts.jsonl --strategies majority,weighted --budgets 1,4 \\
        --verifier examples/own_program/verdict.py:grounded --out runs/verdict
"""

from typing import Literal

import dspy


class Verdict(dspy.Signature):
    """Answer the question from the passage alone: yes only if the passage says so, otherwise no."""

    passage: str = dspy.InputField(desc="a few sentences about some people")
    question: str = dspy.InputField(desc="a yes/no question about the passage")
    verdict: Literal["yes", "no"] = dspy.OutputField()


def metric(example, pred, trace=None) -> bool:
    """A DSPy metric: the verdict is the labelled one."""
    return getattr(pred, "verdict", None) == example.verdict


def grounded(args, pred) -> float:
    """A reward as dspy.BestOfN calls it: 1 when the verdict agrees with whether the passage mentions the
    question's last word at all (a cheap check, not the answer), else 0.5."""
    value = args["question"].rstrip("?").split()[-1].lower()
    return 1.0 if (pred.verdict == "yes") == (value in args["passage"].lower()) else 0.5
