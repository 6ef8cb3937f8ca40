"""The `ttc` command: real runs on the embedded model and one-line errors for bad input."""

import json
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from ttc_modules.cli import app

runner = CliRunner()


def run(*args, env=None):
    return runner.invoke(app, list(args), env=env)


def one_line_error(result, *needles):
    assert result.exit_code == 2, result.output
    message = result.output.strip()
    assert message.startswith("error:") and "Traceback" not in message
    assert len(message.splitlines()) == 1, message
    for needle in needles:
        assert needle in message, message


def test_empty_question():
    one_line_error(run("solve", "  "), "question is empty")


def test_n_below_one():
    one_line_error(run("solve", "What is 2 + 2?", "--n", "0"), "--n must be >= 1, got 0")


def test_unknown_embedded_model():
    one_line_error(run("solve", "What is 2 + 2?", "--model", "local/nope"), "local/nope", "local_models")


def test_unknown_model_name_without_provider():
    one_line_error(run("solve", "What is 2 + 2?", "--model", "gpt4"), "'gpt4'", "openai/gpt-4o-mini")


def test_missing_gguf_file(tmp_path):
    config = tmp_path / "ttc.yaml"
    config.write_text(f"local_models:\n  mine: {{path: {tmp_path / 'missing.gguf'}}}\nbackend: {{model: local/mine}}\n")
    one_line_error(run("solve", "What is 2 + 2?", "--config", str(config)), "missing.gguf", "GGUF file not found")


def test_malformed_yaml(tmp_path):
    config = tmp_path / "bad.yaml"
    config.write_text("backend:\n  model: [unclosed\n")
    one_line_error(run("solve", "What is 2 + 2?", "--config", str(config)), "bad.yaml", "line")


def test_unknown_config_key(tmp_path):
    config = tmp_path / "ttc.yaml"
    config.write_text("backend:\n  modle: local/smollm2-135m-instruct\n")
    one_line_error(run("models", "--config", str(config)), "backend.modle", "did you mean 'model'")


def test_missing_config_file(tmp_path):
    one_line_error(run("models", "--config", str(tmp_path / "nope.yaml")), "nope.yaml")


def test_negative_token_budget():
    one_line_error(run("solve", "What is 2 + 2?", "--token-budget", "-5"), "tokens", "-5")


def test_unset_key_variable(tmp_path, monkeypatch):
    monkeypatch.delenv("TTC_TEST_KEY", raising=False)
    config = tmp_path / "ttc.yaml"
    config.write_text("backend: {model: openai/gpt-4o-mini, api_key_env: TTC_TEST_KEY}\n")
    one_line_error(run("solve", "What is 2 + 2?", "--config", str(config)), "TTC_TEST_KEY", "export")


def test_models_lists_embedded_and_configured(tmp_path):
    config = tmp_path / "ttc.yaml"
    config.write_text("backends:\n  gpu: {model: openai/qwen, api_base: 'http://127.0.0.1:8000/v1'}\n")
    result = run("models", "--config", str(config), "--json")
    assert result.exit_code == 0, result.output
    listing = json.loads(result.output)
    names = [row["model"] for row in listing["embedded"]]
    assert "local/smollm2-135m-instruct" in names and "local/gemma3-270m" in names
    assert listing["backends"]["gpu"]["api_base"] == "http://127.0.0.1:8000/v1"


def test_cache_info_and_clear_touch_only_the_projects_entries(tmp_path, monkeypatch):
    from ttc_modules.config import load_settings
    from ttc_modules.lm import configure_cache

    directory = tmp_path / "c"
    monkeypatch.setenv("TTC_CACHE__DIR", str(directory))
    (directory / "project").mkdir(parents=True)
    (directory / "notes.txt").write_text("mine")
    (directory / "project" / "main.py").write_text("print('mine')")
    assert "files: 0" in run("cache", "info").output
    one_line_error(run("cache", "clear", "--yes"), str(directory), "nothing was deleted", "TTC_CACHE__DIR")
    assert (directory / "notes.txt").exists()

    configure_cache(load_settings())  # what every command that calls a model does: the marker, then entries
    (directory / "lm").mkdir(exist_ok=True)
    (directory / "lm" / "entry").write_text("cached")
    (directory / "lm-usage").mkdir(exist_ok=True)
    (directory / "lm-usage" / "entry").write_text("usage")
    cached = [p for name in ("lm", "lm-usage") for p in (directory / name).rglob("*") if p.is_file()]
    assert f"files: {len(cached)}" in run("cache", "info").output  # the user's two files are not counted
    cleared = run("cache", "clear", "--yes")
    assert cleared.exit_code == 0 and "lm, lm-usage" in cleared.output
    assert sorted(p.name for p in directory.iterdir()) == ["notes.txt", "project"]
    assert (directory / "project" / "main.py").read_text() == "print('mine')"


