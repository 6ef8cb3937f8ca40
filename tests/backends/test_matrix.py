"""The same checks against every kind of backend a user points the project at.

Backends: the embedded model; llama.cpp's own HTTP server (``LlamaCppServer``), chat and text
endpoints, no key; and our loopback server behaving like vLLM (takes ``n``, says ``stop_reason``, no
key), like a hosted API (key required, a rate limit answered with ``Retry-After``) and like a server
that ignores ``n``. Checks: ``ttc solve --json``, weighted best-of-N, beam search (called, and awaited
under ``asyncio``), the LLM judge, and
``ttc eval`` rerun with no backend call. The models answer with a few tokens: what is checked is
that every path works and counts, not what the answers are.
"""

import asyncio
import contextlib
import json

import pytest
import yaml
from typer.testing import CliRunner

from ttc_modules import BeamSearch, BestOfN
from ttc_modules.cli import app
from ttc_modules.config import load_settings
from ttc_modules.lm import build_lm
from ttc_modules.testing import LlamaCppServer, OpenAIStubServer
from ttc_modules.verifiers import ArithmeticChecker, LLMJudge

pytestmark = pytest.mark.integration

QUESTION = "Tom has 3 apples and buys 4 more. How many apples does he have?"
MAX_TOKENS = 24


@pytest.fixture(scope="module")
def llamacpp():
    with LlamaCppServer(slots=4, n_ctx=1024) as server:
        yield server


def _stub(**behaviour):
    return lambda: OpenAIStubServer(**behaviour)


# name -> (server factory or None, backend fields given the server, environment)
BACKENDS = {
    "embedded": (None, lambda server: {"model": "local/smollm2-135m-instruct"}, {}),
    "llamacpp-chat": ("llamacpp", lambda server: {"model": "openai/smollm2", "api_base": server.base_url}, {}),
    "llamacpp-text": ("llamacpp", lambda server: {"model": "openai/smollm2", "api_base": server.base_url,
                                                  "model_type": "text"}, {}),
    "vllm-like": (_stub(stop_reasons=True), lambda server: {"model": "hosted_vllm/stub-model",
                                                            "api_base": server.base_url}, {}),
    "hosted-api-like": (_stub(api_key="secret", failures=[429], retry_after=0.05),
                        lambda server: {"model": "openai/stub-model", "api_base": server.base_url,
                                        "api_key_env": "MATRIX_KEY"}, {"MATRIX_KEY": "secret"}),
    "ignores-n": (_stub(n="ignore"), lambda server: {"model": "openai/stub-model", "api_base": server.base_url}, {}),
}


@pytest.fixture(params=list(BACKENDS))
def config(request, tmp_path, monkeypatch):
    """A config file for the backend, with its own cache; its server runs while the test does."""
    kind, fields, environment = BACKENDS[request.param]
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    with contextlib.ExitStack() as stack:
        server = request.getfixturevalue("llamacpp") if kind == "llamacpp" else (
            stack.enter_context(kind()) if kind else None)
        path = tmp_path / "ttc.yaml"
        path.write_text(yaml.safe_dump({"backend": {**fields(server), "max_tokens": MAX_TOKENS},
                                        "cache": {"dir": str(tmp_path / "cache")},
                                        "retry": {"initial_wait": 0.01, "max_wait": 0.1}}))
        yield path


def run(*args):
    return CliRunner().invoke(app, [str(a) for a in args])


def test_solve_json(config):
    result = run("solve", QUESTION, "--n", "2", "--json", "--config", config)
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert len(payload["candidates"]) == 2 and payload["spent"]["generations"] == 2


def test_weighted_best_of_n(config):
    lm = build_lm(load_settings(config))
    prediction = BestOfN(n=2, selection="weighted", verifier=ArithmeticChecker(), lm=lm)(question=QUESTION)
    answers = [n for n, d in prediction.graph.nodes(data=True) if d["kind"] == "answer"]
    assert len(answers) == 2 and prediction.spent["generations"] == 2 and prediction.spent["verifier_calls"] >= 0


def test_beam_search(config):
    lm = build_lm(load_settings(config))
    prediction = BeamSearch(n=2, beam_width=2, max_rounds=2, verifier=ArithmeticChecker(), lm=lm)(question=QUESTION)
    assert prediction.graph.number_of_nodes() > 1 and prediction.spent["generations"] <= 2


def test_beam_search_awaited(config):
    lm = build_lm(load_settings(config))
    strategy = BeamSearch(n=2, beam_width=2, max_rounds=2, verifier=ArithmeticChecker(), lm=lm)
    prediction = asyncio.run(strategy.acall(question=QUESTION))  # its requests as coroutines on this loop
    assert prediction.graph.number_of_nodes() > 1 and prediction.spent["lm_calls"] > 0


def test_llm_judge(config):
    lm = build_lm(load_settings(config))
    scores = LLMJudge(lm=lm, mode="process").score({"question": QUESTION}, ["3 + 4 = 7.", "The answer is 7."])
    assert len(scores) == 2 and all(0.0 <= s <= 1.0 for s in scores)


def test_eval_then_rerun_from_the_cache(config, tmp_path):
    out = tmp_path / "out"
    args = ("eval", "--dataset", "synthetic:1", "--limit", "1", "--strategies", "majority", "--budgets", "2",
            "--workers", "1", "--out", out, "--config", config)
    first = run(*args)
    assert first.exit_code == 0, first.output
    assert json.loads((out / "summary.json").read_text())["backend_calls"] >= 1
    again = run(*args)
    assert again.exit_code == 0, again.output
    assert json.loads((out / "summary.json").read_text())["backend_calls"] == 0
