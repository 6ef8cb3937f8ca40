"""``ttc eval --ray`` and ``ttc calibrate --ray`` on a local Ray cluster (this machine's CPUs) started by
the command, against a loopback OpenAI server: the same rows as on threads; a worker killed mid-run,
or the driver killed and the command rerun, repeats no finished question and writes no row twice."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from ttc_modules.evaluation.datasets import load_dataset
from ttc_modules.testing import OpenAIStubServer

pytestmark = pytest.mark.integration

EVAL = ["eval", "--dataset", "synthetic:1", "--strategies", "majority,beam_search", "--budgets", "2",
        "--verifier", "arithmetic", "--workers", "2"]  # a local cluster of 2 CPUs: this machine


@pytest.fixture(scope="module")
def server():
    with OpenAIStubServer(delay=0.02) as running:
        yield running


@pytest.fixture(scope="module")
def on_threads(server, tmp_path_factory):
    """The rows of the evaluation run on threads of one process: what every Ray run must write."""
    scratch = tmp_path_factory.mktemp("threads")
    done = ttc(*EVAL, "--out", str(scratch / "out"), config=config(server, scratch))
    assert done.returncode == 0, done.stderr[-3000:]
    return rows(scratch / "out")


def config(server: OpenAIStubServer, scratch: Path) -> Path:
    return server.write_config(scratch / "stub.yaml", backend={"max_tokens": 48}, cache={"dir": str(scratch / "cache")},
                               retry={"initial_wait": 0.01, "max_wait": 0.05})


def ttc(*args: str, config: Path, wait: bool = True):
    """``ttc ARGS --config CONFIG`` in a session of its own (so the Ray cluster it starts can be ended with it)."""
    process = subprocess.Popen([sys.executable, "-m", "ttc_modules.cli", *args, "--config", str(config)],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
                               env={**os.environ, "STUB_KEY": "k"})
    if not wait:
        return process
    try:
        stdout, stderr = process.communicate(timeout=600)
    finally:
        end_session(process)
    return subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)


def end_session(process: subprocess.Popen) -> None:
    """Kill what is left of ``process``'s session: Ray's agents outlive a driver killed with SIGKILL."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=30)
    until(lambda: not ray_workers(), what="Ray's workers to end with their cluster")
    for pid in ray_workers():
        os.kill(pid, signal.SIGKILL)


def rows(out: Path) -> list[dict]:
    return [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines()]


def keys(found: list[dict]) -> list[tuple]:
    return [(row["id"], row["strategy"], row["budget"]) for row in found]


def same_rows(found: list[dict], expected: list[dict]) -> bool:
    def by_key(listed):
        return sorted(listed, key=lambda row: (row["id"], row["strategy"], row["budget"]))
    return by_key(found) == by_key(expected)


def ray_workers() -> list[int]:
    """Processes running a Ray task of ours (Ray names a worker's process after its task)."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and (entry / "cmdline").read_bytes().startswith(b"ray::_run_task"):
                found.append(int(entry.name))
        except OSError:
            continue
    return found


def until(condition, what: str, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"waited {timeout:.0f} s for {what}"
        time.sleep(0.02)


def rows_written(out: Path) -> int:
    path = out / "results.jsonl"
    return path.read_text().count("\n") if path.exists() else 0


def test_ray_writes_the_rows_threads_write_into_the_shared_cache(server, on_threads, tmp_path):
    settings = config(server, tmp_path)
    done = ttc(*EVAL, "--out", str(tmp_path / "out"), "--ray", config=settings)
    assert done.returncode == 0, done.stderr[-3000:]
    found = rows(tmp_path / "out")
    assert same_rows(found, on_threads) and len(set(keys(found))) == len(found)
    asked = len(server.requests)
    again = ttc(*EVAL, "--out", str(tmp_path / "again"), config=settings)  # on threads, from the workers' cache
    assert again.returncode == 0 and len(server.requests) == asked, again.stderr[-3000:]
    assert same_rows(rows(tmp_path / "again"), on_threads)


def test_a_worker_killed_mid_run_changes_nothing(server, on_threads, tmp_path):
    out = tmp_path / "out"
    driver = ttc(*EVAL, "--out", str(out), "--ray", config=config(server, tmp_path), wait=False)
    killed = []

    def kill_a_worker_mid_run():
        until(lambda: rows_written(out) > len(on_threads) // 2 and ray_workers(), what="the run's middle")
        victim = ray_workers()[0]
        os.kill(victim, signal.SIGKILL)
        killed.append(victim)

    killer = threading.Thread(target=kill_a_worker_mid_run, daemon=True)
    killer.start()
    try:
        _, stderr = driver.communicate(timeout=600)
    finally:
        end_session(driver)
    killer.join(timeout=5)
    assert killed and driver.returncode == 0, stderr[-3000:]
    found = rows(out)
    assert same_rows(found, on_threads) and len(set(keys(found))) == len(found)


def test_the_driver_killed_and_rerun_repeats_no_finished_question(server, on_threads, tmp_path):
    out, settings = tmp_path / "out", config(server, tmp_path)
    driver = ttc(*EVAL, "--out", str(out), "--ray", config=settings, wait=False)
    until(lambda: rows_written(out) > len(on_threads) // 2, what="the run's middle")
    end_session(driver)  # the driver and the cluster it started, at once
    finished = rows(out)
    asked_before = len(server.requests)
    done = ttc(*EVAL, "--out", str(out), "--ray", config=settings)
    assert done.returncode == 0, done.stderr[-3000:]
    found = rows(out)
    assert found[:len(finished)] == finished  # rows of the killed run stand as written
    assert same_rows(found, on_threads) and len(set(keys(found))) == len(found)
    questions = {example.id: example.question for example in load_dataset("synthetic:1", seed=0)}
    search_done = {row["id"] for row in finished if row["strategy"] == "beam_search"}
    asked_again = [json.dumps(body) for body in server.requests[asked_before:]]
    assert search_done and not [i for i in search_done if any(questions[i] in body for body in asked_again)]


def test_calibrate_on_ray_fits_the_policy_threads_fit(server, tmp_path):
    policies = []
    for run, extra in (("threads", []), ("ray", ["--ray"])):
        scratch = tmp_path / run
        done = ttc("calibrate", "--dataset", "synthetic:1", "--budgets", "1,2", "--bins", "2", "--kinds", "best_of_n",
                   "--verifier", "arithmetic", "--out", str(scratch / "policy.json"), *extra, config=config(server, scratch))
        assert done.returncode == 0, done.stderr[-3000:]
        policies.append(json.loads((scratch / "policy.json").read_text()))
    assert policies[0] == policies[1]