@pytest.mark.integration
def test_solve_json_on_the_embedded_model_then_from_cache(tmp_path):
    env = {"TTC_CACHE__DIR": str(tmp_path / "cache"), "TTC_BACKEND__MAX_TOKENS": "48"}
    command = [sys.executable, "-m", "ttc_modules.cli", "solve", "Tom has 3 apples and buys 4 more. "
               "How many apples does he have?", "--n", "4", "--json"]
    import os

    first = subprocess.run(command, capture_output=True, text=True, env={**os.environ, **env}, timeout=300)
    assert first.returncode == 0, first.stderr
    result = json.loads(first.stdout)
    assert {"answer", "candidates", "spent"} <= set(result)
    assert len(result["candidates"]) == 4 and result["spent"]["generations"] == 4
    again = json.loads(subprocess.run(command, capture_output=True, text=True, env={**os.environ, **env},
                                      timeout=300).stdout)
    assert again["candidates"] == result["candidates"]
    assert again["spent"]["cache_hits"] == again["spent"]["lm_calls"] >= 1
    assert again["spent"]["completion_tokens"] == result["spent"]["completion_tokens"]


@pytest.mark.integration
def test_solve_with_a_strategy_saves_a_graph_that_renders(tmp_path):
    graph = tmp_path / "g.json"
    result = run("solve", "Tom has 3 apples and buys 4 more. How many apples does he have?", "--strategy",
                 "beam_search", "--n", "2", "--beam-width", "2", "--max-rounds", "2", "--save-graph", str(graph),
                 "--json", env={"TTC_BACKEND__MAX_TOKENS": "48"})
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout[result.stdout.index("{"):])
    assert payload["strategy"] == "beam_search" and payload["spent"]["verifier_calls"] > 0
    page = tmp_path / "g.html"
    rendered = run("graph", str(graph), "--html", str(page), "--graphml", str(tmp_path / "g.graphml"))
    assert rendered.exit_code == 0 and "<details" in page.read_text() and (tmp_path / "g.graphml").exists()


def test_unknown_strategy_and_verifier_are_named():
    one_line_error(run("solve", "What is 2 + 2?", "--strategy", "mcts"), "'mcts'", "beam_search")
    one_line_error(run("solve", "What is 2 + 2?", "--verifier", "magic"), "'magic'", "arithmetic")


def test_bad_strategy_option_is_one_line():
    one_line_error(run("solve", "What is 2 + 2?", "--strategy", "beam_search", "--n", "6", "--beam-width", "4"),
                   "divisible")


def test_bad_stop_options_are_one_line():
    one_line_error(run("solve", "What is 2 + 2?", "--stop", "beta", "--confidence", "1.5"), "confidence",
                   "strictly between 0 and 1")
    one_line_error(run("solve", "What is 2 + 2?", "--stop", "window", "--window", "9", "--n", "8"), "window (9)",
                   "from 1 to 8")


def test_graph_needs_an_output(tmp_path):
    (tmp_path / "g.json").write_text("{}")
    one_line_error(run("graph", str(tmp_path / "g.json")), "not a search graph")


@pytest.mark.parametrize("args, needles", [
    (["--budgets", "1,x"], ["--budgets", "'1,x'"]),
    (["--budgets", "0,2"], ["positive"]),
    (["--strategies", "mcts"], ["'mcts'", "beam_search"]),
    (["--dataset", "mnist"], ["'mnist'", "gsm8k"]),
    (["--strategies", "majority,compute_optimal"], ["compute_optimal needs a fitted policy", "--policy"]),
    (["--mean-budget", "8"], ["--mean-budget 8 shares a fitted policy's budget", "--policy"]),
    (["--mean-budget", "8", "--policy", "p.json", "--ray", "local"], ["Ray tasks cannot share", "--workers"]),
])
def test_eval_bad_input_is_one_line(tmp_path, args, needles):
    base = {"--dataset": "synthetic:1", "--out": str(tmp_path / "out"), "--strategies": "majority", "--budgets": "1"}
    flags = dict(zip(args[::2], args[1::2], strict=True))
    merged = [part for key, value in {**base, **flags}.items() for part in (key, value)]
    one_line_error(run("eval", *merged), *needles)


