"""A program of a user's, as the command line loads it (``--program tests.programs.verdict_task:Verdict``)."""

from typing import Literal

import dspy

from tests.programs.helpers import field_of, fields_reply


class Verdict(dspy.Signature):
    """Answer the question from the passage alone."""

    passage: str = dspy.InputField()
    question: str = dspy.InputField()
    verdict: Literal["yes", "no"] = dspy.OutputField()


def metric(example, pred, trace=None) -> bool:
    return getattr(pred, "verdict", None) == example.verdict


def reward(args, pred) -> float:
    return 1.0 if pred.verdict == "yes" else 0.5


ROWS = [{"id": f"v{i}", "passage": f"Mia lives in {city}.", "question": "Does Mia live in Oslo?",
         "verdict": "yes" if city == "Oslo" else "no", "level": 1 + i % 2}
        for i, city in enumerate(["Oslo", "Lima", "Oslo", "Rome"])]


def reply(prompt: str, seed: int) -> str:
    """A model that reads the passage right two times in three (the third answers yes)."""
    passage = field_of(prompt, "passage") or ""
    right = "yes" if "Oslo" in passage else "no"
    return fields_reply(verdict=right if seed % 3 else "yes")


def always_half(args, pred) -> float:
    """A reward that cannot tell candidates apart (so the weighted vote is a majority vote)."""
    return 0.5
