"""Verifiers side by side on held-out questions: the arithmetic checker, a PRM learned here, an LLM judge.

The paper's pipeline end to end, on this machine, with the embedded model as the policy:

1. step labels from the policy's own Monte-Carlo rollouts (``StepLabeler``, as ``ttc label-steps``)
   on training questions (synthetic seed 1 and the first GSM8K training rows) and on held-out
   questions (synthetic seed 0 and the last GSM8K training rows: none of them trained on);
2. a ``LearnedPRM`` trained on the training labels (as ``ttc train-prm``);
3. for each held-out set and each verifier: the step AUROC (every step of the held-out labelled
   solutions, its process score against its hard label ``soft > 0``), the final-answer AUROC (the
   verifier's score of each best-of-N sample of the evaluation against its grade), and the
   accuracy of weighted best-of-N, beam search and particle filtering at each budget (the
   evaluation harness, every call cached).

Everything lives under ``--work``: rerun the same command to resume, no finished call is repeated.
The table is printed at the end, and the last line is JSON with every figure.

    .venv/bin/python benchmarks/verifier_comparison.py [--train-per-level 3] [--test-per-level 2]
        [--gsm8k-train 15] [--gsm8k-test 10] [--samples 4] [--rollouts 4] [--budgets 4,16]
        [--verifiers arithmetic,learned,judge] [--strategies weighted,beam_search,particle_filtering]
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path


def main() -> None:
    args = _arguments()
    from ttc_modules.config import load_settings
    from ttc_modules.lm import build_lm, configure_cache

    settings = load_settings()
    configure_cache(settings)
    lm, work, started = build_lm(settings), Path(args.work), time.perf_counter()
    work.mkdir(parents=True, exist_ok=True)
    train_sets, test_sets = _data(args)
    train_rows = [row for name, examples in train_sets.items()
                  for row in _labels(examples, lm, args, work / f"labels-train-{name}.jsonl")]
    verifiers = _verifiers(args.verifiers.split(","), train_rows, work / "prm", lm)
    table = []
    for name, examples in test_sets.items():
        test_rows = _labels(examples, lm, args, work / f"labels-test-{name}.jsonl")
        for label, verifier in verifiers.items():
            table.append({"data": name, "verifier": label, "step_auroc": _step_auroc(verifier, test_rows),
                          **_evaluate(examples, lm, verifier, args, work / "eval" / name / label)})
            print(f"{name} / {label} done ({time.perf_counter() - started:.0f} s so far): {json.dumps(table[-1])}",
                  flush=True)
    _print_table(table, args)
    print(f"total {time.perf_counter() - started:.0f} s")
    print(json.dumps({"rows": table, "questions": {name: len(examples) for name, examples in test_sets.items()}}))


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--train-per-level", type=int, default=3, help="synthetic training questions per level")
    parser.add_argument("--test-per-level", type=int, default=2, help="synthetic held-out questions per level")
    parser.add_argument("--gsm8k-train", type=int, default=15, help="first GSM8K training rows to label and train on")
    parser.add_argument("--gsm8k-test", type=int, default=10, help="last GSM8K training rows, held out")
    parser.add_argument("--samples", type=int, default=4, help="solutions labelled per question")
    parser.add_argument("--rollouts", type=int, default=4, help="Monte-Carlo rollouts per step prefix")
    parser.add_argument("--budgets", default="4,16", help="generation budgets of the strategies")
    parser.add_argument("--verifiers", default="arithmetic,learned,judge")
    parser.add_argument("--strategies", default="weighted,beam_search,particle_filtering")
    parser.add_argument("--max-rounds", type=int, default=6, help="rounds of step-level search at most")
    parser.add_argument("--work", default="runs/verifier_comparison")
    parser.add_argument("--seed", type=int, default=0)
    return parser.parse_args()


def _data(args) -> tuple[dict, dict]:
    from ttc_modules.evaluation.datasets import load_dataset, load_synthetic

    gsm8k = load_dataset("gsm8k")
    train = {"synthetic": load_synthetic(args.train_per_level, seed=1), "gsm8k": gsm8k[: args.gsm8k_train]}
    test = {"synthetic": load_synthetic(args.test_per_level, seed=0), "gsm8k": gsm8k[len(gsm8k) - args.gsm8k_test:]}
    return train, test


def _labels(examples: list, lm, args, out: Path) -> list[dict]:
    """Step labels of ``examples`` from the policy's own rollouts (cached and resumable under ``out``)."""
    from ttc_modules.evaluation.labelling import label_dataset
    from ttc_modules.evaluation.records import read_rows
    from ttc_modules.evaluation.step_labels import StepLabeler

    labeler = StepLabeler(lm, samples=args.samples, rollouts=args.rollouts, seed=args.seed)
    label_dataset(examples, labeler, out, progress=True)
    return [row for _, row in read_rows(out)]


