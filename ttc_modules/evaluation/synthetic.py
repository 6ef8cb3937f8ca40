"""Seeded arithmetic word problems with graded difficulty, from easy to hopeless for the embedded model.

Level 1: one addition of numbers up to 5; level 2: one addition or subtraction of one-digit
numbers; level 3: one operation (+, -, x) on numbers up to 50; level 4: two operations; level 5:
three or four operations on numbers up to 100. Every answer is a non-negative integer, so grading
is exact. The same seed gives the same problems.

Example:
    >>> problems = make_problems(3, level=1, seed=0)
    >>> len(problems), problems[0]["level"]
    (3, 1)
    >>> make_problems(3, level=1, seed=0) == problems
    True
"""

from __future__ import annotations

import random

NAMES = ["Ana", "Ben", "Carla", "Dev", "Emma", "Farid", "Grace", "Hugo", "Ines", "Jon", "Kemi", "Leo"]
ITEMS = ["apples", "marbles", "stickers", "books", "coins", "pencils", "cards", "shells"]

# (operation, sentence template); {a}: running total, {b}: the operand.
_STEPS = {
    "+": "Then {name} gets {b} more {item}.",
    "-": "Then {name} gives away {b} {item}.",
    "*": "Then the number of {item} {name} has is multiplied by {b}.",
}
# level: (operations allowed, largest number)
_LEVELS = {1: ("+", 5), 2: ("+-", 9), 3: ("+-*", 50), 4: ("+-*", 20), 5: ("+-*", 100)}


def _operation_count(level: int, rng: random.Random) -> int:
    return {1: 1, 2: 1, 3: 1, 4: 2, 5: rng.choice([3, 4])}[level]


def _next_step(total: int, high: int, allowed: str, rng: random.Random) -> tuple[str, int]:
    operations = [op for op in allowed if op != "*" or total <= 30]
    op = rng.choice(operations)
    if op == "-":
        return op, rng.randint(1, max(1, min(total, high)))
    if op == "*":
        return op, rng.randint(2, 4)
    return op, rng.randint(1, high)


def make_problem(level: int, rng: random.Random) -> dict:
    """One problem of ``level`` (1..4) drawn with ``rng``."""
    if level not in _LEVELS:
        raise ValueError(f"level must be one of {sorted(_LEVELS)}, got {level}")
    allowed, high = _LEVELS[level]
    name, item = rng.choice(NAMES), rng.choice(ITEMS)
    total = rng.randint(2, high)
    sentences = [f"{name} has {total} {item}."]
    for _ in range(_operation_count(level, rng)):
        op, b = _next_step(total, high, allowed, rng)
        sentences.append(_STEPS[op].format(name=name, b=b, item=item))
        total = {"+": total + b, "-": total - b, "*": total * b}[op]
    sentences.append(f"How many {item} does {name} have now?")
    return {"question": " ".join(sentences), "answer": str(total), "level": level}


def make_problems(count: int, level: int, seed: int = 0) -> list[dict]:
    """``count`` problems of one level; the same seed gives the same problems."""
    rng = random.Random(f"{seed}-{level}")
    return [make_problem(level, rng) for _ in range(count)]
