"""The learned PRM: trained on soft labels with questions held apart, saved as JSON, a Verifier everywhere."""

import json

import pytest

from tests.verifiers.helpers import labelled
from ttc_modules import BestOfN
from ttc_modules.testing import scripted_lm
from ttc_modules.verifiers import Verifier
from ttc_modules.verifiers.base import VerifierError
from ttc_modules.verifiers.learned_prm import LearnedPRM
from ttc_modules.verifiers.named import verifier_from_name
from ttc_modules.verifiers.prm_training import split_questions, train_prm
from ttc_modules.verifiers.step_features import StepFeatures

CHECKER_ONLY = StepFeatures(embedding_model=None)


def test_held_out_questions_never_reach_training():
    rows = labelled()
    train, test = split_questions(rows, held_out=0.25, seed=1)
    assert not train & test and len(test) == 15 and train | test == {r["question_id"] for r in rows}
    prm, report = train_prm(rows, CHECKER_ONLY, held_out=0.25, seed=1)
    assert report["held_out"]["questions"] == 15 and report["train"]["questions"] == 45
    assert set(report["held_out_question_ids"]) == test
    assert report["held_out"]["prefixes"] == 45 and report["train"]["prefixes"] == 135


def test_it_learns_the_soft_labels_and_its_probabilities_are_calibrated():
    prm, report = train_prm(labelled(90), CHECKER_ONLY, held_out=0.3)
    right = prm.score({"question": "What is (100 + 3) * 2?"}, ["100 + 3 = 103.", "103 * 2 = 206."])
    wrong = prm.score({"question": "What is (100 + 3) * 2?"}, ["100 + 3 = 104.", "104 * 2 = 208."])
    assert all(0.7 < s < 0.9 for s in right) and all(0.0 < s < 0.2 for s in wrong)  # near 0.8 and 0
    assert report["held_out"]["step_auroc"] == 1.0 and report["held_out"]["brier"] < report["held_out"]["checker_brier"]


def test_a_cross_validation_fold_with_one_class_does_not_stop_training():
    rows = [row for row in labelled(12) if row["labels"][0] or row["question_id"] == "q0"]  # one wrong question
    prm, report = train_prm(rows, CHECKER_ONLY, held_out=0.0001, seed=0)
    assert report["train"]["questions"] >= 4 and 0 <= prm.score({"question": "q"}, ["1 + 3 = 4."])[0] <= 1


def test_saved_as_json_and_loaded_by_name(tmp_path):
    prm, _ = train_prm(labelled(), CHECKER_ONLY)
    path = prm.save(tmp_path / "prm")
    assert json.loads(path.read_text())["kind"] == "learned_prm"
    loaded = verifier_from_name(f"learned:{tmp_path / 'prm'}")
    steps = ["5 + 3 = 8.", "The answer is 16."]
    assert isinstance(loaded, Verifier) and loaded.cache_id == prm.cache_id
    assert loaded.score({"question": "q"}, steps) == prm.score({"question": "q"}, steps)


def test_it_drives_a_strategy():
    prm, _ = train_prm(labelled(), CHECKER_ONLY)
    lm = scripted_lm(lambda prompt, seed: "2 + 3 = 5.\n\nThe answer is 5." if seed % 2 else "2 + 3 = 6.\n\nThe answer is 6.")
    assert BestOfN(n=4, selection="weighted", verifier=prm, lm=lm)(question="What is 2 + 3?").answer == "5"


def test_bad_files_and_mismatched_features_are_named(tmp_path):
    with pytest.raises(VerifierError, match="ttc train-prm"):
        LearnedPRM.load(tmp_path / "missing")
    (tmp_path / "prm.json").write_text("{}")
    with pytest.raises(VerifierError, match="not a learned PRM"):
        LearnedPRM.load(tmp_path)
    prm, _ = train_prm(labelled(), CHECKER_ONLY)
    with pytest.raises(VerifierError, match="expects 4 features, got 5"):
        prm.predict([[0.0] * 5])


def test_too_few_questions_to_hold_any_out_is_refused():
    with pytest.raises(ValueError, match="at least 4 questions"):
        train_prm(labelled(3), CHECKER_ONLY)


@pytest.mark.integration
def test_features_embed_each_prefix_with_the_embedded_model():
    features = StepFeatures()
    rows = features.rows("What is 2 + 3?", ["2 + 3 = 5.", "The answer is 5."])
    assert [len(r) for r in rows] == [576 + 4] * 2 and rows[0][:576] != rows[1][:576]
    assert features.rows("What is 2 + 3?", ["2 + 3 = 5."])[0] == rows[0]  # prefix rows do not see later steps
