"""Shared by the verifier tests: the question the solutions answer."""

QUESTION = {"question": "Mia had 20 dollars. She spent 7 dollars on lunch and 5 dollars on a book. How much is left?"}
