"""Shared by the planner tests: a model and verifier with known best plans, questions, a fitted planner."""

import dspy
import pytest

from planners import ComputeOptimalPlanner, VerifierDifficulty
from planners.search_space import candidates
from ttc_modules.testing import scripted_lm


def model(prompt: str, seed: int) -> str:
    """Easy questions: right (1) three times in four. Hard ones: right (7) once in four, 8 twice, 9 once."""
    if "easy" in prompt:
        return "The answer is 2." if seed % 4 == 0 else "The answer is 1."
    return {0: "The answer is 7.", 1: "The answer is 8.", 2: "The answer is 8.", 3: "The answer is 9."}[seed % 4]


def verifier(inputs, steps):
    """Misleading on easy questions (likes the wrong 2), right on hard ones (likes 7)."""
    text = steps[-1]
    if "easy" in inputs["question"]:
        return 0.95 if "is 2" in text else 0.3
    return 0.9 if "is 7" in text else 0.1


def examples():
    easy = [dspy.Example(id=f"easy-{i}", question=f"easy question {i}?", answer="1").with_inputs("question")
            for i in range(6)]
    hard = [dspy.Example(id=f"hard-{i}", question=f"hard question {i}?", answer="7").with_inputs("question")
            for i in range(6)]
    return easy + hard


@pytest.fixture(scope="module")
def fitted(tmp_path_factory):
    planner = ComputeOptimalPlanner(budgets=[4], estimator=VerifierDifficulty(probes=4), bins=2,
                                    search_space=lambda budget: candidates(budget)[:2],
                                    work_dir=tmp_path_factory.mktemp("fit"))
    return planner.compile(examples(), verifier=verifier, lm=scripted_lm(model))


@pytest.fixture(name="model")
def _model():
    return model


@pytest.fixture(name="verifier")
def _verifier():
    return verifier


@pytest.fixture(name="examples")
def _examples():
    return examples
