"""``ttc solve``'s job: best-of-N with a majority vote over one question.

The samples are drawn with :func:`ttc_modules.lm.sample` (one batched request where the backend
takes ``n``), each answer is extracted and normalised, and the most frequent one wins. The
budget meter records what was spent, cache hits included.

Example:
    >>> from ttc_modules.config import load_settings
    >>> from ttc_modules.lm import build_lm
    >>> result = solve("What is 12 + 7?", build_lm(load_settings()), n=4)  # doctest: +SKIP
    >>> sorted(result)  # doctest: +SKIP
    ['answer', 'candidates', 'question', 'spent']
"""

from __future__ import annotations

from ttc_modules import prompts
from ttc_modules.aggregation import majority_vote
from ttc_modules.budget import Budget, BudgetMeter
from ttc_modules.lm import TTCLM, sample
from ttc_modules.steps import extract_answer, normalize_answer


def is_base_model(lm: TTCLM) -> bool:
    """True when the model wants a plain few-shot text prompt rather than a chat."""
    from ttc_modules import local

    if lm.model.startswith(f"{local.PROVIDER}/"):
        return not local.resolve_model(lm.model).chat
    return lm.model_type == "text"


def question_messages(lm: TTCLM, question: str) -> tuple[list[dict], dict]:
    """The messages for ``question`` and the extra request options (stop sequences) the model needs."""
    if is_base_model(lm):
        return [{"role": "user", "content": prompts.text_prompt(question)}], {"stop": prompts.TEXT_STOP}
    return prompts.chat_messages(question), {}


def check_question(question: str) -> str:
    """The question stripped, or a clear error when it is empty."""
    if not question or not question.strip():
        raise ValueError("the question is empty; pass the question text, e.g. ttc solve \"What is 12 + 7?\"")
    return question.strip()


def solve(question: str, lm: TTCLM, n: int = 8, seed: int = 0, budget: Budget | None = None) -> dict:
    """Sample ``n`` solutions, vote, and report the answer, the candidates and what was spent."""
    question = check_question(question)
    if n < 1:
        raise ValueError(f"n must be >= 1, got {n}; pass --n 1 or more")
    meter = BudgetMeter(budget or Budget(generations=n), params=lm.params)
    messages, options = question_messages(lm, question)
    with meter.active():
        meter.reserve(generations=n)
        texts = sample(lm, messages, n=n, seed=seed, **options)
    candidates = [{"text": text.strip(), "answer": normalize_answer(extract_answer(text))} for text in texts]
    return {"question": question, "answer": majority_vote([c["answer"] for c in candidates]),
            "candidates": candidates, "spent": meter.spent()}
