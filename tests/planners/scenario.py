"""The planner tests' world: a model and a verifier whose best plan per difficulty is known, and questions.

Easy questions: the model is right (1) three times in four, and the verifier misleads (it likes the
wrong 2), so majority voting is best. Hard ones: the model is right (7) once in four, and the
verifier likes 7, so weighted best-of-N is best.
"""

import dspy


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
