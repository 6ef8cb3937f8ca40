"""Test-time compute on programs that are not math, on the embedded model: code, symbolic reasoning, and
reading comprehension with two inputs and a Literal verdict.

Each task is a DSPy program of its own (``ttc_modules/tasks``), evaluated by the harness as
``ttc eval --program ... --metric ...`` does: a sample bank of N_max samples per question, replayed at
every budget, every sample graded by the task's metric.

- ``humaneval``: ``prompt -> code`` on HumanEval's 164 problems; the verifier runs the docstring's
  own examples in the sandbox (``examples_reward``: the hidden tests are never seen), the metric runs
  the hidden tests. pass@k (any sample right: the oracle ceiling), majority, naive (the sample the
  verifier scores highest) and weighted at each budget: the verifier's effect is selected@k against
  pass@k.
- ``last_letters``, ``coin_flip``: the self-consistency literature's symbolic tasks, generated with a
  seed, as ``ChainOfThought``; exact-match answers; majority and weighted (an LLM judge on the same
  model, shown the program's task, inputs and outputs).
- ``passage_verdict``: ``passage, question -> verdict: Literal['yes', 'no']`` as ``Predict``, the same
  selections.

The generated tasks' programs get three demos the DSPy way (``dspy.LabeledFewShot(k=3)`` on examples of
another seed, with worked reasoning where the program reasons), which the embedded model's prompt
shows as earlier turns; HumanEval runs zero-shot.

Everything lives under ``--work``: rerun the same command to resume, no finished call is repeated.
The tables are printed (and written to ``WORK/any_program.md``); the last line is JSON with every figure.

    .venv/bin/python benchmarks/any_program.py [--tasks humaneval,last_letters,coin_flip,passage_verdict]
        [--per-level 10] [--humaneval-limit 164] [--budgets 1,2,4,8,16] [--workers 1] [--work runs/any_program]
"""

from __future__ import annotations

import argparse
import json
import logging
import time
from pathlib import Path

TASKS = ("humaneval", "last_letters", "coin_flip", "passage_verdict")
DEMO_SEED = 1  # the demos' questions; the evaluated ones are seed 0


def main() -> None:
    args = _arguments()
    logging.getLogger("dspy.clients.lm").setLevel(logging.ERROR)  # DSPy warns of every truncated sample
    from ttc_modules.config import load_settings
    from ttc_modules.lm import build_lm, configure_cache

    settings = load_settings()
    configure_cache(settings)
    lm, work, started = build_lm(settings), Path(args.work), time.perf_counter()
    budgets = [int(b) for b in args.budgets.split(",")]
    figures, tables = {}, []
    for name in args.tasks.split(","):
        summary = _evaluate(name, lm, budgets, args, work / name)
        figures[name] = _accuracies(summary)
        tables.append(_table(name, summary))
        print(f"{name} done ({time.perf_counter() - started:.0f} s so far)", flush=True)
    text = "\n\n".join(tables)
    (work / "any_program.md").write_text(text + "\n")
    print(text)
    print(f"total {time.perf_counter() - started:.0f} s")
    print(json.dumps({"model": lm.model, "budgets": budgets, "accuracy": figures}))


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", default=",".join(TASKS), help=f"some of {', '.join(TASKS)}")
    parser.add_argument("--per-level", type=int, default=10, help="generated questions per level")
    parser.add_argument("--humaneval-limit", type=int, default=164, help="HumanEval problems (the first K)")
    parser.add_argument("--budgets", default="1,2,4,8,16")
    parser.add_argument("--workers", type=int, default=1, help="questions at once (1 reproduces exactly)")
    parser.add_argument("--work", default="runs/any_program")
    return parser.parse_args()


def _task(name: str, lm, args):
    """(program, examples, metric, verifier, strategies) of the task ``name``."""
    import dspy

    from ttc_modules.tasks import coin_flip, humaneval, last_letters, passage_verdict
    from ttc_modules.verifiers import LLMJudge

    if name == "humaneval":
        return (humaneval.CompleteFunction, humaneval.examples(limit=args.humaneval_limit), humaneval.metric,
                humaneval.examples_reward, ["pass", "majority", "naive", "weighted"])
    programs = {"last_letters": (last_letters, dspy.ChainOfThought(last_letters.LastLetters)),
                "coin_flip": (coin_flip, dspy.ChainOfThought(coin_flip.CoinFlip)),
                "passage_verdict": (passage_verdict, dspy.Predict(passage_verdict.PassageVerdict))}
    module, program = programs[name]
    demos = module.examples(1, seed=DEMO_SEED)  # one per level, of another seed than the questions
    program = dspy.LabeledFewShot(k=3).compile(program, trainset=demos)
    return (program, module.examples(args.per_level), module.metric, LLMJudge(lm=lm, mode="outcome"),
            ["pass", "majority", "weighted"])


def _evaluate(name: str, lm, budgets: list[int], args, out: Path) -> dict:
    from ttc_modules.evaluation.harness import Evaluation

    program, examples, metric, verifier, strategies = _task(name, lm, args)
    return Evaluation(examples, lm, verifier, strategies, budgets, out, workers=args.workers, program=program,
                      metric=metric).run()


def _accuracies(summary: dict) -> dict:
    return {strategy: {budget: round(cells["all"]["accuracy"], 4) for budget, cells in by_budget.items()}
            for strategy, by_budget in summary["accuracy"].items()}


def _table(name: str, summary: dict) -> str:
    from ttc_modules.evaluation.report import markdown_table

    spent = (f"{summary['questions']} questions; backend calls {summary['backend_calls']}, "
             f"unparsed samples {summary.get('unparsed', 0)}")
    return f"**{name}** ({spent})\n\n{markdown_table(summary).rstrip()}"


if __name__ == "__main__":
    main()
