"""Tokens per second of the embedded model: concurrent requests versus one after another versus n in one request.

Continuous batching should let 8 concurrent one-sample requests with different prompts gain about as
much over the same 8 sent one after another as 8 samples in one request gain over one sample (goal:
at least 90% of that gain). All rows come from one run, through LiteLLM as a program would call it:

    .venv/bin/python benchmarks/local_throughput.py [--model local/gemma3-270m] [--max-tokens 128]

Prints one row per way of asking (wall seconds, completion tokens, tokens/s) and the two gains, then
one JSON line with ``speedup`` (concurrent over one after another) and ``in_request_speedup`` (n=8
in one request over n=1). Nothing is cached: every row is generated afresh.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from concurrent.futures import ThreadPoolExecutor

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

TOPICS = ["apples", "pears", "cats", "dogs", "stars", "cars", "birds", "coins"]


def ask(model: str, topic: str, n: int, max_tokens: int, seed: int) -> int:
    """One request; returns its completion tokens."""
    import litellm

    messages = [{"role": "user", "content": f"Write a short story about a robot who learns to count {topic}."}]
    reply = litellm.completion(model=model, messages=messages, n=n, max_tokens=max_tokens, temperature=0.8,
                               seed=seed, num_retries=0)
    return reply.usage.completion_tokens


def timed(work) -> tuple[float, int]:
    start = time.perf_counter()
    tokens = work()
    return time.perf_counter() - start, tokens


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="local/smollm2-135m-instruct")
    parser.add_argument("--max-tokens", type=int, default=128)
    args = parser.parse_args()

    from ttc_modules.lm.embedded import register
    from ttc_modules.lm.embedded.provider import engine_for

    register()
    engine_for(args.model)  # load outside the timed region
    ask(args.model, "warm-up", 1, 8, seed=0)
    m, k = args.model, args.max_tokens
    rows = {
        "1 request, n=1": timed(lambda: ask(m, TOPICS[0], 1, k, seed=1)),
        "8 requests one after another": timed(lambda: sum(ask(m, t, 1, k, seed=2) for t in TOPICS)),
        "8 requests at once": timed(lambda: sum(ThreadPoolExecutor(8).map(lambda t: ask(m, t, 1, k, 3), TOPICS))),
        "1 request, n=8": timed(lambda: ask(m, TOPICS[0], 8, k, seed=4)),
        "1 request, n=32": timed(lambda: ask(m, TOPICS[0], 32, k, seed=5)),
    }
    rate = {name: tokens / seconds for name, (seconds, tokens) in rows.items()}
    print(f"model {args.model}, max_tokens {k}, {os.cpu_count()} cores")
    print(f"{'requests':<30} {'seconds':>8} {'tokens':>7} {'tok/s':>8}")
    for name, (seconds, tokens) in rows.items():
        print(f"{name:<30} {seconds:>8.2f} {tokens:>7} {rate[name]:>8.1f}")
    speedup = rate["8 requests at once"] / rate["8 requests one after another"]
    in_request = rate["1 request, n=8"] / rate["1 request, n=1"]
    print(f"8 requests at once over one after another: {speedup:.2f}x; n=8 in one request over n=1: "
          f"{in_request:.2f}x; share of the in-request gain: {speedup / in_request:.0%} (goal >= 90%)")
    print(json.dumps({"model": args.model, "speedup": round(speedup, 2), "in_request_speedup": round(in_request, 2),
                      "share_of_in_request_gain": round(speedup / in_request, 2),
                      "tokens_per_second": {name: round(r, 1) for name, r in rate.items()}}))


if __name__ == "__main__":
    main()
