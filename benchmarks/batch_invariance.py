"""How often a sample's text depends on what else the engine did: earlier requests, or its batch.

A sample should depend only on its prompt, settings and seed. llama.cpp's CPU arithmetic is not
exactly the same for every way a prompt reaches the model: alone or beside other sequences in
the batch (matrix products are split differently), prefilled whole or after a prefix kept in its
slot from an earlier request (``cache_prompt``), so a token whose top probabilities nearly tie
can come out otherwise. This script draws the same samples three times: alone, one request at a
time; alone again in the reverse order (what differs is what the slots kept from earlier
requests); and all at once (sharing the batch). It prints the share of texts identical to the
first pass, for greedy and sampled decoding, with bare questions and with the few-shot chat every
strategy sends (``ttc_modules/prompts.py``). Nothing is cached.

    .venv/bin/python benchmarks/batch_invariance.py [--prompts 6] [--seeds 2] [--max-tokens 64]

Ends with one JSON line of the shares (1.0 = every text identical).
"""

from __future__ import annotations

import argparse
import json
import os
from concurrent.futures import ThreadPoolExecutor

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")


def requests(prompts: int, seeds: int, max_tokens: int, temperature: float, few_shot: bool) -> list[dict]:
    from ttc_modules.evaluation.synthetic import make_problems
    from ttc_modules.prompts import chat_messages

    questions = [p["question"] for p in make_problems(prompts, 2, seed=11)]
    chat = chat_messages if few_shot else (lambda q: [{"role": "user", "content": q}])
    return [{"messages": chat(q), "max_tokens": max_tokens, "temperature": temperature, "top_k": 0, "min_p": 0.0,
             "seed": seed} for q in questions for seed in range(seeds)]


def identical_shares(engine, batch: list[dict]) -> dict:
    """Shares of texts identical to one-at-a-time decoding: in the reverse order, and all at once."""
    text = lambda request: engine.complete(request, chat=True).samples[0].text  # noqa: E731
    alone = [text(request) for request in batch]
    reverse = [text(request) for request in reversed(batch)][::-1]
    with ThreadPoolExecutor(len(batch)) as pool:
        together = list(pool.map(text, batch))
    share = lambda other: round(sum(a == b for a, b in zip(alone, other, strict=True)) / len(batch), 3)  # noqa: E731
    return {"reverse_order": share(reverse), "together": share(together)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="local/smollm2-135m-instruct")
    parser.add_argument("--prompts", type=int, default=6)
    parser.add_argument("--seeds", type=int, default=2)
    parser.add_argument("--max-tokens", type=int, default=64)
    args = parser.parse_args()

    from ttc_modules.lm.embedded.provider import engine_for

    _, engine = engine_for(args.model)
    figures = {}
    for prompt in ("bare", "few-shot"):
        for decoding, temperature, seeds in (("greedy", 0.0, 1), ("sampled", 0.8, args.seeds)):
            batch = requests(args.prompts, seeds, args.max_tokens, temperature, prompt == "few-shot")
            shares = figures[f"{prompt}_{decoding}"] = identical_shares(engine, batch)
            print(f"{args.model}, {prompt} prompts, {decoding} ({len(batch)} samples of {args.max_tokens} tokens at "
                  f"most): identical to one at a time in the reverse order {shares['reverse_order']:.0%}, "
                  f"all at once {shares['together']:.0%}", flush=True)
    print(json.dumps({"model": args.model, **figures}))


if __name__ == "__main__":
    main()
