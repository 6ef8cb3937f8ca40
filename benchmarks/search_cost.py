"""What step-level search costs in wall time next to best-of-N at the same number of generations.

Beam search (N, beam width M) and lookahead (k) are made of many small requests in rounds; best-of-N
is one request of N samples. With continuous batching the rounds' requests share the decoding
batch, so search should cost about what its generations cost (goal on the embedded model: beam
search at most 1.5x the wall time of best-of-N). Each strategy answers the same questions, one after
another, with the arithmetic checker as the process verifier and no cache, on the embedded model
and on our loopback OpenAI server's text route (a fixed delay per request, solutions of ``--steps``
steps: what the rounds cost in round trips; a round's prefixes go in one request, docs/lm.md).

    .venv/bin/python benchmarks/search_cost.py [--questions 3] [--level 1] [--n 16] [--beam-width 4] [--k 1]
        [--no-lookahead] [--backends embedded,loopback] [--delay 0.05] [--steps 3]

Prints, per backend and strategy, the wall seconds, LM calls and completion tokens, and two ratios to
best-of-N: of wall time, and of wall time per completion token (what the engine makes of the
search's requests, whatever their number and length); then one JSON line whose
``beam_over_best_of_n`` is the embedded model's wall-time ratio.
"""

from __future__ import annotations

import argparse
import json
import os
import time

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")


def strategies(args) -> dict:
    from ttc_modules import BeamSearch, BestOfN, LookaheadSearch

    n, width = args.n, args.beam_width
    makers = {"best_of_n": lambda **kw: BestOfN(n=n, selection="weighted", **kw),
              "beam_search": lambda **kw: BeamSearch(n=n, beam_width=width, **kw),
              "lookahead": lambda **kw: LookaheadSearch(n=n, beam_width=width, k=args.k, **kw)}
    return {name: make for name, make in makers.items() if name != "lookahead" or not args.no_lookahead}


def run(make, lm, questions: list[str]) -> dict:
    """Answer ``questions`` one after another; wall seconds, LM calls and completion tokens."""
    from ttc_modules.budget import BudgetMeter
    from ttc_modules.verifiers import ArithmeticChecker

    solver, meter = make(lm=lm, verifier=ArithmeticChecker()), BudgetMeter()
    start = time.perf_counter()
    with meter.active():
        for question in questions:
            solver(question=question)
    spent = meter.spent()
    return {"seconds": time.perf_counter() - start, "calls": spent["lm_calls"],
            "tokens": spent["completion_tokens"]}


def backends(args):
    """(name, lm) pairs; the loopback server runs while its pair is in use."""
    from ttc_modules.lm import TTCLM
    from ttc_modules.lm.embedded import register
    from ttc_modules.testing import OpenAIStubServer
    from ttc_modules.testing.openai_stub_server import steps_responder

    register()
    yield "embedded", TTCLM(args.model, cache=False, temperature=0.8, max_tokens=args.max_tokens)
    if "loopback" not in args.backends:
        return
    with OpenAIStubServer(delay=args.delay, concurrency=args.n, responder=steps_responder(args.steps)) as server:
        yield "loopback", TTCLM("hosted_vllm/stub-model", api_base=server.base_url, model_type="text", cache=False,
                                temperature=0.8, max_tokens=args.max_tokens)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="local/smollm2-135m-instruct")
    parser.add_argument("--questions", type=int, default=3)
    parser.add_argument("--level", type=int, default=1)
    parser.add_argument("--n", type=int, default=16)
    parser.add_argument("--beam-width", type=int, default=4)
    parser.add_argument("--k", type=int, default=1)
    parser.add_argument("--max-tokens", type=int, default=256)
    parser.add_argument("--delay", type=float, default=0.05, help="the loopback server's seconds per request")
    parser.add_argument("--steps", type=int, default=3, help="steps of the loopback server's solutions")
    parser.add_argument("--no-lookahead", action="store_true", help="best-of-N and beam search only")
    parser.add_argument("--backends", default="embedded,loopback", help="the embedded model always runs")
    args = parser.parse_args()

    from ttc_modules.evaluation.synthetic import make_problems

    questions = [p["question"] for p in make_problems(args.questions, args.level, seed=7)]
    print(f"{args.questions} level-{args.level} questions; N={args.n}, M={args.beam_width}, lookahead k={args.k}; "
          f"arithmetic checker; no cache")
    print(f"{'backend':<10} {'strategy':<12} {'seconds':>8} {'calls':>6} {'tokens':>7} {'vs best-of-N':>13} "
          f"{'per token':>10}")
    figures: dict[str, dict] = {}
    for backend, lm in backends(args):
        rows = {name: run(make, lm, questions) for name, make in strategies(args).items()}
        base = rows["best_of_n"]
        for row in rows.values():
            row["over_best_of_n"] = round(row["seconds"] / base["seconds"], 2)
            row["per_token_over_best_of_n"] = round(row["seconds"] / max(1, row["tokens"]) /
                                                    (base["seconds"] / max(1, base["tokens"])), 2)
            row["seconds"] = round(row["seconds"], 2)
        for name, row in rows.items():
            print(f"{backend:<10} {name:<12} {row['seconds']:>8.1f} {row['calls']:>6} {row['tokens']:>7} "
                  f"{row['over_best_of_n']:>12.2f}x {row['per_token_over_best_of_n']:>9.2f}x")
        figures[backend] = rows
    print(f"beam search over best-of-N on the embedded model: {figures['embedded']['beam_search']['over_best_of_n']}x "
          "(goal <= 1.5x)")
    print(json.dumps({"beam_over_best_of_n": figures["embedded"]["beam_search"]["over_best_of_n"],
                      "beam_per_token_over_best_of_n": figures["embedded"]["beam_search"]["per_token_over_best_of_n"],
                      "lookahead_over_best_of_n": figures["embedded"].get("lookahead", {}).get("over_best_of_n"),
                      "loopback_beam_over_best_of_n":
                          figures.get("loopback", {}).get("beam_search", {}).get("over_best_of_n"),
                      "figures": figures}))


if __name__ == "__main__":
    main()
