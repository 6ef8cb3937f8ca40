"""Serving overhead: the same requests answered through ``ttc serve`` and by the library in process.

A stub OpenAI server of ours (its own process) answers after a fixed delay. ``ttc serve`` runs as a
command (its own process) with the default served model (best-of-N, budget B, majority voting) and
is asked by one ``aiohttp`` session in this process (lighter than ``httpx`` on the cores the server
shares with it); the library side awaits the same served model's program (``acall``) in this
process. Both start from empty caches and answer C requests untimed to warm up, then take turns over
K rounds: each round has R new questions (no cache answers them), asked C at a time of both sides,
in alternating order (the library first in odd rounds, the server first in even ones) so drift on a
shared machine falls on both. A round's ratio is served wall time over library wall time: what
HTTP, JSON, admission and the reply add. The headline is the median ratio; goal <= 1.10. The last
line is JSON.

    .venv/bin/python benchmarks/serve_overhead.py [--delay 0.05] [--requests 200] [--concurrency 16] [--budget 8] [--rounds 5]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import tempfile
import time
from pathlib import Path

import aiohttp
import yaml
from engine_overhead import server_process

from ttc_modules.config import load_settings
from ttc_modules.lm.cache import configure_cache
from ttc_modules.serving import ServedModels
from ttc_modules.serving.protocol import TTCOptions
from ttc_modules.serving.served_models import ServedModel
from ttc_modules.testing import ServeCommand

GOAL = 1.10


def config_for(base_url: str, cache_dir: str, concurrency: int, requests: int, budget: int) -> dict:
    return {"backend": {"model": "openai/stub-model", "api_base": base_url, "max_tokens": 64},
            "cache": {"dir": cache_dir}, "concurrency": concurrency,
            "served_models": {"ttc": {"budget": budget}},
            "serve": {"max_concurrency": concurrency, "max_queue": requests, "request_timeout": 600}}


async def timed(ask, questions: list[str], concurrency: int) -> float:
    """Seconds to answer every question with ``ask``, ``concurrency`` at a time."""
    gate = asyncio.Semaphore(concurrency)

    async def one(question: str):
        async with gate:
            await ask(question)

    start = time.perf_counter()
    await asyncio.gather(*(one(q) for q in questions))
    return time.perf_counter() - start


def library_asker(model: ServedModel):
    async def ask(question: str):
        program = model.program(TTCOptions(), None)
        await program.module.acall(question=question, **program.call_options)
    return ask


def served_asker(client: aiohttp.ClientSession, url: str):
    async def ask(question: str):
        async with client.post(url + "/v1/chat/completions",
                               json={"model": "ttc", "messages": [{"role": "user", "content": question}]}) as reply:
            reply.raise_for_status()
            await reply.read()
    return ask


def questions_from(first: int, size: int) -> list[str]:
    """``size`` questions, the first numbered ``first``: ranges that do not overlap ask different questions."""
    return [f"What is {i} + {i + 1}?" for i in range(first, first + size)]


async def paired_rounds(model: ServedModel, url: str, args) -> list[tuple[float, float]]:
    """(library seconds, served seconds) for each round, after one untimed warm-up batch on each side."""
    connector = aiohttp.TCPConnector(limit=args.concurrency)
    async with aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=600)) as client:
        sides = {"library": library_asker(model), "served": served_asker(client, url)}
        for ask in sides.values():
            await timed(ask, questions_from(0, args.concurrency), args.concurrency)
        rounds = []
        for number in range(args.rounds):
            questions = questions_from(args.concurrency + number * args.requests, args.requests)
            order = ["library", "served"] if number % 2 == 0 else ["served", "library"]
            walls = {side: await timed(sides[side], questions, args.concurrency) for side in order}
            rounds.append((walls["library"], walls["served"]))
            print(f"round {number + 1}: library {walls['library']:.2f} s, served {walls['served']:.2f} s, "
                  f"{walls['served'] / walls['library']:.3f}x ({' then '.join(order)})", flush=True)
        return rounds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--delay", type=float, default=0.05, help="seconds the stub server takes per request")
    parser.add_argument("--requests", type=int, default=200, help="requests per round and side")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--budget", type=int, default=8, help="generations per request (best-of-N)")
    parser.add_argument("--rounds", type=int, default=5, help="paired rounds; the headline is their median ratio")
    args = parser.parse_args()
    print(f"{args.requests} requests a round, {args.concurrency} at a time, budget {args.budget}, "
          f"backend delay {args.delay} s, {args.rounds} rounds", flush=True)
    with server_process(args.delay, 4 * args.concurrency) as base_url, tempfile.TemporaryDirectory() as scratch:
        library = load_settings(overrides=config_for(base_url, f"{scratch}/library", args.concurrency,
                                                     args.requests, args.budget))
        configure_cache(library)
        model = ServedModels.from_settings(library).get("ttc")
        config_path = Path(scratch) / "serve.yaml"
        config_path.write_text(yaml.safe_dump(config_for(base_url, f"{scratch}/served", args.concurrency,
                                                         args.requests, args.budget)))
        with ServeCommand(config_path) as server:
            rounds = asyncio.run(paired_rounds(model, server.url, args))
    ratios = [served / library for library, served in rounds]
    overhead = statistics.median(ratios)
    library_wall, served_wall = (sum(side) for side in zip(*rounds, strict=True))
    total = args.requests * args.rounds
    print(f"library in process: {library_wall:.2f} s in all ({total / library_wall:.1f} requests/s)")
    print(f"through ttc serve:  {served_wall:.2f} s in all ({total / served_wall:.1f} requests/s)")
    print(f"overhead: {overhead:.3f}x, the median of {args.rounds} rounds ({min(ratios):.3f}x to {max(ratios):.3f}x); "
          f"goal <= {GOAL}")
    print(json.dumps({"overhead": round(overhead, 3), "goal": GOAL, "round_ratios": [round(r, 3) for r in ratios],
                      "library_seconds": round(library_wall, 3), "served_seconds": round(served_wall, 3),
                      "requests": args.requests, "concurrency": args.concurrency, "budget": args.budget,
                      "delay": args.delay, "rounds": args.rounds}))


if __name__ == "__main__":
    main()
