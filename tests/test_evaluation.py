"""The evaluation harness: data sets, graders, curves, bins, the results log, resuming, the exchange."""

import json

import pytest

from ttc_modules.evaluation.bins import quantile_bins
from ttc_modules.evaluation.curves import bootstrap_interval, expected_accuracy
from ttc_modules.evaluation.datasets import (
    DatasetError,
    load_dataset,
    load_gsm8k,
    load_math500,
    load_records,
    load_synthetic,
    split,
)
from ttc_modules.evaluation.exchange import inference_multiplier
from ttc_modules.evaluation.graders import is_correct, metric
from ttc_modules.evaluation.harness import Evaluation
from ttc_modules.evaluation.results import ResultsLog
from ttc_modules.testing import scripted_lm
from ttc_modules.verifiers import ArithmeticChecker


# ---------------------------------------------------------------------------- data sets
def test_shared_data_sets_load_with_references():
    gsm8k = load_gsm8k(limit=5)
    assert len(gsm8k) == 5 and gsm8k[0].answer == "72" and set(gsm8k[0].inputs().keys()) == {"question"}
    math = load_math500(limit=5)
    assert math[0].answer == "\\left( 3, \\frac{\\pi}{2} \\right)" and 1 <= math[0].level <= 5


def test_synthetic_is_seeded_and_graded():
    a, b = load_synthetic(3, seed=1), load_synthetic(3, seed=1)
    assert [e.question for e in a] == [e.question for e in b] and {e.level for e in a} == {1, 2, 3, 4, 5}
    assert load_synthetic(3, seed=2)[0].question != a[0].question


def test_bad_rows_are_reported_with_their_number_and_skipped(tmp_path, caplog):
    path = tmp_path / "mine.jsonl"
    path.write_text('{"q": "What is 1 + 1?", "a": "2"}\n{"q": "", "a": "3"}\nnot json\n{"a": "4"}\n'
                    '{"q": "What is 2 + 2?", "a": "4"}\n')
    examples = load_records(path, question="q", answer="a")
    assert [e.answer for e in examples] == ["2", "4"]
    assert "row 2: empty question" in caplog.text and "row 3: not a JSON object" in caplog.text
    assert "row 4: missing field 'q'" in caplog.text
    with pytest.raises(DatasetError, match="row 2: empty question"):
        load_records(path, question="q", answer="a", strict=True)


def test_csv_with_a_field_mapping_and_unparsable_answers(tmp_path, caplog):
    path = tmp_path / "mine.csv"
    path.write_text("problem,solution\nWhat is 1 + 1?,#### 2\nWhat is 5 - 2?,three\n")
    from ttc_modules.evaluation.datasets import _gsm8k_answer

    examples = load_records(path, question="problem", answer="solution", answer_parser=_gsm8k_answer)
    assert [e.answer for e in examples] == ["2"] and "row 3: unparsable answer" in caplog.text


def test_unknown_data_set_and_missing_file(tmp_path):
    with pytest.raises(DatasetError, match="unknown data set 'mnist'"):
        load_dataset("mnist")
    with pytest.raises(DatasetError, match="not found"):
        load_dataset(str(tmp_path / "missing.jsonl"))


def test_split_is_seeded_and_disjoint():
    examples = load_synthetic(5, levels=[1])
    train, test = split(examples, 0.4, seed=3)
    assert len(test) == 2 and not {e.id for e in train} & {e.id for e in test}
    assert split(examples, 0.4, seed=3) == (train, test)


# ---------------------------------------------------------------------------- graders
@pytest.mark.parametrize("predicted, reference", [
    ("\\frac{1}{2}", "0.5"), ("\\left( 3, \\frac{\\pi}{2} \\right)", "(3,\\pi/2)"), ("90^\\circ", "90"),
    ("1,000", "1000"), ("$18.00", "18"), ("\\dfrac{14}{3}", "\\frac{14}{3}")])