def test_exchange_prints_the_multiplier():
    result = run("exchange", "--multiplier", "14", "--ratios", "0.16,22")
    assert result.exit_code == 0 and "257.8x" in result.output and "15.8x" in result.output
    one_line_error(run("exchange", "--ratios", "a,b"), "--ratios")


@pytest.mark.integration
def test_eval_on_the_embedded_model_then_resume(tmp_path):
    out = tmp_path / "out"
    args = ["eval", "--dataset", "synthetic:1", "--limit", "2", "--strategies", "majority,pass", "--budgets", "1,2",
            "--out", str(out)]
    first = run(*args, env={"TTC_BACKEND__MAX_TOKENS": "64"})
    assert first.exit_code == 0, first.output
    summary = json.loads((out / "summary.json").read_text())
    assert summary["questions"] == 2 and summary["backend_calls"] >= 2 and (out / "accuracy_vs_budget.png").exists()
    again = run(*args, env={"TTC_BACKEND__MAX_TOKENS": "64"})
    assert again.exit_code == 0 and json.loads((out / "summary.json").read_text())["backend_calls"] == 0


@pytest.mark.integration
def test_calibrate_then_solve_with_the_policy(tmp_path):
    policy = tmp_path / "policy.json"
    fitted = run("calibrate", "--dataset", "synthetic:1", "--limit", "4", "--budgets", "1,2", "--bins", "2",
                 "--max-rounds", "2", "--rule", "guarded", "--out", str(policy), env={"TTC_BACKEND__MAX_TOKENS": "48"})
    assert fitted.exit_code == 0, fitted.output
    assert json.loads(policy.read_text())["policy"] and json.loads(policy.read_text())["rule"] == "guarded"
    solved = run("solve", "Tom has 3 apples and buys 4 more. How many apples does he have?", "--policy",
                 str(policy), "--budget", "2", "--json", env={"TTC_BACKEND__MAX_TOKENS": "48"})
    assert solved.exit_code == 0, solved.output
    payload = json.loads(solved.stdout[solved.stdout.index("{"):])
    assert payload["plan"]["kind"] and payload["spent"]["generations"] <= 2
    out = tmp_path / "mean-budget-eval"
    evaluated = run("eval", "--dataset", "synthetic:1", "--limit", "3", "--strategies", "majority", "--budgets", "1",
                 "--policy", str(policy), "--mean-budget", "2", "--workers", "1", "--out", str(out),
                 env={"TTC_BACKEND__MAX_TOKENS": "48"})
    assert evaluated.exit_code == 0, evaluated.output
    rows = [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines()]
    spent = [row["generations"] for row in rows if row["strategy"] == "mean_budget"]
    assert len(spent) == 3 and sum(spent) <= 2 * 3 and "mean_budget" in (out / "table.md").read_text()
    one_line_error(run("solve", "What is 2 + 2?", "--policy", str(tmp_path / "missing.json")), "ttc calibrate")
    one_line_error(run("calibrate", "--dataset", "synthetic:1", "--out", str(policy), "--rule", "best"),
                   "unknown rule 'best'; use argmax")


def _stub_config(tmp_path, server, max_tokens: int = 64, backend: dict | None = None, **sections) -> str:
    """A config for a text model on ``server`` (key in $STUB_KEY), with more ``backend`` fields and ``sections``."""
    return str(server.write_config(tmp_path / "stub.yaml", backend={"max_tokens": max_tokens, "params": 1.0e6,
                                                                      **(backend or {})},
                                   cache={"dir": tmp_path / "c"}, **sections))


