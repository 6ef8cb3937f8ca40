"""Shared by the verifier tests: the question the solutions answer, and step labels to train on."""

QUESTION = {"question": "Mia had 20 dollars. She spent 7 dollars on lunch and 5 dollars on a book. How much is left?"}


def labelled(count: int = 60) -> list[dict]:
    """Rows whose soft labels follow the arithmetic: a wrong step and everything after it is worth 0."""
    rows = []
    for i in range(count):
        wrong = i % 3 == 0
        result = i + 3 + (1 if wrong else 0)
        steps = [f"{i} + 3 = {result}.", f"{result} * 2 = {2 * result}.", f"The answer is {2 * result}."]
        rows.append({"question_id": f"q{i}", "prompt": f"What is ({i} + 3) * 2?", "completions": steps,
                     "labels": [not wrong] * 3, "soft_labels": [0.0 if wrong else 0.8] * 3})
    return rows
