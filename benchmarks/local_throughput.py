"""Tokens per second of the embedded model at n = 1, 8 and 32 samples per request, and the ratio.

Batched decoding shares the prompt and decodes one token of every live sample per llama.cpp call,
so n samples should cost far less than n times one. Run on an otherwise idle machine:

    .venv/bin/python benchmarks/local_throughput.py [--model local/gemma3-270m] [--max-tokens 128]

Prints one row per n (wall seconds, completion tokens, tokens/s) and each n's tokens/s divided by
the n=1 figure. Nothing is cached: every row is generated afresh.
"""

from __future__ import annotations

import argparse
import json
import os
import time

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

PROMPT = [{"role": "user", "content": "Write a short story about a robot who learns to count apples."}]


def measure(model: str, n: int, max_tokens: int, seed: int) -> tuple[float, int]:
    import litellm

    start = time.perf_counter()
    reply = litellm.completion(model=model, messages=PROMPT, n=n, max_tokens=max_tokens, temperature=0.8,
                               seed=seed, num_retries=0)
    return time.perf_counter() - start, reply.usage.completion_tokens


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="local/smollm2-135m-instruct")
    parser.add_argument("--max-tokens", type=int, default=128)
    parser.add_argument("--sizes", default="1,8,32")
    args = parser.parse_args()

    from ttc_modules.lm.embedded import register
    from ttc_modules.lm.embedded.provider import engine_for

    register()
    engine_for(args.model)  # load outside the timed region
    measure(args.model, 1, 8, seed=0)  # warm up
    rows = []
    for n in [int(s) for s in args.sizes.split(",")]:
        seconds, tokens = measure(args.model, n, args.max_tokens, seed=1000 + n)
        rows.append((n, seconds, tokens, tokens / seconds))
    base = rows[0][3]
    print(f"model {args.model}, max_tokens {args.max_tokens}, {os.cpu_count()} cores")
    print(f"{'n':>4} {'seconds':>8} {'tokens':>7} {'tok/s':>8} {'vs n=1':>7}")
    for n, seconds, tokens, rate in rows:
        print(f"{n:>4} {seconds:>8.2f} {tokens:>7} {rate:>8.1f} {rate / base:>6.2f}x")
    print(json.dumps({"model": args.model, "tokens_per_second": {n: round(rate, 1) for n, _, _, rate in rows},
                      "speedup_vs_n1": {n: round(rate / base, 2) for n, _, _, rate in rows}}))


if __name__ == "__main__":
    main()
