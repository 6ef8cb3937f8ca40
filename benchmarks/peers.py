"""Peers: the same test-time-compute work done by dspy-ttc, by ``dspy.BestOfN`` and by its_hub, against one server.

A stub OpenAI server of ours on 127.0.0.1, in a process of its own (its work does not share our
interpreter's lock), answers every request after a fixed delay L, any number at once. Each engine,
on a fresh server per workload, answers the same questions (synthetic arithmetic, levels 1 to 5 in
turn), all of them concurrently, at the same budget N:

- majority voting: dspy-ttc's ``BestOfN(selection="majority")``; ``dspy.BestOfN`` over
  ``ChainOfThought`` with a reward that never reaches its threshold (so all N attempts run, as DSPy
  draws them: one after another); its_hub's ``SelfConsistency``. The server writes a whole solution
  per sample (``arithmetic_responder``: DSPy's fields where the prompt asks for them).
- beam search (N, beam width M=4): dspy-ttc's ``BeamSearch``; its_hub's ``BeamSearch``.
- particle filtering (N particles): dspy-ttc's ``ParticleFiltering``; its_hub's ``ParticleFiltering``.
  DSPy has neither search: its rows say n/a.

In the searches the server writes one step per sample (``steps_responder``: ``--steps`` steps, cut at
the ``"\\n\\n"`` step delimiter, then "The answer is N."), so every path takes steps + 1 rounds, and
both engines score each partial solution with the same verifier, dspy-ttc's ``ArithmeticChecker``
(its_hub's through a process reward model wrapping it: the last step's score of the solution split at
``"\\n\\n"``, as dspy-ttc aggregates). dspy-ttc runs on the text route (``model_type="text"``: a
round's prompts in one request, ``ttc_modules/lm/prompt_lists.py``); dspy.BestOfN and its_hub on the
chat route, where its_hub's step generation continues the assistant message. Each engine answers one
question untimed first (imports, connection pools), then all of them timed; its_hub's requests and
its orchestrator are given no concurrency limit, and its questions run as its sync ``infer`` in one
thread each (each thread's event loop gets its own aiohttp session; ``asyncio.gather`` over ``ainfer``
in one loop measured slower); dspy-ttc's LM allows 64 requests at once. Nothing is cached. The
server's listen backlog is a production server's (``ttc_modules/testing/loopback.py``), so a burst of
new connections is not dropped and retried a second later.

The server counts what it receives (it runs in a child process of this script, so the counts come
back over a pipe: ``StubServerProcess`` does not report them): requests, and completions asked for
(the prompts of a request times its ``n``). Printed per workload and engine: wall seconds, requests,
completions, and wall time over dspy-ttc's (goal: above 1 on every row, ahead of every peer). The
last line is JSON: ``over_its_hub`` and ``over_dspy`` (those ratios), then ``wall_seconds``,
``requests`` and ``completions`` per engine and workload.

    .venv/bin/python benchmarks/peers.py [--delay 0.05] [--questions 20] [--budget 16] [--beam-width 4]
        [--steps 3]

its_hub is a benchmark-only dependency: ``.venv/bin/pip install 'its-hub[lm]==1.2.0'``.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import time
import warnings
from concurrent.futures import ThreadPoolExecutor

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

GOAL = 1.0  # peer wall time / ours, on every row: above it
WORKLOADS = ("majority", "beam_search", "particle_filtering")
ENGINES = ("dspy-ttc", "dspy.BestOfN", "its_hub")
STEP = "\n\n"  # the step delimiter, on both sides
MAX_STEPS = 40  # its_hub's step limit, as dspy-ttc's default depth (never reached: the server answers sooner)


# ---------------------------------------------------------------------------------------------- the server
def _serve(conn, delay: float, steps: int | None) -> None:
    """The child process: our stub server until the parent says stop; answers "count" with (requests, completions)."""
    from ttc_modules.testing import OpenAIStubServer
    from ttc_modules.testing.openai_stub_server import arithmetic_responder, steps_responder

    with OpenAIStubServer(delay=delay, responder=steps_responder(steps) if steps else arithmetic_responder) as server:
        conn.send(server.base_url)
        while conn.recv() == "count":
            bodies = list(server.requests)
            conn.send((len(bodies), sum(_completions(body) for body in bodies)))


def _completions(body: dict) -> int:
    """The completions a request asks for: its prompts (a text request may carry a list) times ``n``."""
    prompt = body.get("prompt")
    return (len(prompt) if isinstance(prompt, list) else 1) * int(body.get("n") or 1)


class CountingServer:
    """Our stub server in a process of its own, reporting what it received; ``steps`` picks the step writer."""

    def __init__(self, delay: float, steps: int | None = None):
        context = multiprocessing.get_context("spawn")
        self._conn, child = context.Pipe()
        self._process = context.Process(target=_serve, args=(child, delay, steps), daemon=True)
        self.base_url = ""

    def __enter__(self) -> CountingServer:
        self._process.start()
        self.base_url = self._conn.recv()
        return self

    def counts(self) -> tuple[int, int]:
        """Requests received so far, and the completions they asked for."""
        self._conn.send("count")
        return self._conn.recv()

    def __exit__(self, *exc) -> None:
        self._conn.send("stop")
        self._process.join(timeout=10)


# ---------------------------------------------------------------------------------------------- dspy-ttc
def ours(base_url: str, workload: str, args):
    """dspy-ttc's solver for ``workload``: a function of one question."""
    from ttc_modules import BeamSearch, BestOfN, ParticleFiltering
    from ttc_modules.lm import TTCLM
    from ttc_modules.verifiers import ArithmeticChecker

    lm = TTCLM("hosted_vllm/stub-model", api_base=base_url, model_type="text", cache=False, temperature=0.8,
               max_tokens=64, concurrency=64)
    n = args.budget
    solver = {"majority": lambda: BestOfN(n=n, selection="majority", lm=lm),
              "beam_search": lambda: BeamSearch(n=n, beam_width=args.beam_width, verifier=ArithmeticChecker(), lm=lm),
              "particle_filtering": lambda: ParticleFiltering(n=n, verifier=ArithmeticChecker(), lm=lm)}[workload]()

    def solve(questions: list[str]) -> list[str]:
        with ThreadPoolExecutor(max_workers=len(questions)) as pool:
            return list(pool.map(lambda q: solver(question=q).answer, questions))
    return solve


