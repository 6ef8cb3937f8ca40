"""Coin flip (Wei et al. 2022): a seeded state-tracking task that is not math, for test-time compute.

A coin starts heads up; each of ``level`` people (1..4 by default) flips it or not, each with
probability 1/2, so about half the answers are "yes". The question asks whether the coin is still
heads up: "yes" when it was flipped an even number of times. The metric accepts "yes"/"no" in any
case with punctuation around it, or a bool (True = yes).

Example:
    >>> batch = examples(2, seed=0, levels=(2,))
    >>> batch[0].id, batch[0].level, batch[0].answer in ("yes", "no")
    ('coin_flip-2-0', 2, True)
    >>> batch[0].question.startswith("A coin is heads up.")
    True
    >>> metric(batch[0], {"answer": batch[0].answer.title() + "."}), metric(batch[0], {})
    (True, False)
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from typing import Any, Literal

import dspy

from ttc_modules.tasks.generated import per_level, prediction_field, same_yes_no

TASK = "coin_flip"
VALID_LEVELS = range(1, 9)

PEOPLE = [
    "Ka", "Sherrie", "Jamey", "Maybelle", "Millicent", "Dorian", "Ines", "Tobias", "Rosalind", "Kwame",
    "Aiko", "Bruno", "Delphine", "Farouk", "Greta", "Hamid", "Iris", "Jonas", "Lena", "Marcus", "Nia",
    "Orla", "Petra", "Quentin", "Rafael", "Sunita", "Tess", "Ulrich", "Vera", "Wendell",
]


class CoinFlip(dspy.Signature):
    """Follow the coin as people flip it or leave it, and say whether it ends heads up."""

    question: str = dspy.InputField(desc="who flips the coin and who does not, in order")
    answer: Literal["yes", "no"] = dspy.OutputField(desc="yes if the coin is still heads up, else no")


def _question(people: list[str], flips: list[bool]) -> str:
    moves = [f"{person} {'flips' if flipped else 'does not flip'} the coin."
             for person, flipped in zip(people, flips, strict=True)]
    return " ".join(["A coin is heads up.", *moves, "Is the coin still heads up?"])


def worked_reasoning(people: list[str], flips: list[bool]) -> str:
    """A correct chain of thought for the moves, one step per paragraph (a label, for demos)."""
    steps, heads = ["The coin starts heads up."], True
    for person, flipped in zip(people, flips, strict=True):
        heads = heads != flipped
        side = "heads up" if heads else "tails up"
        steps.append(f"{person} flips the coin, so it is now {side}." if flipped
                     else f"{person} does not flip the coin, so it stays {side}.")
    return "\n\n".join([*steps, f"So the coin is {'still' if heads else 'not'} heads up."])


def _example(level: int, index: int, rng: random.Random) -> dspy.Example:
    people = rng.sample(PEOPLE, level)
    flips = [rng.random() < 0.5 for _ in people]
    answer = "yes" if sum(flips) % 2 == 0 else "no"
    question = _question(people, flips)
    return dspy.Example(id=f"{TASK}-{level}-{index}", question=question, answer=answer,
                        reasoning=worked_reasoning(people, flips), level=level)


def examples(n: int, seed: int = 0, levels: Iterable[int] = (1, 2, 3, 4)) -> list[dspy.Example]:
    """``n`` examples per level (level = number of people, 1..8); the same seed gives the same examples.

    Raises:
        ValueError: ``n`` is not positive, or a level is outside 1..8 or repeated.
    """
    return per_level(TASK, n, seed, levels, VALID_LEVELS, _example, CoinFlip.input_fields)


def metric(example: dspy.Example, pred: Any, trace: Any = None) -> bool:
    """Whether the predicted ``answer`` is the label: "yes"/"no" in any case and punctuation, or a bool."""
    return same_yes_no(example.answer, prediction_field(pred, "answer"))