@pytest.mark.integration
@pytest.mark.parametrize("flag", ["--token-budget", "--flops-budget"])
def test_a_budget_too_small_for_one_request_is_refused_at_once(tmp_path, monkeypatch, flag):
    from ttc_modules.testing import OpenAIStubServer

    monkeypatch.setenv("STUB_KEY", "k")
    with OpenAIStubServer(api_key="k") as server:
        limit = "600" if flag == "--token-budget" else "1.2e9"  # 600 tokens at 1e6 parameters
        result = run("solve", "What is 2 + 3?", flag, limit, "--config", _stub_config(tmp_path, server, 256))
        one_line_error(result, "exhausted", "x max_tokens", "raise the budget")
        assert server.count == 0


@pytest.mark.integration
def test_a_token_budget_that_holds_fewer_samples_draws_fewer_and_reserves_only_those(tmp_path, monkeypatch):
    from ttc_modules.testing import OpenAIStubServer

    monkeypatch.setenv("STUB_KEY", "k")
    with OpenAIStubServer(api_key="k") as server:
        result = run("solve", "What is 2 + 3?", "--n", "8", "--token-budget", "1200", "--json",
                     "--config", _stub_config(tmp_path, server, 100))
        assert result.exit_code == 0, result.output
        spent = json.loads(result.stdout)["spent"]
        asked = sum(int(request.get("n") or 1) for request in server.requests)
        assert 1 <= spent["generations"] == asked < 8 and spent["tokens"] <= 1200


# ---------------------------------------------------------------- messages that name the right thing
def test_a_binary_data_file_is_named_with_the_fix(tmp_path):
    data = tmp_path / "data.jsonl"
    data.write_bytes(b"GIF89a\x00\xff\xfe\x80 not text")
    one_line_error(run("eval", "--dataset", str(data), "--strategies", "majority", "--budgets", "1",
                       "--out", str(tmp_path / "out")), str(data), "UTF-8 JSONL or CSV")


@pytest.mark.parametrize("flag, value", [("--max-tokens", "0"), ("--temperature", "nan")])
def test_a_bad_flag_is_blamed_on_the_flag_not_the_config_file(tmp_path, flag, value):
    config = tmp_path / "ttc.yaml"
    config.write_text("backend:\n  max_tokens: 64\n")
    one_line_error(run("solve", "What is 2 + 2?", flag, value, "--config", str(config)),
                   f"the command line: {flag}", value)


def test_an_unknown_provider_is_named_with_the_fix():
    one_line_error(run("solve", "What is 2 + 2?", "--model", "foo/bar"), "unknown provider", "'foo'", "provider/name")


@pytest.mark.integration
def test_an_unreachable_server_is_named_by_its_address(tmp_path):
    config = tmp_path / "ttc.yaml"
    config.write_text("backend:\n  model: openai/x\n  api_base: http://127.0.0.1:9/v1\n  api_key_env: HOME\n"
                      "  model_type: text\nretry:\n  attempts: 1\n")
    one_line_error(run("solve", "What is 2 + 2?", "--config", str(config)), "cannot reach", "http://127.0.0.1:9/v1",
                   "backend.api_base")


@pytest.mark.integration
def test_a_timeout_names_backend_timeout(tmp_path, monkeypatch):
    from ttc_modules.testing import OpenAIStubServer

    monkeypatch.setenv("STUB_KEY", "k")
    with OpenAIStubServer(api_key="k", delay=3) as server:
        config = _stub_config(tmp_path, server, backend={"timeout": 0.5}, retry={"attempts": 1})
        one_line_error(run("solve", "What is 2 + 2?", "--config", config), "did not answer within 0.5 s",
                       "backend.timeout")


@pytest.mark.integration
def test_an_unreachable_reward_model_is_named(tmp_path, monkeypatch):
    from ttc_modules.testing import OpenAIStubServer

    monkeypatch.setenv("STUB_KEY", "k")
    with OpenAIStubServer(api_key="k") as server:
        one_line_error(run("solve", "What is 2 + 2?", "--n", "2", "--verifier", "prm:http://127.0.0.1:9/score",
                           "--config", _stub_config(tmp_path, server)), "http://127.0.0.1:9/score")