# ---------------------------------------------------------------------------------------------- dspy.BestOfN
def dspy_best_of_n(base_url: str, workload: str, args):
    """``dspy.BestOfN`` doing majority voting's work (N calls per question); None for the searches."""
    if workload != "majority":
        return None
    import dspy

    lm = dspy.LM("openai/stub-model", api_base=base_url, api_key="k", cache=False, temperature=0.8, max_tokens=64)
    program = dspy.BestOfN(dspy.ChainOfThought("question -> answer"), N=args.budget,
                           reward_fn=lambda args, pred: 0.0, threshold=1.0)

    def solve(questions: list[str]) -> list[str]:
        with dspy.context(lm=lm):
            results = dspy.Parallel(num_threads=len(questions), disable_progress_bar=True)(
                [(program, {"question": q}) for q in questions])
        return [r.answer for r in results]
    return solve


# ---------------------------------------------------------------------------------------------- its_hub
def arithmetic_prm():
    """its_hub's process reward model interface around dspy-ttc's ``ArithmeticChecker``: each candidate
    solution (its steps joined by the delimiter) scores its last step's score, as dspy-ttc's searches do."""
    from its_hub.api import AbstractProcessRewardModel

    from ttc_modules.verifiers import ArithmeticChecker

    class ArithmeticPRM(AbstractProcessRewardModel):
        def __init__(self):
            self.checker = ArithmeticChecker()

        def score(self, prompt_or_messages, steps: list[str]) -> list[float]:
            question = str(prompt_or_messages)
            return [self._last(question, solution) for solution in steps]

        async def ascore(self, prompt_or_messages, steps: list[str]) -> list[float]:
            return self.score(prompt_or_messages, steps)

        def _last(self, question: str, solution: str) -> float:
            parts = [part for part in solution.split(STEP) if part.strip()]
            return self.checker.score({"question": question}, parts)[-1] if parts else 0.0

    return ArithmeticPRM()


def its_hub(base_url: str, workload: str, args):
    """its_hub's algorithm for ``workload`` on its OpenAI-compatible LM: a function of the questions."""
    from its_hub import LMOrchestrator, OpenAICompatibleLanguageModel, SelfConsistency, StepGeneration
    from its_hub.core.algorithms.beam_search import BeamSearch  # its searches: not exported at the top
    from its_hub.core.algorithms.particle_gibbs import ParticleFiltering

    lm = OpenAICompatibleLanguageModel(endpoint=base_url, api_key="k", model_name="stub-model", temperature=0.8,
                                       max_completion_tokens=64, max_concurrency=-1)
    steps = StepGeneration(max_steps=MAX_STEPS, step_token=STEP, stop_token="The answer is", temperature=0.8)
    algorithm = {"majority": lambda: SelfConsistency(orchestrator=LMOrchestrator(max_concurrency=-1)),
                 "beam_search": lambda: BeamSearch(steps, arithmetic_prm(), beam_width=args.beam_width),
                 "particle_filtering": lambda: ParticleFiltering(steps, arithmetic_prm())}[workload]()

    def solve(questions: list[str]) -> list[str]:
        with ThreadPoolExecutor(max_workers=len(questions)) as pool:
            return list(pool.map(lambda q: algorithm.infer(lm, q, budget=args.budget)["content"], questions))
    return solve


