"""Which embedded model answers simple arithmetic word problems better? (chooses the default)

For each model and level: P problems, N samples each at temperature 0.8 through the same path as
``ttc solve`` (best-of-N: few-shot prompt, answer extraction, majority vote). Prints pass@1,
majority@N and pass@N per level and the wall time, then one JSON line of those figures.

    .venv/bin/python benchmarks/embedded_accuracy.py [--problems 20] [--samples 8] [--levels 1,2,3]
"""

from __future__ import annotations

import argparse
import json
import os
import time

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")


def evaluate(model: str, problems: list[dict], samples: int) -> dict:
    from ttc_modules import BestOfN
    from ttc_modules.config import load_settings
    from ttc_modules.lm import build_lm, configure_cache

    settings = load_settings(overrides={"backend.model": model, "backend.max_tokens": 160})
    configure_cache(settings)
    lm = build_lm(settings)
    pass1 = majority = pass_n = 0.0
    for i, problem in enumerate(problems):
        prediction = BestOfN(n=samples, selection="majority", lm=lm, seed=i * 1000)(question=problem["question"])
        answers = [prediction.graph.nodes[node]["answer"] for node in prediction.graph.successors(0)]
        pass1 += answers.count(problem["answer"]) / samples
        majority += prediction.answer == problem["answer"]
        pass_n += problem["answer"] in answers
    return {k: v / len(problems) for k, v in (("pass@1", pass1), ("maj@n", majority), ("pass@n", pass_n))}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default="local/smollm2-135m-instruct,local/gemma3-270m")
    parser.add_argument("--problems", type=int, default=20)
    parser.add_argument("--samples", type=int, default=8)
    parser.add_argument("--levels", default="1,2,3,4,5")
    args = parser.parse_args()

    from ttc_modules.evaluation.synthetic import make_problems

    print(f"{'model':<32} {'level':>5} {'pass@1':>7} {'maj@n':>7} {'pass@n':>7} {'seconds':>8}")
    figures = {}
    for model in args.models.split(","):
        for level in [int(x) for x in args.levels.split(",")]:
            start = time.perf_counter()
            scores = evaluate(model, make_problems(args.problems, level, seed=7), args.samples)
            print(f"{model:<32} {level:>5} {scores['pass@1']:>7.2f} {scores['maj@n']:>7.2f} "
                  f"{scores['pass@n']:>7.2f} {time.perf_counter() - start:>8.1f}")
            figures[f"{model} level {level}"] = {key: round(value, 3) for key, value in scores.items()}
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
