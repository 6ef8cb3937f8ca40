"""Last-letter concatenation (Wei et al. 2022): a seeded task that is not math, for test-time compute.

The program reads a few names ("Elon Musk Larry Page") and writes the last letter of each word,
in order ("nkye"). ``level`` is the number of words (2..5 by default); words alternate first and
last names drawn from the lists below. The metric compares letters only, ignoring case, spaces,
quotes and punctuation.

Example:
    >>> batch = examples(2, seed=0, levels=(3,))
    >>> [example.level for example in batch], batch[0].id
    ([3, 3], 'last_letters-3-0')
    >>> words = batch[0].words
    >>> batch[0].answer == "".join(word[-1] for word in words.lower().split())
    True
    >>> metric(batch[0], {"answer": f" {batch[0].answer.upper()}. "}), metric(batch[0], None)
    (True, False)
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from typing import Any

import dspy

from ttc_modules.tasks.generated import per_level, prediction_field

TASK = "last_letters"
VALID_LEVELS = range(1, 9)

FIRST_NAMES = [
    "Aaron", "Abigail", "Adam", "Alice", "Amir", "Anna", "Arjun", "Beatriz", "Ben", "Bianca", "Boris",
    "Carlos", "Chen", "Chloe", "Clara", "Daniel", "Diego", "Dmitri", "Elena", "Elif", "Elon", "Emil",
    "Emma", "Ethan", "Fatima", "Felix", "Fiona", "Gabriel", "Grace", "Hana", "Hassan", "Helen", "Hugo",
    "Ian", "Ingrid", "Isaac", "Ivan", "Jack", "James", "Javier", "Jin", "Joel", "Jose", "Julia", "Kai",
    "Karen", "Kenji", "Kofi", "Laura", "Leila", "Liam", "Lucas", "Luis", "Maria", "Mark", "Marta", "Mateo",
    "Maya", "Mei", "Mohamed", "Nadia", "Naomi", "Noah", "Olga", "Omar", "Oscar", "Paul", "Pedro", "Priya",
    "Rachel", "Raj", "Rosa", "Ruth", "Sam", "Sara", "Sofia", "Tariq", "Theo", "Tom", "Uma", "Victor", "Wei",
    "Yara", "Yusuf", "Zoe",
]

LAST_NAMES = [
    "Adams", "Ahmed", "Alvarez", "Baker", "Bauer", "Brown", "Campbell", "Chen", "Clark", "Cohen", "Costa",
    "Cruz", "Diaz", "Dubois", "Evans", "Fischer", "Garcia", "Gomez", "Gonzalez", "Green", "Gupta", "Hall",
    "Hansen", "Harris", "Hughes", "Ito", "Jensen", "Johnson", "Khan", "Kim", "Kowalski", "Kumar", "Larsen",
    "Lee", "Lopez", "Martin", "Mendez", "Meyer", "Moore", "Morales", "Murphy", "Musk", "Nakamura", "Nguyen",
    "Novak", "Okafor", "Olsen", "Ortiz", "Page", "Park", "Patel", "Perez", "Petrov", "Price", "Reyes",
    "Rossi", "Russo", "Sanchez", "Santos", "Schmidt", "Silva", "Singh", "Smith", "Tanaka", "Taylor",
    "Torres", "Turner", "Walsh", "Wang", "Weber", "Wilson", "Wright", "Yamamoto", "Young", "Zhang",
]


class LastLetters(dspy.Signature):
    """Take the last letter of each word and concatenate them in order."""

    words: str = dspy.InputField(desc="words separated by spaces, e.g. Elon Musk Larry Page")
    answer: str = dspy.OutputField(desc="the last letters, concatenated, e.g. nkye")


def last_letters(words: str) -> str:
    """The label: the last letter of each word, lowercased and concatenated."""
    return "".join(word[-1] for word in words.lower().split())


def _words(count: int, rng: random.Random) -> str:
    firsts = rng.sample(FIRST_NAMES, (count + 1) // 2)
    lasts = rng.sample(LAST_NAMES, count // 2)
    return " ".join(firsts[i // 2] if i % 2 == 0 else lasts[i // 2] for i in range(count))


def worked_reasoning(words: str) -> str:
    """A correct chain of thought for ``words``, one step per paragraph (a label, for demos)."""
    steps = [f'The last letter of "{word}" is "{word[-1].lower()}".' for word in words.split()]
    return "\n\n".join([*steps, f'Together they make "{last_letters(words)}".'])


def _example(level: int, index: int, rng: random.Random) -> dspy.Example:
    words = _words(level, rng)
    return dspy.Example(id=f"{TASK}-{level}-{index}", words=words, answer=last_letters(words),
                        reasoning=worked_reasoning(words), level=level)


def examples(n: int, seed: int = 0, levels: Iterable[int] = (2, 3, 4, 5)) -> list[dspy.Example]:
    """``n`` examples per level (level = number of words, 1..8); the same seed gives the same examples.

    Raises:
        ValueError: ``n`` is not positive, or a level is outside 1..8 or repeated.
    """
    return per_level(TASK, n, seed, levels, VALID_LEVELS, _example, LastLetters.input_fields)


def _letters(text: str) -> str:
    return "".join(character for character in text.lower() if character.isalnum())


def metric(example: dspy.Example, pred: Any, trace: Any = None) -> bool:
    """Whether the predicted ``answer`` has the label's letters, ignoring case, spaces and punctuation."""
    answer = prediction_field(pred, "answer")
    return isinstance(answer, str) and _letters(answer) == _letters(example.answer)
