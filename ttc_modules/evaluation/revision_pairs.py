"""Training pairs for a reviser, built as the paper builds them (§6.1), from sampled solutions.

For each correct solution of a question, a random number (0 to 4) of the question's incorrect
solutions become its earlier attempts, the last of them the incorrect solution closest to the
correct one (by :class:`difflib.SequenceMatcher`'s similarity ratio, an edit-distance measure), so
the reviser learns to correct the kind of mistake it just made. A pair is written as chat messages:
the prompt the :class:`~ttc_modules.generation.Generator` shows its reviser, then the correct
solution, which is what fine-tuning tools read (``messages`` JSONL).

Example:
    >>> entry = {"id": "q1", "question": "What is 2 + 3?", "solutions": [
    ...     {"steps": ["2 + 3 = 5.", "The answer is 5."], "correct": True},
    ...     {"steps": ["2 + 3 = 6.", "The answer is 6."], "correct": False}]}
    >>> pair = revision_pairs([entry], seed=0)[0]
    >>> pair["attempts"], "Attempt 1:\\n2 + 3 = 6." in pair["messages"][0]["content"], pair["messages"][1]["content"]
    (1, True, '2 + 3 = 5.\\n\\nThe answer is 5.')
"""

from __future__ import annotations

import difflib
import random

from ttc_modules import prompts

MAX_ATTEMPTS = 4


def revision_pairs(entries: list[dict], seed: int = 0, delimiter: str = "\n\n") -> list[dict]:
    """Chat-message training pairs from labelled entries (``id``, ``question``, ``solutions`` with
    ``steps`` and ``correct``): one per correct solution, its earlier attempts drawn from the
    question's incorrect solutions (none when it has none)."""
    rng = random.Random(seed)
    pairs = []
    for entry in entries:
        texts = [(delimiter.join(s["steps"]), s["correct"]) for s in entry["solutions"] if s["steps"]]
        wrong = [text for text, correct in texts if not correct]
        for index, text in enumerate(t for t, correct in texts if correct):
            attempts = earlier_attempts(text, wrong, rng.randint(0, min(MAX_ATTEMPTS, len(wrong))), rng)
            pairs.append({"id": f"{entry['id']}/{index}", "attempts": len(attempts), "messages": [
                {"role": "user", "content": prompts.revision_question(entry["question"], attempts)},
                {"role": "assistant", "content": text}]})
    return pairs


def earlier_attempts(correct: str, wrong: list[str], count: int, rng: random.Random) -> list[str]:
    """``count`` of the ``wrong`` solutions, oldest first, the one closest to ``correct`` last."""
    if count == 0:
        return []
    closest = max(range(len(wrong)), key=lambda i: difflib.SequenceMatcher(None, wrong[i], correct).ratio())
    others = wrong[:closest] + wrong[closest + 1:]
    return [*rng.sample(others, count - 1), wrong[closest]]