def test_equivalent_answers_are_correct(predicted, reference):
    assert is_correct(predicted, reference)


@pytest.mark.parametrize("predicted, reference", [("3", "4"), ("\\frac{1}{3}", "0.33"), (None, "1"), ("", "1")])
def test_different_or_missing_answers_are_wrong(predicted, reference):
    assert not is_correct(predicted, reference)


def test_metric_works_with_dspy_evaluate():
    import dspy

    devset = [dspy.Example(question="q", answer="4").with_inputs("question")]

    class Fixed(dspy.Module):
        def forward(self, question):
            return dspy.Prediction(answer="", reasoning="2 + 2 = 4. The answer is 4.")

    assert dspy.Evaluate(devset=devset, metric=metric, display_progress=False)(Fixed()).score == 100.0


# ---------------------------------------------------------------------------- curves and bins
SAMPLES = [{"answer": "7", "correct": True, "score": 0.6}, {"answer": "7", "correct": True, "score": 0.6},
           {"answer": "9", "correct": False, "score": 0.9}]


def test_expected_accuracy_enumerates_small_subsets_exactly():
    assert expected_accuracy(SAMPLES, 1, "pass") == pytest.approx(2 / 3)
    assert expected_accuracy(SAMPLES, 3, "weighted") == 1.0 and expected_accuracy(SAMPLES, 3, "naive") == 0.0
    # k = 2: subsets {7,7} right; {7,9} majority tie -> first seen, weighted 0.6 < 0.9 -> wrong
    assert expected_accuracy(SAMPLES, 2, "weighted") == pytest.approx(1 / 3)
    with pytest.raises(ValueError, match="needs 1 to 3"):
        expected_accuracy(SAMPLES, 4, "pass")


def test_bootstrap_interval_contains_the_mean_and_narrows_with_data():
    low, high = bootstrap_interval([1.0, 0.0] * 5)
    wide = bootstrap_interval([1.0, 0.0])
    assert low <= 0.5 <= high and (high - low) < (wide[1] - wide[0])


def test_quantile_bins_put_the_easiest_in_bin_one():
    bins = quantile_bins({f"q{i}": i / 9 for i in range(10)}, bins=5)
    assert bins["q9"] == 1 and bins["q0"] == 5 and sorted(set(bins.values())) == [1, 2, 3, 4, 5]


# ---------------------------------------------------------------------------- results log
def test_a_torn_last_line_is_dropped_and_redone(tmp_path):
    path = tmp_path / "results.jsonl"
    path.write_text(json.dumps({"id": "a", "strategy": "s", "budget": 1}) + "\n" + '{"id": "b", "strat')
    log = ResultsLog(path)
    assert log.done(("a", "s", 1, "")) and not log.done(("b", "s", 1, ""))
    log.append({"id": "b", "strategy": "s", "budget": 1})
    assert [json.loads(line)["id"] for line in path.read_text().splitlines()] == ["a", "b"]


# ---------------------------------------------------------------------------- the harness on fakes
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


# ---------------------------------------------------------------------------- exchange
def test_exchange_matches_the_papers_formula():
    assert inference_multiplier(14, 0.16) == pytest.approx(14 + 3 * (1 / 0.16) * 13)
    assert inference_multiplier(1, 5) == 1
    with pytest.raises(ValueError, match="ratio"):
        inference_multiplier(14, 0)


# ---------------------------------------------------------------------------- kill -9 and resume
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


def test_progress_without_a_terminal_prints_lines_with_eta(capsys):
    from ttc_modules.evaluation.progress import progress_bar

    with progress_bar(3, title="calibrating", every=0) as advance:
        for label in ("q1", "q2", "q3"):
            advance(label)
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 3 and lines[0].startswith("calibrating: 1/3 (33%), 0m00s elapsed, ETA ")
    assert lines[-1].endswith(": q3") and "3/3 (100%)" in lines[-1]