def _verifiers(names: list[str], train_rows: list[dict], prm_dir: Path, lm) -> dict:
    from ttc_modules.verifiers import ArithmeticChecker, LLMJudge
    from ttc_modules.verifiers.prm_training import train_prm
    from ttc_modules.verifiers.step_features import StepFeatures

    built = {}
    for name in names:
        if name == "arithmetic":
            built[name] = ArithmeticChecker()
        elif name == "learned":
            prm, report = train_prm(train_rows, StepFeatures(embedding_model="local/smollm2-135m-instruct"))
            prm.save(prm_dir)
            print(f"learned PRM: trained on {report['train']['questions']} questions; on its own held-out "
                  f"{report['held_out']['questions']}: {json.dumps(report['held_out'])}")
            built[name] = prm
        elif name == "judge":
            built[name] = LLMJudge(lm=lm, mode="process")  # the policy judging itself
        else:
            raise SystemExit(f"unknown verifier {name!r}; use arithmetic, learned or judge")
    return built


def _step_auroc(verifier, rows: list[dict]) -> float | None:
    """AUROC of the verifier's process scores against the rollouts' hard labels, over every step."""
    from sklearn.metrics import roc_auc_score

    labels, scores = [], []
    for row in rows:
        labels += [int(label) for label in row["labels"]]
        scores += verifier.score({"question": row["prompt"]}, row["completions"])
    return round(float(roc_auc_score(labels, scores)), 3) if len(set(labels)) == 2 else None


def _evaluate(examples: list, lm, verifier, args, out: Path) -> dict:
    """Accuracy per strategy and budget, and the final-answer AUROC over the evaluation's own samples."""
    from sklearn.metrics import roc_auc_score

    from ttc_modules.evaluation.harness import Evaluation

    budgets = [int(b) for b in args.budgets.split(",")]
    evaluation = Evaluation(examples, lm, verifier, args.strategies.split(","), budgets, out, seed=args.seed,
                            progress=True, search_options={"max_rounds": args.max_rounds})
    summary = evaluation.run()
    samples = [s for example in examples for s in evaluation.bank.draw(example)["samples"]]
    correct = [int(s["correct"]) for s in samples]
    final = roc_auc_score(correct, [s["score"] for s in samples]) if len(set(correct)) == 2 else None
    accuracy = {f"{strategy}@{budget}": round(summary["accuracy"][strategy][str(budget)]["all"]["accuracy"], 3)
                for strategy in args.strategies.split(",") for budget in budgets}
    return {"final_auroc": None if final is None else round(float(final), 3), **accuracy}


def _print_table(table: list[dict], args) -> None:
    columns = ["data", "verifier", "step_auroc", "final_auroc"] + [
        f"{s}@{b}" for s in args.strategies.split(",") for b in args.budgets.split(",")]
    print("| " + " | ".join(columns) + " |")
    print("|" + "---|" * len(columns))
    for row in table:
        print("| " + " | ".join(str(row[column]) for column in columns) + " |")


if __name__ == "__main__":
    main()
