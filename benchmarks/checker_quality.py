"""Checker quality: does ArithmeticChecker know correct work, and does it catch a changed result?

Every GSM8K training solution shipped with the package, rewritten in the model's answer format
(one step per paragraph, "The answer is N." last), is scored step by step. Printed:

- the share of solutions whose process score is at least 0.9 at every step (goal: >= 90%);
- for each solution, one result after an ``=`` changed from N to N+1 (the step and the equation
  chosen by a seeded RNG): the AUROC of the final score between originals and changed copies
  (goal: >= 0.97) and the share caught (changed copy scored lower than the original);
- each figure on the even rows and on the odd rows apart, to show how much it moves between two
  halves (failures from both halves were read while the checker was written, so neither is a
  held-out set: the steps in ``tests/verifiers/test_arithmetic.py``, phrased without the data set,
  are the checks it was not tuned on);
- the solutions it could not pass, by the verdict of their first step below 0.9, with examples.

The last line is JSON with the headline figures.

    .venv/bin/python benchmarks/checker_quality.py [--rows 7473] [--examples 3] [--seed 0]
"""

from __future__ import annotations

import argparse
import json
import random
import re
import time
from collections import Counter, defaultdict

from sklearn.metrics import roc_auc_score

from ttc_modules.answers import has_final_answer
from ttc_modules.evaluation.datasets import PACKAGED
from ttc_modules.evaluation.records import read_rows
from ttc_modules.evaluation.reference_solutions import in_model_format
from ttc_modules.verifiers import ArithmeticChecker

SOUND_GOAL, AUROC_GOAL = 0.9, 0.97
_RESULT = re.compile(r"=\s*\$?(\d+)(?![\d.,/])")


def changed_copy(steps: list[str], rng: random.Random) -> list[str] | None:
    """``steps`` with one integer result after an ``=`` made one larger; None when no step has one."""
    places = [(k, m) for k, step in enumerate(steps) for m in _RESULT.finditer(step)]
    if not places:
        return None
    k, match = rng.choice(places)
    step = steps[k]
    changed = step[: match.start(1)] + str(int(match.group(1)) + 1) + step[match.end(1):]
    return [*steps[:k], changed, *steps[k + 1:]]


def verdict_name(checker: ArithmeticChecker, step: str, own: float) -> str:
    names = {checker.wrong: "wrong", checker.ungrounded: "ungrounded", checker.unchecked: "unchecked"}
    if has_final_answer(step) and own < 1.0:
        return "unsupported answer"
    return names.get(round(own, 6), f"own score {own:.3f}")


def first_failure(checker: ArithmeticChecker, steps: list[str], scores: list[float]) -> tuple[str, str] | None:
    before = 1.0
    for step, value in zip(steps, scores, strict=True):
        if value < SOUND_GOAL:
            return verdict_name(checker, step, value / before if before else 0.0), step
        before = value
    return None


def measure(rows: list[dict], checker: ArithmeticChecker, seed: int) -> dict:
    rng = random.Random(seed)
    sound, originals, changed, caught, failures = 0, [], [], 0, defaultdict(list)
    for row in rows:
        inputs, steps = {"question": row["question"]}, in_model_format(row["answer"]).split("\n\n")
        scores = checker.score(inputs, steps)
        failure = first_failure(checker, steps, scores)
        sound += failure is None
        if failure:
            failures[failure[0]].append(failure[1])
        copy = changed_copy(steps, rng)
        if copy is not None:
            worse = checker.score(inputs, copy)[-1]
            originals.append(scores[-1])
            changed.append(worse)
            caught += worse < scores[-1]
    labels = [1] * len(originals) + [0] * len(changed)
    return {"rows": len(rows), "sound": sound / len(rows), "auroc": float(roc_auc_score(labels, originals + changed)),
            "caught": caught / max(1, len(changed)), "failures": failures}


def report(name: str, figures: dict) -> None:
    print(f"{name:>9}: {figures['rows']} solutions; all steps >= {SOUND_GOAL}: {figures['sound']:.1%}; "
          f"changed result: AUROC {figures['auroc']:.4f}, caught {figures['caught']:.1%}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=None, help="the first ROWS training solutions (default: all)")
    parser.add_argument("--examples", type=int, default=3, help="examples printed per failure category")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    rows = [row for _, row in read_rows(PACKAGED["gsm8k"])][: args.rows]
    checker, started = ArithmeticChecker(), time.perf_counter()
    results = {"all": measure(rows, checker, args.seed), "even rows": measure(rows[0::2], checker, args.seed),
               "odd rows": measure(rows[1::2], checker, args.seed)}
    seconds = time.perf_counter() - started
    for name, figures in results.items():
        report(name, figures)
    failures = results["all"]["failures"]
    print(f"\nsolutions not passed, by the verdict of their first step below {SOUND_GOAL}:")
    for category, _ in Counter({k: len(v) for k, v in failures.items()}).most_common():
        print(f"  {category}: {len(failures[category])}")
        for step in failures[category][: args.examples]:
            print(f"      {step[:150]!r}")
    headline = {"sound": round(results["all"]["sound"], 4), "auroc": round(results["all"]["auroc"], 4),
                "caught": round(results["all"]["caught"], 4), "odd_rows_sound": round(results["odd rows"]["sound"], 4),
                "odd_rows_auroc": round(results["odd rows"]["auroc"], 4), "sound_goal": SOUND_GOAL,
                "auroc_goal": AUROC_GOAL, "rows": len(rows), "seconds": round(seconds, 1)}
    print(json.dumps(headline))


if __name__ == "__main__":
    main()
