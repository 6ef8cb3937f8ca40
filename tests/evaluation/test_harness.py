"""The evaluation harness: results, summary and plots, resuming (after kill -9 too), rows not reused."""

import json

import pytest

from ttc_modules.evaluation.datasets import load_synthetic
from ttc_modules.evaluation.harness import Evaluation
from ttc_modules.testing import scripted_lm
from ttc_modules.verifiers import ArithmeticChecker


def answers_by_seed(prompt: str, seed: int) -> str:
    if "step" in prompt or "Attempt" in prompt:
        return "The answer is 3."
    return f"1 + 2 = 3.\n\nThe answer is {3 if seed % 2 else 4}."


def test_evaluation_writes_results_summary_and_plots_then_resumes_without_calls(tmp_path):
    examples = load_synthetic(2, levels=[1, 2])
    for example in examples:
        example.answer = "3"
    lm = scripted_lm(answers_by_seed)
    run = lambda: Evaluation(examples, lm, ArithmeticChecker(), ["majority", "weighted", "pass", "beam_search"],  # noqa: E731
                             [1, 2, 4], tmp_path, progress=False, search_options={"max_rounds": 2}).run()
    summary = run()
    rows = [json.loads(line) for line in (tmp_path / "results.jsonl").read_text().splitlines()]
    assert len(rows) == len(examples) * 4 * 3
    assert summary["backend_calls"] > 0 and summary["bins_from"] == "level"
    assert set(summary["accuracy"]["pass"]["4"]) == {"1", "2", "all"}
    cell = summary["accuracy"]["pass"]["4"]["all"]
    assert cell["low"] <= cell["accuracy"] <= cell["high"] and cell["n"] == 4
    assert (tmp_path / "accuracy_vs_budget.png").exists() and json.loads((tmp_path / "summary.json").read_text())
    calls_before = lm.provider_fake.calls
    again = run()
    assert again["backend_calls"] == 0 and lm.provider_fake.calls == calls_before
    assert again["accuracy"] == summary["accuracy"]


def test_oracle_bins_when_the_data_has_no_level(tmp_path):
    examples = load_synthetic(3, levels=[1])
    for example in examples:
        del example["level"]
        example.answer = "3"
    summary = Evaluation(examples, scripted_lm(answers_by_seed), None, ["majority"], [2], tmp_path, bins=2,
                         progress=False).run()
    assert summary["bins_from"].startswith("oracle")


def test_unknown_strategy_or_missing_verifier_is_named(tmp_path):
    examples = load_synthetic(1, levels=[1])
    with pytest.raises(ValueError, match="unknown strategy 'mcts'"):
        Evaluation(examples, scripted_lm(answers_by_seed), None, ["mcts"], [1], tmp_path)
    with pytest.raises(ValueError, match="'weighted' needs a verifier"):
        Evaluation(examples, scripted_lm(answers_by_seed), None, ["weighted"], [1], tmp_path)