# ---------------------------------------------------------------------------------------------- the runs
def questions_for(count: int) -> list[str]:
    """``count`` synthetic questions, levels 1 to 5 in turn."""
    from ttc_modules.evaluation.synthetic import make_problems

    per_level = {level: make_problems(-(-count // 5), level, seed=7) for level in range(1, 6)}
    return [per_level[i % 5 + 1][i // 5]["question"] for i in range(count)]


def measure(engine, workload: str, questions: list[str], args) -> dict | None:
    """One engine on one workload on a fresh server: wall seconds, requests and completions of the timed run
    (after one untimed question); None where the engine has no such algorithm."""
    with CountingServer(args.delay, steps=None if workload == "majority" else args.steps) as server:
        solve = engine(server.base_url, workload, args)
        if solve is None:
            return None
        solve(questions[:1])
        requests, completions = server.counts()
        start = time.perf_counter()
        answers = solve(questions)
        wall = time.perf_counter() - start
        after = server.counts()
    _check(answers, workload)
    return {"wall": wall, "requests": after[0] - requests, "completions": after[1] - completions}


def _check(answers: list[str], workload: str) -> None:
    """Every question answered; in the searches, every chosen solution reached the server's answer line."""
    assert all(answers), answers
    if workload != "majority":
        assert all(a.isdigit() or "The answer is" in a for a in answers), answers[:3]


def print_rows(workload: str, rows: dict) -> None:
    ours_wall = rows["dspy-ttc"]["wall"]
    for engine, row in rows.items():
        if row is None:
            print(f"{workload:<20} {engine:<14} {'n/a':>8} {'n/a':>9} {'n/a':>12} {'n/a':>12}")
            continue
        ratio = "-" if engine == "dspy-ttc" else f"{row['wall'] / ours_wall:.2f}x"
        print(f"{workload:<20} {engine:<14} {row['wall']:>8.2f} {row['requests']:>9} {row['completions']:>12} "
              f"{ratio:>12}")


def summary(figures: dict) -> dict:
    """The JSON line: the peers' wall time over ours per workload, then the raw figures."""
    def over(peer: str) -> dict:
        return {w: round(figures[w][peer]["wall"] / figures[w]["dspy-ttc"]["wall"], 2)
                for w in WORKLOADS if figures[w].get(peer)}

    def each(key: str, digits: int | None = None) -> dict:
        return {e: {w: round(figures[w][e][key], digits) if digits else figures[w][e][key]
                    for w in WORKLOADS if figures[w].get(e)} for e in ENGINES}

    ratios = {"over_its_hub": over("its_hub"), "over_dspy": over("dspy.BestOfN")}
    ahead = all(r > GOAL for values in ratios.values() for r in values.values())
    return {**ratios, "ahead_of_every_peer": ahead, "wall_seconds": each("wall", 3), "requests": each("requests"),
            "completions": each("completions")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--delay", type=float, default=0.05, help="L: seconds per request")
    parser.add_argument("--questions", type=int, default=20)
    parser.add_argument("--budget", type=int, default=16, help="N: samples, beams x width, or particles")
    parser.add_argument("--beam-width", type=int, default=4)
    parser.add_argument("--steps", type=int, default=3, help="steps of the searches' solutions, before the answer")
    args = parser.parse_args()
    warnings.filterwarnings("ignore", message=r"agenerate\(\) is deprecated")  # its_hub's searches call it

    questions = questions_for(args.questions)
    print(f"{args.questions} questions at once, budget N = {args.budget}, beam width {args.beam_width}, "
          f"{args.steps} steps + answer; server delay L = {args.delay} s, no concurrency limit")
    print(f"{'workload':<20} {'engine':<14} {'wall s':>8} {'requests':>9} {'completions':>12} {'theirs/ours':>12}")
    engines = {"dspy-ttc": ours, "dspy.BestOfN": dspy_best_of_n, "its_hub": its_hub}
    figures = {}
    for workload in WORKLOADS:
        figures[workload] = {name: measure(engine, workload, questions, args) for name, engine in engines.items()}
        print_rows(workload, figures[workload])
    result = summary(figures)
    print(f"ahead of every peer on every row (ratios > {GOAL:g}): {result['ahead_of_every_peer']}")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
