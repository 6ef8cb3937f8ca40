"""Scale-out: evaluation throughput (questions per second) on 1, 2 and 4 Ray workers, and on 1 versus 3 endpoints.

Stub OpenAI servers of ours, each a process of its own, answer after a fixed latency. A local Ray
cluster is started once (its start is not timed), and untimed evaluations spawn the worker
processes (each builds its LiteLLM Router). Then each configuration evaluates Q new synthetic questions (majority voting at budget 4:
one request of 4 samples per question, a text model) from an empty cache, and its throughput is
``Q / wall seconds`` of ``Evaluation.run``.

- Workers: 1, 2 and 4 Ray workers against one endpoint that serves any number of requests at once.
  Ideal: k workers answer k times as many questions per second as one; goal >= 0.8 of that at 4.
- Endpoints: W workers against one endpoint, then three (``backend.deployments``, LiteLLM's Router,
  simple-shuffle), each serving C requests at once, so one endpoint is the bottleneck. Ideal: three
  endpoints answer three times as many questions per second as one, or W per latency, whichever is
  less. (Each worker process routes on its own, so requests that land on a busy endpoint wait while
  another is idle: random routing of W requests over 3 C places falls short of the ideal.)

The last line is JSON.

    .venv/bin/python benchmarks/scale_out.py [--questions 40] [--latency 0.2] [--capacity 2] [--endpoint-workers 6]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import tempfile
from pathlib import Path

import ray

from ttc_modules.config import load_settings
from ttc_modules.evaluation.datasets import load_synthetic
from ttc_modules.evaluation.harness import Evaluation
from ttc_modules.evaluation.workers import LOCAL, RayWorkers
from ttc_modules.lm import build_lm
from ttc_modules.lm.cache import configure_cache
from ttc_modules.testing import StubServerProcess

GOAL = 0.8  # of linear throughput at 4 workers


def questions_per_second(endpoints: list[str], workers: int, questions: int, seed: int, scratch: Path) -> float:
    """Throughput of one evaluation of ``questions`` new questions on ``workers`` Ray workers, from an empty cache."""
    backend = {"model": "openai/stub-model", "model_type": "text", "max_tokens": 32}
    backend.update({"api_base": endpoints[0]} if len(endpoints) == 1 else
                   {"deployments": [{"api_base": url} for url in endpoints]})
    settings = load_settings(overrides={"backend": backend, "cache": {"dir": str(scratch / f"cache-{seed}")},
                                        "concurrency": 64})
    configure_cache(settings)
    examples = load_synthetic(questions // 5, seed=seed)  # five levels
    summary = Evaluation(examples, build_lm(settings), None, ["majority"], [4], scratch / f"out-{seed}",
                         progress=False, workers=RayWorkers(LOCAL, workers)).run()
    return len(examples) / summary["wall_seconds"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=int, default=40, help="questions per configuration (a multiple of 5)")
    parser.add_argument("--latency", type=float, default=0.2, help="seconds a stub server takes per request")
    parser.add_argument("--capacity", type=int, default=2, help="requests one endpoint serves at once (endpoints part)")
    parser.add_argument("--endpoint-workers", type=int, default=6, help="Ray workers in the endpoints part")
    args = parser.parse_args()
    most = max(4, args.endpoint_workers)
    ray.init(num_cpus=most, include_dashboard=False, logging_level="WARNING", log_to_driver=False)
    seeds = iter(range(100, 1000))
    with tempfile.TemporaryDirectory() as scratch, contextlib.ExitStack() as servers:
        open_endpoint = servers.enter_context(StubServerProcess(delay=args.latency)).base_url
        limited = [servers.enter_context(StubServerProcess(delay=args.latency, concurrency=args.capacity)).base_url
                   for _ in range(3)]
        for endpoints in ([open_endpoint], limited):  # spawns the workers; each builds its Router
            questions_per_second(endpoints, most, most * 5, next(seeds), Path(scratch))
        by_workers = {k: questions_per_second([open_endpoint], k, args.questions, next(seeds), Path(scratch))
                      for k in (1, 2, 4)}
        by_endpoints = {n: questions_per_second(limited[:n], args.endpoint_workers, args.questions, next(seeds),
                                                Path(scratch)) for n in (1, 3)}
    linear = {k: rate / (k * by_workers[1]) for k, rate in by_workers.items()}
    endpoint_ideal = min(3 * by_endpoints[1], args.endpoint_workers / args.latency)
    endpoint_fraction = by_endpoints[3] / endpoint_ideal
    print(f"{args.questions} questions per configuration, latency {args.latency} s, majority voting at budget 4")
    for k, rate in by_workers.items():
        print(f"{k} worker(s), one endpoint:  {rate:6.2f} questions/s  ({linear[k]:.2f} of linear)")
    for n, rate in by_endpoints.items():
        print(f"{args.endpoint_workers} workers, {n} endpoint(s) of {args.capacity} at once: {rate:6.2f} questions/s")
    print(f"three endpoints: {endpoint_fraction:.2f} of the ideal ({endpoint_ideal:.2f} questions/s); "
          f"4 workers: {linear[4]:.2f} of linear (goal >= {GOAL})")
    print(json.dumps({"linear_at_4": round(linear[4], 3), "goal": GOAL,
                      "questions_per_second": {str(k): round(v, 3) for k, v in by_workers.items()},
                      "endpoints_questions_per_second": {str(n): round(v, 3) for n, v in by_endpoints.items()},
                      "three_endpoints_of_ideal": round(endpoint_fraction, 3), "questions": args.questions,
                      "latency": args.latency, "capacity": args.capacity, "endpoint_workers": args.endpoint_workers}))


if __name__ == "__main__":
    main()
