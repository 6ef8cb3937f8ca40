"""No API key in any pickle, repr, state dump, graph, cache or log: keys stay in memory."""

import json
import os
import pickle
import subprocess
import sys

import pytest

from planners import AdaptiveTTC, ComputeOptimalPlanner
from ttc_modules import STRATEGIES, Budget
from ttc_modules.config import load_settings
from ttc_modules.lm import TTCLM, build_lm
from ttc_modules.testing import OpenAIStubServer
from ttc_modules.verifiers import ArithmeticChecker, LLMJudge, RemotePRM

KEY = "sk-very-secret-0123456789"


def _everything(lm) -> dict:
    judge = LLMJudge(lm=lm)
    things = {"lm": lm, "judge": judge, "prm": RemotePRM("http://127.0.0.1:9/score", api_key_env="PRM_KEY"),
              "adaptive": AdaptiveTTC(ComputeOptimalPlanner(budgets=[4], bins=1), verifier=judge, lm=lm)}
    for kind, strategy in STRATEGIES.items():
        things[kind] = strategy(lm=lm, verifier=ArithmeticChecker(), budget=Budget(generations=4))
    return things


def _no_key_in(things: dict) -> None:
    for name, thing in things.items():
        assert KEY.encode() not in pickle.dumps(thing), name
        assert KEY not in repr(thing), name
        if hasattr(thing, "dump_state"):
            assert KEY not in json.dumps(thing.dump_state(), default=str), name


@pytest.mark.parametrize("how", ["given", "from the environment"])
def test_no_key_in_pickles_reprs_or_state(monkeypatch, how):
    monkeypatch.setenv("STUB_KEY", KEY)
    lm = (TTCLM("openai/stub-model", api_key=KEY) if how == "given"
          else build_lm(load_settings(overrides={"backend.model": "openai/stub-model", "backend.api_key_env": "STUB_KEY"})))
    _no_key_in(_everything(lm))
    copy = lm.copy(temperature=0.5)  # DSPy copies LMs: an in-process copy still has its key
    assert copy.api_key_handle == lm.api_key_handle


@pytest.mark.integration
def test_a_run_with_a_key_leaves_it_nowhere(tmp_path, monkeypatch):
    monkeypatch.setenv("STUB_KEY", KEY)
    cache = tmp_path / "cache"
    with OpenAIStubServer(api_key=KEY) as server:
        config = server.write_config(tmp_path / "stub.yaml", backend={"max_tokens": 32}, cache={"dir": cache})
        graph = tmp_path / "g.json"
        solved = subprocess.run([sys.executable, "-m", "ttc_modules.cli", "solve", "What is 2 + 3?", "--n", "2",
                                 "--strategy", "beam_search", "--beam-width", "2", "--max-rounds", "2",
                                 "--verifier", "arithmetic", "--config", str(config), "--save-graph", str(graph)],
                                capture_output=True, text=True, env={**os.environ, "STUB_KEY": KEY}, timeout=300)
        assert solved.returncode == 0, solved.stderr[-2000:]
        assert server.count >= 1
    assert KEY not in solved.stdout + solved.stderr and KEY not in graph.read_text()
    stored = [path for path in cache.rglob("*") if path.is_file()]
    assert stored and not any(KEY.encode() in path.read_bytes() for path in stored)
    lm = build_lm(load_settings(config))
    assert KEY.encode() not in pickle.dumps(lm)
