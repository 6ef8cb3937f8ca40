"""Faults: does an evaluation against a failing server lose, duplicate or change a row, repeat a call, or charge a failure?

Two loopback OpenAI-compatible servers give the same deterministic answers; one of them also fails
at random (seeded): 15% 429, 15% 500, and a share of requests that hang past the client's timeout.
The same ``ttc eval`` (majority, weighted and beam search at budgets 1, 2 and 4 on synthetic
questions, arithmetic checker) runs once against the fault-free server, and against the failing
one twice: killed with SIGKILL after ``--kill-after`` rows, then rerun to the end. It prints, for
the failing run against the fault-free one: rows lost, rows duplicated, rows that differ (grade,
answer, tokens or generations), calls answered twice (the request in flight at the kill may be),
and the tokens and generations charged beyond the fault-free run's (budget charged for failed
attempts). Goal: all 0, but the one call in flight. The last line is one JSON object.

    .venv/bin/python benchmarks/faults.py [--per-level 2] [--kill-after 70] [--seed 0]
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

EVAL = ["eval", "--dataset", "synthetic:{per_level}", "--strategies", "majority,weighted,beam_search",
        "--budgets", "1,2,4", "--verifier", "arithmetic", "--max-rounds", "2"]
FAULTS = {429: 0.15, 500: 0.15, -1: 0.03}  # -1: a hang past the client's timeout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-level", type=int, default=2, help="synthetic questions per level (5 levels)")
    parser.add_argument("--kill-after", type=int, default=70,
                        help="rows written before the SIGKILL (the default falls among the beam search rows)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the failing server's faults")
    parser.add_argument("--work", default=None, help="working directory (default: a fresh temporary one)")
    args = parser.parse_args()

    from ttc_modules.testing import OpenAIStubServer

    work = Path(args.work or tempfile.mkdtemp(prefix="ttc-faults-"))
    command = [arg.format(per_level=args.per_level) for arg in EVAL]
    with OpenAIStubServer(api_key="k") as clean, \
            OpenAIStubServer(api_key="k", fault_rates=FAULTS, seed=args.seed, hang=2.0) as faulty:
        started = time.perf_counter()
        _evaluate(command, _config(work, "clean", clean), work / "clean")
        clean_seconds = time.perf_counter() - started
        killed_at = _evaluate_killed(command, _config(work, "faulty", faulty), work / "faulty", args.kill_after)
        started = time.perf_counter()
        _evaluate(command, _config(work, "faulty", faulty), work / "faulty")
        rerun_seconds = time.perf_counter() - started
        figures = _compare(_rows(work / "clean"), _rows(work / "faulty"), clean, faulty)
    figures.update({"rows_at_kill": killed_at, "faults_injected": len(faulty.requests) - len(faulty.answered),
                    "clean_seconds": round(clean_seconds, 1), "faulty_rerun_seconds": round(rerun_seconds, 1)})
    _print(figures)


def _config(work: Path, name: str, server) -> Path:
    return server.write_config(work / f"{name}.yaml", backend={"max_tokens": 64, "timeout": 1.0, "params": 1.0e9},
                               retry={"attempts": 12, "initial_wait": 0.01, "max_wait": 0.1},
                               cache={"dir": work / f"{name}-cache"}, concurrency=4)


def _environment() -> dict:
    return {**os.environ, "STUB_KEY": "k", "PYTHONUNBUFFERED": "1"}


def _evaluate(command: list[str], config: Path, out: Path) -> None:
    finished = subprocess.run([sys.executable, "-m", "ttc_modules.cli", *command, "--config", str(config),
                               "--out", str(out)], capture_output=True, text=True, env=_environment())
    if finished.returncode != 0:
        sys.exit(f"the evaluation failed: {finished.stderr.strip().splitlines()[-1:]}")


def _evaluate_killed(command: list[str], config: Path, out: Path, after: int) -> int:
    """Start the evaluation, SIGKILL it once ``after`` rows are written; the rows written by then."""
    process = subprocess.Popen([sys.executable, "-m", "ttc_modules.cli", *command, "--config", str(config),
                                "--out", str(out)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               env=_environment())
    while process.poll() is None and len(_rows(out)) < after:
        time.sleep(0.05)
    if process.poll() is None:
        os.kill(process.pid, signal.SIGKILL)
    process.wait()
    return len(_rows(out))


def _rows(out: Path) -> list[dict]:
    path = out / "results.jsonl"
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.endswith("}")]


def _key(row: dict) -> tuple:
    return row["id"], row["strategy"], row["budget"]  # the configs differ: each server has its own address


def _compare(reference: list[dict], rows: list[dict], clean, faulty) -> dict:
    expected = {_key(row): row for row in reference}
    got = {_key(row): row for row in rows}
    same = ("correct", "answer", "tokens", "generations")
    answered = Counter(json.dumps(body, sort_keys=True) for body in faulty.answered)
    return {
        "rows": len(expected),
        "rows_lost": len(set(expected) - set(got)),
        "rows_duplicated": len(rows) - len(got),
        "rows_differing": sum(any(got[k].get(f) != row.get(f) for f in same) for k, row in expected.items() if k in got),
        "calls_answered_twice": sum(count - 1 for count in answered.values()),
        "calls_beyond_fault_free": len(answered) - len(clean.answered),
        "tokens_charged_beyond_fault_free": sum(r["tokens"] for r in got.values()) - sum(r["tokens"] for r in reference),
        "generations_charged_beyond_fault_free": sum(r.get("generations") or 0 for r in got.values())
        - sum(r.get("generations") or 0 for r in reference),
    }


def _print(figures: dict) -> None:
    print(f"{figures['rows']} rows; killed with SIGKILL after {figures['rows_at_kill']}, then rerun; "
          f"{figures['faults_injected']} failed or hung requests (429, 500, timeouts)")
    for name in ("rows_lost", "rows_duplicated", "rows_differing", "calls_answered_twice", "calls_beyond_fault_free",
                 "tokens_charged_beyond_fault_free", "generations_charged_beyond_fault_free"):
        print(f"  {name.replace('_', ' ')}: {figures[name]}")
    print(f"  wall: fault-free {figures['clean_seconds']} s, failing rerun {figures['faulty_rerun_seconds']} s")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
