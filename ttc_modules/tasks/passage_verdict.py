"""Passage verdict: seeded yes/no reading comprehension with two inputs, for test-time compute.

A short passage says where a few made-up people live, what they work as and which pet they own;
the question asks about one fact. Half the answers are "no": the question names a value the passage
gives another person, or one it never states. Level 1: one person, a direct question; level 2: three
people; level 3: three people, a negated statement ("Mia does not own a cat."), and a question about
that fact or one that needs two facts ("Does the baker live in Oslo?"). The metric is coin flip's.

Example:
    >>> batch = examples(2, seed=0, levels=(1,))
    >>> batch[0].id, sorted(batch[0].inputs().keys()), batch[0].verdict in ("yes", "no")
    ('passage_verdict-1-0', ['passage', 'question'], True)
    >>> metric(batch[0], {"verdict": batch[0].verdict.upper()}), metric(batch[0], {"verdict": None})
    (True, False)
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from typing import Any, Literal, NamedTuple

import dspy

from ttc_modules.tasks.generated import per_level, prediction_field, same_yes_no

TASK = "passage_verdict"
VALID_LEVELS = range(1, 4)
PEOPLE_PER_LEVEL = {1: 1, 2: 3, 3: 3}

NAMES = ["Mia", "Ben", "Ana", "Tomas", "Lina", "Oskar", "Zara", "Ravi", "Nell", "Iko", "Petra", "Sami"]
VALUES = {
    "city": ("Oslo", "Lima", "Cairo", "Perth", "Quito", "Dakar", "Hanoi", "Lyon", "Porto", "Riga"),
    "job": ("baker", "nurse", "pilot", "teacher", "plumber", "farmer", "dentist", "painter"),
    "pet": ("cat", "dog", "parrot", "rabbit", "hamster", "goldfish", "turtle", "pony", "canary"),
}
VERBS = {"city": "live in", "job": "work as a", "pet": "own a"}  # "Does Mia live in Oslo?"
Person = dict[str, str]  # name, city, job, pet


class Negation(NamedTuple):
    """A statement that one person's fact is not ``value`` (never their real one)."""

    person: int
    kind: str
    value: str


class PassageVerdict(dspy.Signature):
    """Answer the question from the passage alone: yes only if the passage says so, otherwise no."""

    passage: str = dspy.InputField(desc="a few sentences about some people")
    question: str = dspy.InputField(desc="a yes/no question about the passage")
    verdict: Literal["yes", "no"] = dspy.OutputField(desc="yes or no")


def _fact(kind: str, name: str, value: str) -> str:
    verb, rest = VERBS[kind].split(" ", 1)
    return f"{name} {verb}s {rest} {value}."


def _question(kind: str, who: str, value: str) -> str:
    return f"Does {who} {VERBS[kind]} {value}?"


def _people(count: int, rng: random.Random) -> list[Person]:
    names = rng.sample(NAMES, count)
    values = {kind: rng.sample(VALUES[kind], count) for kind in VALUES}
    return [{"name": name, **{kind: values[kind][i] for kind in VALUES}} for i, name in enumerate(names)]


def _negation(people: list[Person], rng: random.Random) -> Negation:
    target, kind = rng.randrange(len(people)), rng.choice(list(VALUES))
    wrong = [value for value in VALUES[kind] if value != people[target][kind]]
    return Negation(target, kind, rng.choice(wrong))


def _passage(people: list[Person], negation: Negation | None, rng: random.Random) -> str:
    sentences = []
    for index, person in enumerate(people):
        kinds = rng.sample(list(VALUES), len(VALUES))
        sentences += [_fact(kind, person["name"], person[kind]) for kind in kinds]
        if negation and negation.person == index:
            sentences.append(f"{person['name']} does not {VERBS[negation.kind]} {negation.value}.")
    return " ".join(sentences)


def _wrong_value(people: list[Person], person: Person, kind: str, rng: random.Random) -> str:
    """A value that makes the answer "no": another person's (half the time, if any) or an unstated one."""
    others = [other[kind] for other in people if other is not person]
    if others and rng.random() < 0.5:
        return rng.choice(others)
    stated = {other[kind] for other in people}
    return rng.choice([value for value in VALUES[kind] if value not in stated])


def _direct_question(people: list[Person], yes: bool, rng: random.Random) -> str:
    person, kind = rng.choice(people), rng.choice(list(VALUES))
    value = person[kind] if yes else _wrong_value(people, person, kind, rng)
    return _question(kind, person["name"], value)


def _hard_question(people: list[Person], negation: Negation, yes: bool, rng: random.Random) -> str:
    """About the negated fact, or a question that needs two facts (the job names the person)."""
    if rng.random() < 0.5:
        person, kind = people[negation.person], negation.kind
        value = person[kind] if yes else negation.value
        return _question(kind, person["name"], value)
    person, kind = rng.choice(people), rng.choice(["city", "pet"])
    value = person[kind] if yes else rng.choice([other[kind] for other in people if other is not person])
    return _question(kind, f"the {person['job']}", value)


def _example(level: int, index: int, rng: random.Random) -> dspy.Example:
    people, yes = _people(PEOPLE_PER_LEVEL[level], rng), rng.random() < 0.5
    negation = _negation(people, rng) if level == 3 else None
    passage = _passage(people, negation, rng)
    question = _hard_question(people, negation, yes, rng) if negation else _direct_question(people, yes, rng)
    return dspy.Example(id=f"{TASK}-{level}-{index}", passage=passage, question=question,
                        verdict="yes" if yes else "no", level=level)


def examples(n: int, seed: int = 0, levels: Iterable[int] = (1, 2, 3)) -> list[dspy.Example]:
    """``n`` examples per level (1..3); the same seed gives the same examples.

    Raises:
        ValueError: ``n`` is not positive, or a level is outside 1..3 or repeated.
    """
    return per_level(TASK, n, seed, levels, VALID_LEVELS, _example, PassageVerdict.input_fields)


def metric(example: dspy.Example, pred: Any, trace: Any = None) -> bool:
    """Whether the predicted ``verdict`` is the label: "yes"/"no" in any case and punctuation, or a bool."""
    return same_yes_no(example.verdict, prediction_field(pred, "verdict"))