def test_an_evaluation_killed_with_sigkill_resumes_without_repeating_finished_calls(tmp_path):
    import os
    import signal
    import subprocess
    import sys
    import time
    from pathlib import Path

    child = Path(__file__).parent / "eval_child.py"
    out, calls = tmp_path / "out", tmp_path / "calls.jsonl"
    env = {**os.environ, "TTC_CACHE__DIR": str(tmp_path / "cache"), "PYTHONPATH": str(Path(__file__).parent)}
    first = subprocess.Popen([sys.executable, str(child), str(out), str(calls)], env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.time() + 120
    while time.time() < deadline and _rows(out) < 38:  # the 36 bank rows and a few beam search rows
        time.sleep(0.05)
    os.kill(first.pid, signal.SIGKILL)
    first.wait()
    assert first.returncode == -signal.SIGKILL
    before = _calls(calls)
    rows_at_kill = _rows(out)
    assert before and 38 <= rows_at_kill < 54

    calls.write_text("")
    second = subprocess.run([sys.executable, str(child), str(out), str(calls)], env=env, capture_output=True,
                            text=True, timeout=300)
    assert second.returncode == 0, second.stderr[-2000:]
    after = _calls(calls)
    rows = [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines()]
    keys = [(r["id"], r["strategy"], r["budget"]) for r in rows]
    assert len(keys) == len(set(keys)) == 6 * 3 * 3 and len(rows) >= rows_at_kill

    # the same evaluation from scratch, uninterrupted, generates T samples; killed + resumed may
    # repeat only the request in flight at the kill (n_max = 4 samples at most)
    fresh_env = {**env, "TTC_CACHE__DIR": str(tmp_path / "fresh-cache")}
    fresh_calls = tmp_path / "fresh.jsonl"
    subprocess.run([sys.executable, str(child), str(tmp_path / "fresh"), str(fresh_calls)], env=fresh_env,
                   capture_output=True, text=True, timeout=300, check=True)
    assert len(before) + len(after) <= len(_calls(fresh_calls)) + 4

    third = subprocess.run([sys.executable, str(child), str(out), str(calls)], env=env, capture_output=True,
                           text=True, timeout=300)
    assert json.loads(third.stdout.strip().splitlines()[-1]) == {"backend_calls": 0}


def test_two_evaluations_into_one_directory_share_the_work(tmp_path):
    """Started at once on one output directory and one cache: no row twice, no call made by both."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    child = Path(__file__).parent / "eval_child.py"
    env = {**os.environ, "TTC_CACHE__DIR": str(tmp_path / "cache"), "PYTHONPATH": str(Path(__file__).parent)}
    both = [subprocess.Popen([sys.executable, str(child), str(tmp_path / "out"), str(tmp_path / f"calls{i}.jsonl")],
                             env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for i in (1, 2)]
    for process in both:
        _, stderr = process.communicate(timeout=300)
        assert process.returncode == 0, stderr[-2000:]
    rows = [json.loads(line) for line in (tmp_path / "out" / "results.jsonl").read_text().splitlines()]
    keys = [(r["id"], r["strategy"], r["budget"]) for r in rows]
    assert len(keys) == len(set(keys)) == 6 * 3 * 3
    shared = _calls(tmp_path / "calls1.jsonl") + _calls(tmp_path / "calls2.jsonl")

    alone_env = {**env, "TTC_CACHE__DIR": str(tmp_path / "alone-cache")}
    subprocess.run([sys.executable, str(child), str(tmp_path / "alone"), str(tmp_path / "alone.jsonl")], env=alone_env,
                   capture_output=True, text=True, timeout=300, check=True)
    assert sorted(shared) == sorted(_calls(tmp_path / "alone.jsonl"))
    assert _calls(tmp_path / "calls1.jsonl") and _calls(tmp_path / "calls2.jsonl")  # both did some of the work


def _rows(out) -> int:
    path = out / "results.jsonl"
    return len(path.read_text().splitlines()) if path.exists() else 0


def _calls(path) -> list[tuple]:
    return [tuple(json.loads(line)) for line in path.read_text().splitlines()] if path.exists() else []


def test_rows_made_with_other_settings_are_not_reused(tmp_path):
    examples = load_synthetic(2, levels=[1])
    for example in examples:
        example.answer = "3"
    run = lambda lm, rounds: Evaluation(examples, lm, ArithmeticChecker(), ["majority", "beam_search"], [2],  # noqa: E731
                                        tmp_path, progress=False, search_options={"max_rounds": rounds}).run()
    right = scripted_lm(lambda p, s: "1 + 2 = 3.\n\nThe answer is 3.", name="right")
    assert run(right, 2)["accuracy"]["majority"]["2"]["all"]["accuracy"] == 1.0
    wrong = scripted_lm(lambda p, s: "1 + 2 = 4.\n\nThe answer is 4.", name="wrong")
    other_model = run(wrong, 2)  # same output directory: the first model's rows must not answer for this one
    assert other_model["accuracy"]["majority"]["2"]["all"]["accuracy"] == 0.0
    assert other_model["accuracy"]["beam_search"]["2"]["all"]["accuracy"] == 0.0
    assert other_model["questions"] == 2 and other_model["accuracy"]["beam_search"]["2"]["all"]["n"] == 2
    rows = lambda: [json.loads(line) for line in (tmp_path / "results.jsonl").read_text().splitlines()]  # noqa: E731
    before = rows()
    run(wrong, 3)  # other search options: beam search runs again (from the LM cache), the bank rows stay
    added = rows()[len(before):]
    assert [r["strategy"] for r in added] == ["beam_search"] * 2
    calls = wrong.provider_fake.calls
    assert run(wrong, 3)["backend_calls"] == 0 and wrong.provider_fake.calls == calls and len(rows()) == len(before) + 2


def test_search_options_go_to_the_strategies_that_take_them(tmp_path):
    examples = load_synthetic(1, levels=[1])
    summary = Evaluation(examples, scripted_lm(answers_by_seed), ArithmeticChecker(), ["revisions", "dvts"], [2],
                         tmp_path, progress=False, search_options={"max_rounds": 2}).run()
    assert set(summary["accuracy"]) == {"revisions", "dvts"}


def test_early_stopping_rows_replay_the_bank_and_record_the_samples_they_drew(tmp_path):
    examples = load_synthetic(2, levels=[1])
    for example in examples:
        example.answer = "3"
    lm = scripted_lm(lambda prompt, seed: "1 + 2 = 3.\n\nThe answer is 3.", name="agreeing-bank")
    summary = Evaluation(examples, lm, None, ["majority", "beta", "window"], [4, 16], tmp_path, progress=False).run()
    rows = {(r["strategy"], r["budget"]): r for r in
            (json.loads(line) for line in (tmp_path / "results.jsonl").read_text().splitlines())}
    assert rows[("beta", 16)]["generations"] == 4 and rows[("window", 16)]["generations"] == 5  # unanimous
    assert rows[("majority", 16)]["generations"] == 16 and rows[("beta", 4)]["generations"] == 4
    assert rows[("beta", 16)]["tokens"] < rows[("majority", 16)]["tokens"]
    assert summary["accuracy"]["beta"]["16"]["all"]["accuracy"] == 1.0
