"""Two servers behind one model name, one cache directory, one output directory: each keeps its own answers."""

import json
import re

import pytest
from typer.testing import CliRunner

from ttc_modules.cli import app
from ttc_modules.testing import OpenAIStubServer

pytestmark = pytest.mark.integration

QUESTIONS = [{"id": f"q{a}", "question": f"What is {a} + {a + 1}?", "answer": str(2 * a + 1)} for a in range(1, 4)]


def right(prompt: str, index: int, seed, temperature: float) -> str:
    a, b = map(int, re.findall(r"What is (\d+) \+ (\d+)\?", prompt)[-1])
    return f"{a} + {b} = {a + b}.\n\nThe answer is {a + b}."


def wrong(prompt: str, index: int, seed, temperature: float) -> str:
    a, b = map(int, re.findall(r"What is (\d+) \+ (\d+)\?", prompt)[-1])
    return f"{a} + {b} = {a + b + 1}.\n\nThe answer is {a + b + 1}."


@pytest.fixture
def servers(tmp_path, monkeypatch):
    monkeypatch.setenv("STUB_KEY", "sk-stub")
    monkeypatch.setenv("TTC_CACHE__DIR", str(tmp_path / "cache"))
    with OpenAIStubServer(responder=right, model="stub", api_key="sk-stub") as good, \
            OpenAIStubServer(responder=wrong, model="stub", api_key="sk-stub") as bad:
        yield {name: (server, _config(tmp_path, name, server)) for name, server in (("good", good), ("bad", bad))}


def _config(tmp_path, name: str, server) -> str:
    return str(server.write_config(tmp_path / f"{name}.yaml", backend={"model": "openai/stub", "max_tokens": 32}))


def test_solve_asks_each_server_and_reruns_from_the_cache(servers):
    runner = CliRunner()
    answers = {}
    for name, (server, config) in servers.items():
        result = runner.invoke(app, ["solve", "What is 2 + 3?", "--n", "2", "--json", "--config", config])
        assert result.exit_code == 0, result.output
        answers[name] = json.loads(result.stdout)["answer"]
        assert server.count >= 1
    assert answers == {"good": "5", "bad": "6"}
    for _name, (server, config) in servers.items():
        before = server.count
        again = runner.invoke(app, ["solve", "What is 2 + 3?", "--n", "2", "--json", "--config", config])
        assert again.exit_code == 0 and server.count == before


def test_eval_keeps_rows_and_banks_apart_in_one_output_directory(servers, tmp_path):
    data = tmp_path / "data.jsonl"
    data.write_text("".join(json.dumps(row) + "\n" for row in QUESTIONS))
    out = tmp_path / "out"
    runner = CliRunner()

    def evaluate(config: str) -> dict:
        result = runner.invoke(app, ["eval", "--dataset", str(data), "--strategies", "majority", "--budgets", "1,2",
                                     "--bins", "1", "--out", str(out), "--config", config])
        assert result.exit_code == 0, result.output
        return json.loads((out / "summary.json").read_text())

    accuracy = {name: evaluate(config)["accuracy"]["majority"]["2"]["all"]["accuracy"]
                for name, (_server, config) in servers.items()}
    assert accuracy == {"good": 1.0, "bad": 0.0}
    assert all(server.count >= 1 for server, _config in servers.values())
    rows = [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines()]
    assert len(rows) == 2 * len(QUESTIONS) * 2 and len({row["config"] for row in rows}) == 2
    for _name, (server, config) in servers.items():
        before = server.count
        assert evaluate(config)["backend_calls"] == 0 and server.count == before