@pytest.mark.integration
def test_label_steps_writes_trl_rows_and_revision_pairs_and_a_rerun_asks_nothing(tmp_path, monkeypatch):
    from ttc_modules.testing import OpenAIStubServer

    monkeypatch.setenv("STUB_KEY", "k")
    labels, pairs = tmp_path / "labels.jsonl", tmp_path / "revisions.jsonl"
    with OpenAIStubServer(api_key="k") as server:
        command = ("label-steps", "--dataset", "synthetic:1", "--limit", "2", "--samples", "3", "--rollouts", "2",
                   "--out", str(labels), "--revisions", str(pairs), "--config", _stub_config(tmp_path, server))
        first = run(*command)
        assert first.exit_code == 0, first.output
        asked = server.count
        again = run(*command)
        assert again.exit_code == 0 and server.count == asked > 0
    rows = [json.loads(line) for line in labels.read_text().splitlines()]
    assert len(rows) == 6 and all(len(r["labels"]) == len(r["completions"]) for r in rows)
    assert "6 rows" in first.stderr and "backend calls now: 0" in again.stderr
    assert all(p["messages"][-1]["role"] == "assistant" for p in map(json.loads, pairs.read_text().splitlines()))


def test_train_prm_holds_questions_out_and_saves_a_verifier(tmp_path):
    from tests.verifiers.helpers import labelled
    from ttc_modules.verifiers.named import verifier_from_name

    labels = tmp_path / "labels.jsonl"
    labels.write_text("".join(json.dumps(row) + "\n" for row in labelled()))
    result = run("train-prm", str(labels), "--out", str(tmp_path / "prm"), "--embedding-model", "none")
    assert result.exit_code == 0, result.output
    assert "held-out questions: 15" in result.stdout and "step AUROC" in result.stdout
    report = json.loads((tmp_path / "prm" / "report.json").read_text())
    assert report["held_out"]["step_auroc"] == 1.0
    assert verifier_from_name(f"learned:{tmp_path / 'prm'}").name == "learned_prm"
    one_line_error(run("train-prm", str(labels), "--out", str(tmp_path / "p2"), "--embedding-model", "none",
                       "--held-out", "1.5"), "held_out=1.5")


@pytest.mark.integration
def test_the_judge_and_the_prompt_style_follow_the_config(tmp_path, monkeypatch):
    from ttc_modules.testing import OpenAIStubServer

    monkeypatch.setenv("STUB_KEY", "k")
    reply = "[[ ## reasoning ## ]]\n2 + 3 = 5.\n\n[[ ## answer ## ]]\n5\n\n[[ ## completed ## ]]"
    with OpenAIStubServer(api_key="k", responder=lambda *_: reply) as server:
        config = _stub_config(tmp_path, server, backend={"model_type": "chat"})
        result = run("solve", "What is 2 + 3?", "--n", "2", "--selection", "weighted", "--verifier", "judge",
                     "--prompt-style", "signature", "--json", "--config", config)
        assert result.exit_code == 0, result.output
        judged = [r for r in server.requests if r.get("max_tokens") in (1, 4)]  # the judge's yes/no or rating
        assert judged and "[[ ## reasoning ## ]]" in str(server.requests[0]["messages"])
        assert json.loads(result.stdout)["answer"] == "5"


def test_a_bad_prompt_style_is_one_line():
    one_line_error(run("solve", "What is 2 + 2?", "--prompt-style", "fancy"), "--prompt-style", "fancy")


def test_ray_without_an_address_is_a_cluster_of_this_machine():
    from ttc_modules.cli import LOCAL_RAY_CLUSTER, with_ray_address
    from ttc_modules.evaluation.workers import LOCAL

    assert LOCAL_RAY_CLUSTER == LOCAL
    assert with_ray_address(["eval", "--ray"]) == ["eval", "--ray", LOCAL]


def test_ray_at_an_address_with_no_cluster_is_one_clear_error(tmp_path, monkeypatch):
    monkeypatch.delenv("RAY_ADDRESS", raising=False)
    monkeypatch.setenv("RAY_TMPDIR", str(tmp_path))  # where "auto" looks for a cluster: none there
    one_line_error(run("eval", "--dataset", "synthetic:1", "--strategies", "majority", "--budgets", "1",
                       "--out", str(tmp_path / "out"), "--ray", "auto"), "no Ray cluster at --ray auto", "ray start")


def test_an_error_line_keeps_its_square_brackets(tmp_path):
    one_line_error(run("eval", "--dataset", str(tmp_path / "dspy-ttc[ray].jsonl"), "--out", str(tmp_path / "out")),
                   "dspy-ttc[ray].jsonl")
