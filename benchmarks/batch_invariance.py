"""How often a sample's text depends on what else shares the decoding batch.

A sample should depend only on its prompt, settings and seed. llama.cpp's CPU arithmetic is not
exactly the same for a sequence decoded alone and one decoded beside others (matrix products are
split differently), so a token whose top probabilities nearly tie can come out otherwise. This
script draws the same samples alone (one request at a time) and together (all requests at once,
sharing the batch), and prints the share of texts that came out identical, for greedy and sampled
decoding. Nothing is cached.

    .venv/bin/python benchmarks/batch_invariance.py [--prompts 8] [--seeds 4] [--max-tokens 64]

Ends with one JSON line with ``identical_greedy`` and ``identical_sampled`` (shares, 1.0 = every text).
"""

from __future__ import annotations

import argparse
import json
import os
from concurrent.futures import ThreadPoolExecutor

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")


def requests(prompts: int, seeds: int, max_tokens: int, temperature: float) -> list[dict]:
    from ttc_modules.evaluation.synthetic import make_problems

    questions = [p["question"] for p in make_problems(prompts, 2, seed=11)]
    return [{"messages": [{"role": "user", "content": q}], "max_tokens": max_tokens, "temperature": temperature,
             "top_k": 0, "min_p": 0.0, "seed": seed} for q in questions for seed in range(seeds)]


def identical_share(engine, batch: list[dict]) -> float:
    alone = [engine.complete(request, chat=True).samples[0].text for request in batch]
    with ThreadPoolExecutor(len(batch)) as pool:
        together = list(pool.map(lambda request: engine.complete(request, chat=True).samples[0].text, batch))
    return sum(a == b for a, b in zip(alone, together, strict=True)) / len(batch)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="local/smollm2-135m-instruct")
    parser.add_argument("--prompts", type=int, default=8)
    parser.add_argument("--seeds", type=int, default=4)
    parser.add_argument("--max-tokens", type=int, default=64)
    args = parser.parse_args()

    from ttc_modules.lm.embedded.provider import engine_for

    _, engine = engine_for(args.model)
    greedy = identical_share(engine, requests(args.prompts, 1, args.max_tokens, 0.0))
    sampled = identical_share(engine, requests(args.prompts, args.seeds, args.max_tokens, 0.8))
    print(f"{args.model}: texts identical alone and in a shared batch of {args.prompts * args.seeds} sequences: "
          f"greedy {greedy:.0%} of {args.prompts}, sampled at T=0.8 {sampled:.0%} of {args.prompts * args.seeds} "
          f"({args.max_tokens} tokens at most)")
    print(json.dumps({"model": args.model, "identical_greedy": round(greedy, 3), "identical_sampled": round(sampled, 3),
                      "sequences": args.prompts * args.seeds, "max_tokens": args.max_tokens}))


if __name__ == "__main__":
    main()
