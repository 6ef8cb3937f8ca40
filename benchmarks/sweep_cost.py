"""What a paper-sized sweep costs: requests, tokens, FLOPs and GPU-hours, before running it.

The sweep: ``ttc calibrate`` on MATH-500's development half, then ``ttc eval`` of every strategy on
its held-out half (Q questions each), at budgets 4 to 256 generations, with a policy model of
P_POLICY parameters and a PRM of P_PRM. The plans are the project's own search space
(``planners.search_space.plans``: every kind, every width, at each budget); best-of-N variants
(majority, weighted, naive, pass@k) are all read from one sample bank of N_max samples per question,
as the harness does. FLOPs are the project's accounting (``2 x params x tokens``, prompt and
completion, as ``BudgetMeter`` records them; a PRM call is a prompt only).

What a request looks like comes from how the strategies send them (one request carries ``n``
samples where vLLM takes ``n``): a solution of S steps of T_STEP tokens after a few-shot prompt of
PROMPT tokens; step-level search asks for one step per round for S rounds and the PRM scores every
prefix each round; revisions see up to four earlier attempts. Prompt tokens are counted in full: vLLM's
prefix cache makes most of them cheap, so the prefill figures are upper bounds. GPU-hours divide
FLOPs by a GPU's peak times the fraction of it reached (decode is memory-bound: a low fraction).
Every assumption is a flag. The last line is JSON.

    .venv/bin/python benchmarks/sweep_cost.py [--questions 250] [--replicas 8] [--policy-params 1.5e9] [--prm-params 7e9]
"""

from __future__ import annotations

import argparse
import json
from collections import defaultdict
from dataclasses import dataclass

from planners.search_space import plans


@dataclass(frozen=True)
class Shape:
    """Token sizes of one solution."""

    prompt: int  # few-shot prompt with the question
    steps: int  # steps in a solution
    step_tokens: int  # tokens in a step

    @property
    def solution(self) -> int:
        return self.steps * self.step_tokens

    def partial(self) -> int:
        """The average partial solution a step-level request or PRM call carries."""
        return self.solution // 2


@dataclass
class Cost:
    requests: float = 0.0
    prompt_tokens: float = 0.0
    completion_tokens: float = 0.0
    prm_calls: float = 0.0
    prm_tokens: float = 0.0

    def add(self, other: Cost, times: float = 1.0) -> None:
        for field in vars(self):
            setattr(self, field, getattr(self, field) + times * getattr(other, field))


def bank(n: int, shape: Shape) -> Cost:
    """One question's sample bank: one request of n samples; the PRM scores each whole solution once."""
    return Cost(requests=1, prompt_tokens=shape.prompt, completion_tokens=n * shape.solution,
                prm_calls=n, prm_tokens=n * (shape.prompt + shape.solution))


def step_search(samples_per_round: int, requests_per_round: int, shape: Shape) -> Cost:
    """Beam search, DVTS, lookahead, particle filtering: a step per sample per round for S rounds, each
    prefix scored by the PRM each round."""
    rounds = shape.steps
    context = shape.prompt + shape.partial()
    return Cost(requests=rounds * requests_per_round, prompt_tokens=rounds * requests_per_round * context,
                completion_tokens=rounds * samples_per_round * shape.step_tokens,
                prm_calls=rounds * samples_per_round, prm_tokens=rounds * samples_per_round * context)


def revisions(parallel: int, sequential: int, shape: Shape) -> Cost:
    """Chains of attempts, each seeing up to four earlier ones; every attempt scored once."""
    context = sum(shape.prompt + min(i, 4) * shape.solution for i in range(sequential))
    return Cost(requests=parallel * sequential, prompt_tokens=parallel * context,
                completion_tokens=parallel * sequential * shape.solution, prm_calls=parallel * sequential,
                prm_tokens=parallel * (context + sequential * shape.solution))


