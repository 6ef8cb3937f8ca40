"""Serving overhead: the same requests answered through ``ttc serve`` and by the library in process.

A stub OpenAI server of ours (its own process) answers after a fixed delay. The same R questions
(all different, so no request answers another's) are answered by the default served model
(best-of-N, budget B, majority voting) twice, each from an empty cache and C at a time:
in process, with the served model's program awaited (``acall``) from this process; and through
``ttc serve`` started as a command (its own process), by ``httpx`` clients from this one. The ratio
of the two wall times is the server's overhead (HTTP, JSON, admission, the reply); goal <= 1.10.
The last line is JSON.

    .venv/bin/python benchmarks/serve_overhead.py [--delay 0.05] [--requests 200] [--concurrency 16] [--budget 8]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
import time
from pathlib import Path

import httpx
import yaml
from engine_overhead import server_process

from ttc_modules.config import load_settings
from ttc_modules.lm.cache import configure_cache
from ttc_modules.serving import ServedModels
from ttc_modules.serving.protocol import TTCOptions
from ttc_modules.testing import ServeCommand

GOAL = 1.10


def config_for(base_url: str, cache_dir: str, concurrency: int, requests: int, budget: int) -> dict:
    return {"backend": {"model": "openai/stub-model", "api_base": base_url, "max_tokens": 64},
            "cache": {"dir": cache_dir}, "concurrency": concurrency,
            "served_models": {"ttc": {"budget": budget}},
            "serve": {"max_concurrency": concurrency, "max_queue": requests, "request_timeout": 600}}


async def in_process(config: dict, questions: list[str], concurrency: int) -> float:
    settings = load_settings(overrides=config)
    configure_cache(settings)
    model = ServedModels.from_settings(settings).get("ttc")
    gate = asyncio.Semaphore(concurrency)

    async def one(question: str):
        async with gate:
            program = model.program(TTCOptions(), None)
            return await program.module.acall(question=question, **program.call_options)

    start = time.perf_counter()
    await asyncio.gather(*(one(q) for q in questions))
    return time.perf_counter() - start


async def through_server(url: str, questions: list[str], concurrency: int) -> float:
    gate = asyncio.Semaphore(concurrency)
    async with httpx.AsyncClient(timeout=600, limits=httpx.Limits(max_connections=concurrency)) as client:
        async def one(question: str):
            async with gate:
                reply = await client.post(url + "/v1/chat/completions", json={
                    "model": "ttc", "messages": [{"role": "user", "content": question}]})
                reply.raise_for_status()

        start = time.perf_counter()
        await asyncio.gather(*(one(q) for q in questions))
        return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--delay", type=float, default=0.05, help="seconds the stub server takes per request")
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--budget", type=int, default=8, help="generations per request (best-of-N)")
    args = parser.parse_args()
    questions = [f"What is {i} + {i + 1}?" for i in range(args.requests)]
    with server_process(args.delay, 4 * args.concurrency) as base_url, tempfile.TemporaryDirectory() as scratch:
        library = in_process(config_for(base_url, f"{scratch}/library", args.concurrency, args.requests, args.budget),
                             questions, args.concurrency)
        library_wall = asyncio.run(library)
        config_path = Path(scratch) / "serve.yaml"
        config_path.write_text(yaml.safe_dump(config_for(base_url, f"{scratch}/served", args.concurrency,
                                                         args.requests, args.budget)))
        with ServeCommand(config_path) as server:
            served_wall = asyncio.run(through_server(server.url, questions, args.concurrency))
    ratio = served_wall / library_wall
    print(f"{args.requests} requests, {args.concurrency} at a time, budget {args.budget}, backend delay {args.delay} s")
    print(f"library in process: {library_wall:.2f} s ({args.requests / library_wall:.1f} requests/s)")
    print(f"through ttc serve:  {served_wall:.2f} s ({args.requests / served_wall:.1f} requests/s)")
    print(f"overhead: {ratio:.3f}x (goal <= {GOAL})")
    print(json.dumps({"overhead": round(ratio, 3), "goal": GOAL, "library_seconds": round(library_wall, 3),
                      "served_seconds": round(served_wall, 3), "requests": args.requests,
                      "concurrency": args.concurrency, "budget": args.budget, "delay": args.delay}))


if __name__ == "__main__":
    main()
