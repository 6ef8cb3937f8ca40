"""Step labels from rollouts: the labels, what they cost, resuming, and the files TRL and fine-tuning read."""

import json
import re

import dspy
import pytest

from ttc_modules.evaluation.labelling import label_dataset
from ttc_modules.evaluation.revision_pairs import earlier_attempts, revision_pairs
from ttc_modules.evaluation.step_labels import StepLabeler
from ttc_modules.testing import scripted_lm


def policy(prompt: str, seed: int) -> str:
    """Solutions "<ok|bad> step.\\n\\n<ok|bad> step.\\n\\nThe answer is N." keyed by the seed; a rollout
    from a prefix with a bad step always ends at 0, from a clean prefix at 7 for even seeds only."""
    written = prompt.strip()
    if written.endswith("step."):  # a rollout: it finishes the prefix
        answer = 0 if "bad step." in written else (7 if seed % 2 == 0 else 0)
        return f"The answer is {answer}."
    first, second = ("ok" if seed % 3 else "bad"), ("ok" if seed % 5 else "bad")
    answer = 7 if first == second == "ok" else 0
    return f"{first} step.\n\n{second} step.\n\nThe answer is {answer}."


def example(id_: str = "q1") -> dspy.Example:
    return dspy.Example(id=id_, question=f"What is 3 + 4? ({id_})", answer="7").with_inputs("question")


def test_a_steps_label_is_the_fraction_of_rollouts_from_it_that_reach_the_reference():
    lm = scripted_lm(policy)
    entry = StepLabeler(lm, samples=6, rollouts=4).label(example())
    for solution in entry["solutions"]:
        steps, soft = solution["steps"], solution["soft_labels"]
        assert len(soft) == len(steps) == 3
        for k in (1, 2):
            bad_so_far = any(s.startswith("bad") for s in steps[:k])
            assert soft[k - 1] == (0.0 if bad_so_far else 0.5)  # 4 rollouts, seeds s..s+3: two even
        assert soft[2] == float(solution["correct"]) == float(steps[-1] == "The answer is 7.")
    assert {0.0, 0.5} <= {label for s in entry["solutions"] for label in s["soft_labels"][:2]}  # both kinds of prefix


def test_every_solution_and_rollout_is_counted():
    lm = scripted_lm(policy)
    entry = StepLabeler(lm, samples=5, rollouts=3).label(example())
    prefixes = sum(len(s["steps"]) - 1 for s in entry["solutions"])
    assert entry["spent"]["generations"] == 5 + 3 * prefixes
    assert entry["spent"]["lm_calls"] == lm.provider_fake.calls == 1 + prefixes
    assert lm.provider_fake.samples == 5 + 3 * prefixes


def test_the_output_is_trls_stepwise_supervision_and_loads_as_a_data_set(tmp_path):
    datasets = pytest.importorskip("datasets")
    out = tmp_path / "labels.jsonl"
    summary = label_dataset([example("q1"), example("q2")], StepLabeler(scripted_lm(policy), samples=3, rollouts=2), out)
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert summary["rows"] == len(rows) == 6 and summary["questions"] == 2
    for row in rows:
        assert len(row["completions"]) == len(row["labels"]) == len(row["soft_labels"])
        assert row["labels"] == [soft > 0 for soft in row["soft_labels"]]
        assert row["metadata"]["rollouts"] == 2 and row["metadata"]["dataset_hash"]
    loaded = datasets.load_dataset("json", data_files=str(out), split="train")
    assert loaded.num_rows == 6 and {"prompt", "completions", "labels"} <= set(loaded.column_names)
    assert loaded.features["labels"].feature.dtype == "bool"
    assert loaded.features["completions"].feature.dtype == loaded.features["prompt"].dtype == "string"
    trl_only = loaded.filter(lambda row: row["question_id"] != "q2").remove_columns(  # as docs/verifiers.md splits
        [c for c in loaded.column_names if c not in ("prompt", "completions", "labels")])
    assert trl_only.num_rows == 3 and sorted(trl_only.column_names) == ["completions", "labels", "prompt"]


def test_a_killed_run_resumes_without_relabelling_finished_questions(tmp_path):
    calls = []

    def dies_on_q3(prompt, seed):
        calls.append(prompt)
        if "(q3)" in prompt:
            raise RuntimeError("killed")
        return policy(prompt, seed)

    questions = [example("q1"), example("q2"), example("q3")]
    out = tmp_path / "labels.jsonl"
    with pytest.raises(Exception, match="killed"):
        label_dataset(questions, StepLabeler(scripted_lm(dies_on_q3, cache=False), samples=2, rollouts=2), out,
                      workers=1)
    assert not out.exists()
    calls.clear()
    summary = label_dataset(questions, StepLabeler(scripted_lm(policy, cache=False), samples=2, rollouts=2), out)
    assert summary["questions_labelled_now"] == 1 and summary["questions"] == 3
    assert calls == []  # the first responder is gone; nothing of q1 and q2 was asked again
    assert {json.loads(line)["question_id"] for line in out.read_text().splitlines()} == {"q1", "q2", "q3"}


def test_revision_pairs_put_the_closest_wrong_attempt_last_and_at_most_four():
    correct = "3 + 4 = 7.\n\nThe answer is 7."
    wrong = ["5 + 5 = 10.\n\nThe answer is 10.", "3 + 4 = 8.\n\nThe answer is 8.", "2 * 2 = 4.\n\nThe answer is 4."]
    import random

    assert earlier_attempts(correct, wrong, 2, random.Random(0))[-1] == wrong[1]
    entry = {"id": "q", "question": "What is 3 + 4?", "solutions": [
        *({"steps": w.split("\n\n"), "correct": False} for w in wrong * 3), {"steps": correct.split("\n\n"), "correct": True}]}
    pairs = revision_pairs([entry] * 20, seed=1)
    assert len(pairs) == 20 and {p["attempts"] for p in pairs} <= set(range(5)) and max(p["attempts"] for p in pairs) > 1
    for pair in pairs:
        user, assistant = pair["messages"]
        assert assistant == {"role": "assistant", "content": correct}
        if pair["attempts"]:
            last = re.split(r"Attempt \d+:\n", user["content"])[-1]
            assert last.startswith("3 + 4 = 8.")