def plan_cost(kind: str, options: dict, shape: Shape) -> Cost:
    """One question's cost of one search plan (best-of-N plans cost nothing here: they read the bank)."""
    if kind in ("beam_search", "dvts"):
        n, width = options["n"], options["beam_width"]
        return step_search(n, n // width, shape)  # n // width requests of width samples a round
    if kind == "lookahead":  # n beams, each step also rolled out k more steps at temperature 0
        n, k = options["n"], options["k"]
        return step_search(n * (k + 1), n * (1 + k), shape)
    if kind == "particle_filtering":
        return step_search(options["n"], options["n"], shape)
    if kind == "revisions":
        return revisions(options["n_parallel"], options["n_sequential"], shape)
    raise ValueError(f"no cost model for {kind}")


def sweep(budgets: list[int], questions: int, shape: Shape) -> tuple[Cost, dict]:
    """Calibration on one half plus evaluation on the other: the whole sweep, and its cost by kind."""
    total, by_kind = Cost(), defaultdict(Cost)
    per_question = bank(max(budgets), shape)
    by_kind["best_of_n (bank)"].add(per_question, 2 * questions)
    for budget in budgets:
        for plan in plans(budget):
            if plan.kind != "best_of_n":
                by_kind[plan.kind].add(plan_cost(plan.kind, plan.options, shape), 2 * questions)
    for cost in by_kind.values():
        total.add(cost)
    return total, dict(by_kind)


def gpu_hours(tokens_prefill: float, tokens_decode: float, params: float, peak: float, prefill_share: float,
              decode_share: float) -> float:
    """Hours of one GPU for ``2 x params x tokens`` FLOPs, prefill and decode at their shares of the peak."""
    return (2 * params * tokens_prefill / (peak * prefill_share) + 2 * params * tokens_decode / (peak * decode_share)) / 3600


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=int, default=250, help="questions in each half of MATH-500")
    parser.add_argument("--budgets", default="4,8,16,32,64,128,256")
    parser.add_argument("--policy-params", type=float, default=1.5e9)
    parser.add_argument("--prm-params", type=float, default=7e9)
    parser.add_argument("--prompt-tokens", type=int, default=1000, help="few-shot prompt with the question")
    parser.add_argument("--steps", type=int, default=10, help="steps in a solution")
    parser.add_argument("--step-tokens", type=int, default=40)
    parser.add_argument("--gpu-flops", type=float, default=312e12, help="a GPU's peak (A100, bf16 dense)")
    parser.add_argument("--prefill-share", type=float, default=0.4, help="fraction of the peak reached in prefill")
    parser.add_argument("--decode-share", type=float, default=0.1, help="fraction of the peak reached in decode")
    parser.add_argument("--replicas", type=int, default=8, help="vLLM replicas (one GPU each) sharing the sweep")
    args = parser.parse_args()
    budgets = [int(b) for b in args.budgets.split(",")]
    shape = Shape(args.prompt_tokens, args.steps, args.step_tokens)
    total, by_kind = sweep(budgets, args.questions, shape)
    print(f"calibrate + eval: 2 x {args.questions} questions, budgets {budgets}, policy {args.policy_params:.3g} "
          f"params, PRM {args.prm_params:.3g}; a solution: {shape.steps} steps x {shape.step_tokens} tokens after "
          f"a {shape.prompt}-token prompt")
    print(f"{'':22}{'requests':>12}{'prompt tok':>14}{'completion tok':>16}{'PRM calls':>12}{'PRM tokens':>14}")
    for kind, cost in [*by_kind.items(), ("total", total)]:
        print(f"{kind:22}{cost.requests:12.3g}{cost.prompt_tokens:14.3g}{cost.completion_tokens:16.3g}"
              f"{cost.prm_calls:12.3g}{cost.prm_tokens:14.3g}")
    policy_hours = gpu_hours(total.prompt_tokens, total.completion_tokens, args.policy_params, args.gpu_flops,
                             args.prefill_share, args.decode_share)
    prm_hours = gpu_hours(total.prm_tokens, 0, args.prm_params, args.gpu_flops, args.prefill_share, args.decode_share)
    flops = 2 * args.policy_params * (total.prompt_tokens + total.completion_tokens) + 2 * args.prm_params * total.prm_tokens
    print(f"FLOPs: {flops:.3g}; GPU-hours: policy {policy_hours:.1f}, PRM {prm_hours:.1f}, "
          f"{policy_hours + prm_hours:.1f} in all; on {args.replicas} replicas: "
          f"{(policy_hours + prm_hours) / args.replicas:.1f} h of wall time")
    print(json.dumps({"requests": round(total.requests), "prompt_tokens": round(total.prompt_tokens),
                      "completion_tokens": round(total.completion_tokens), "prm_calls": round(total.prm_calls),
                      "prm_tokens": round(total.prm_tokens), "flops": flops, "gpu_hours": round(policy_hours + prm_hours, 1),
                      "policy_gpu_hours": round(policy_hours, 1), "prm_gpu_hours": round(prm_hours, 1),
                      "replicas": args.replicas, "wall_hours": round((policy_hours + prm_hours) / args.replicas, 1)}))


if __name__ == "__main__":
    main()
