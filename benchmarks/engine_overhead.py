"""Engine overhead: how close best-of-N gets to the ideal wall time against a server of known latency.

A server of ours on 127.0.0.1 (in its own process) answers the OpenAI chat API after a fixed delay L and serves at most
C requests at once, so C x (1 / L) requests per second is the ceiling. Best-of-N over P prompts is
run by our ``BestOfN`` (one request per prompt carrying ``n``, prompts in parallel) and by
``dspy.BestOfN`` doing the same work (N calls per prompt, prompts in parallel with dspy.Parallel).
Ours runs twice: with ``n`` in one request (its default where the backend takes ``n``) and with one
sample per request (the same calls as dspy.BestOfN). For each, the script prints the wall time,
the backend calls made, and the overhead wall / (calls x L / C): 1.0 is a perfect engine (goal for
ours: at most 1.15); then the ratio of wall times for the same work. Two floors are measured in
the same run: the one-sample calls made with ``litellm.completion`` alone, and with the ``openai``
client alone, from the same number of threads (what any engine on LiteLLM, or on the bare client,
pays per call on this machine). Then a search: beam search (N=64, M=4) on the server's text route,
whose solutions take ``--rounds`` steps (the last states the answer), one question after another;
each round is one request (the prefixes as a list of prompts: ``ttc_modules/lm/prompt_lists.py``)
served in L whatever its size, so the ideal is questions x rounds x L (goal: at most 1.15x). Nothing
is cached. The last line is JSON: ``overhead`` is the one-sample-per-request figure, beside its
``goal``, ``litellm_floor`` and ``openai_floor``, then ``search_overhead`` beside ``search_goal``,
then the rest.

    .venv/bin/python benchmarks/engine_overhead.py [--delay 0.05] [--concurrency 8] [--prompts 50] [--n 64]
        [--searches 10] [--rounds 4]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import time
from concurrent.futures import ThreadPoolExecutor

from ttc_modules.testing import StubServerProcess

GOAL = 1.15  # wall / ideal for one sample per request
SEARCH_GOAL = 1.15  # wall / (rounds x L) for beam search
REPLY = "[[ ## reasoning ## ]]\n2 + 3 = 5.\n\n[[ ## answer ## ]]\n5\n\n[[ ## completed ## ]]"


@contextlib.contextmanager
def server_process(delay: float, concurrency: int):
    """The stub server in a process of its own (its work does not share our interpreter's lock), answering
    every choice with ``REPLY``; yields its base URL."""
    with StubServerProcess(delay, concurrency, reply=REPLY) as server:
        yield server.base_url


def run_ours(base_url: str, prompts: list[str], n: int, concurrency: int, batch: bool = True) -> tuple[float, int]:
    from ttc_modules import BestOfN
    from ttc_modules.lm import TTCLM

    lm = TTCLM("openai/stub-model", api_base=base_url, api_key="k", cache=False, concurrency=concurrency,
               temperature=0.8, max_tokens=64, batch_samples=batch)
    solver = BestOfN(n=n, selection="majority", lm=lm)
    start = time.perf_counter()
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        answers = list(pool.map(lambda q: solver(question=q).answer, prompts))
    assert all(a == "5" for a in answers), answers[:3]
    return time.perf_counter() - start, len(prompts) * (1 if batch else n)


def run_ours_unbatched(base_url: str, prompts: list[str], n: int, concurrency: int) -> tuple[float, int]:
    return run_ours(base_url, prompts, n, concurrency, batch=False)


def run_dspy(base_url: str, prompts: list[str], n: int, concurrency: int) -> tuple[float, int]:
    import dspy

    lm = dspy.LM("openai/stub-model", api_base=base_url, api_key="k", cache=False, temperature=0.8, max_tokens=64)
    program = dspy.BestOfN(dspy.ChainOfThought("question -> answer"), N=n, reward_fn=lambda args, pred: 0.0,
                           threshold=1.0)
    start = time.perf_counter()
    with dspy.context(lm=lm):
        results = dspy.Parallel(num_threads=concurrency, disable_progress_bar=True)(
            [(program, {"question": q}) for q in prompts])
    assert all(r.answer == "5" for r in results)
    return time.perf_counter() - start, len(prompts) * n


def run_litellm_alone(base_url: str, prompts: list[str], n: int, concurrency: int) -> tuple[float, int]:
    import litellm

    def call(prompt: str) -> str:
        return litellm.completion(model="openai/stub-model", api_base=base_url, api_key="k", temperature=0.8,
                                  max_tokens=64, messages=[{"role": "user", "content": prompt}]).choices[0]
    return _calls_in_threads(call, prompts, n, concurrency)


def run_openai_alone(base_url: str, prompts: list[str], n: int, concurrency: int) -> tuple[float, int]:
    import openai

    client = openai.OpenAI(base_url=base_url, api_key="k")

    def call(prompt: str) -> str:
        return client.chat.completions.create(model="stub-model", temperature=0.8, max_tokens=64,
                                              messages=[{"role": "user", "content": prompt}]).choices[0]
    return _calls_in_threads(call, prompts, n, concurrency)


def _calls_in_threads(call, prompts: list[str], n: int, concurrency: int) -> tuple[float, int]:
    """``n`` calls per prompt from ``concurrency`` threads: wall seconds and calls."""
    work = [f"{prompt} (sample {i})" for prompt in prompts for i in range(n)]
    start = time.perf_counter()
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        list(pool.map(call, work))
    return time.perf_counter() - start, len(work)


def run_beam_search(delay: float, concurrency: int, searches: int, rounds: int) -> tuple[float, int]:
    """``searches`` beam searches (N=64, M=4) one after another against a server whose solutions end in round
    ``rounds``: wall seconds, and the rounds they take in all (one request each: the ideal's unit)."""
    from ttc_modules import BeamSearch
    from ttc_modules.lm import TTCLM
    from ttc_modules.verifiers import ArithmeticChecker

    with StubServerProcess(delay, concurrency, steps=rounds - 1) as server:
        lm = TTCLM("hosted_vllm/stub-model", api_base=server.base_url, model_type="text", cache=False,
                   concurrency=concurrency, temperature=0.8, max_tokens=64)
        search = BeamSearch(n=64, beam_width=4, verifier=ArithmeticChecker(), lm=lm)
        start = time.perf_counter()
        spent = [search(question=f"Question {i}: what is 2 + 3?").spent for i in range(searches)]
        wall = time.perf_counter() - start
    assert all(each["generations"] == 64 for each in spent), spent[0]
    return wall, searches * rounds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--delay", type=float, default=0.05, help="L: seconds per request")
    parser.add_argument("--concurrency", type=int, default=8, help="C: requests the server serves at once")
    parser.add_argument("--prompts", type=int, default=50)
    parser.add_argument("--n", type=int, default=64)
    parser.add_argument("--searches", type=int, default=10, help="beam searches, one after another")
    parser.add_argument("--rounds", type=int, default=4, help="steps of each beam search's solutions")
    args = parser.parse_args()

    prompts = [f"Question {i}: what is 2 + 3?" for i in range(args.prompts)]
    print(f"best-of-{args.n} over {args.prompts} prompts; server delay L = {args.delay} s, concurrency C = "
          f"{args.concurrency}")
    print(f"{'engine':<30} {'wall s':>8} {'calls':>6} {'ideal s':>8} {'overhead':>9} {'samples/s':>10}")
    engines = (("dspy-ttc (n in one request)", run_ours), ("dspy-ttc (one sample/request)", run_ours_unbatched),
               ("dspy.BestOfN", run_dspy), ("litellm.completion alone", run_litellm_alone),
               ("openai client alone", run_openai_alone))
    walls, ratios = {}, {}
    for name, runner in engines:
        with server_process(args.delay, args.concurrency) as base_url:
            wall, calls = runner(base_url, prompts, args.n, args.concurrency)
        ideal = calls * args.delay / args.concurrency
        walls[name], ratios[name] = wall, wall / ideal
        print(f"{name:<30} {wall:>8.2f} {calls:>6} {ideal:>8.2f} {wall / ideal:>8.2f}x "
              f"{len(prompts) * args.n / wall:>10.0f}")
    print(f"same work, wall time of dspy.BestOfN / dspy-ttc: {walls['dspy.BestOfN'] / walls[engines[0][0]]:.1f}x")
    search_wall, rounds = run_beam_search(args.delay, args.concurrency, args.searches, args.rounds)
    search_ideal = rounds * args.delay
    print(f"beam search N=64, M=4: {args.searches} searches of {args.rounds} rounds in {search_wall:.2f} s; ideal "
          f"{search_ideal:.2f} s (one request per round); {search_wall / search_ideal:.2f}x (goal <= {SEARCH_GOAL}x)")
    print(json.dumps({"overhead": round(ratios[engines[1][0]], 3), "goal": GOAL,
                      "litellm_floor": round(ratios["litellm.completion alone"], 3),
                      "openai_floor": round(ratios["openai client alone"], 3),
                      "search_overhead": round(search_wall / search_ideal, 3), "search_goal": SEARCH_GOAL,
                      "search_wall_seconds": round(search_wall, 2),
                      "wall_seconds": {name: round(wall, 2) for name, wall in walls.items()},
                      "over_ideal": {name: round(ratio, 2) for name, ratio in ratios.items()},
                      "dspy_best_of_n_vs_ours": round(walls["dspy.BestOfN"] / walls[engines[0][0]], 1)}))


if __name__ == "__main__":
    main()
