"""``ttc solve``'s job: run one strategy on one question and report the answer, the candidates and the cost.

The default is best-of-N with a majority vote; any registered strategy can be used instead.

Example:
    >>> from ttc_modules.testing import scripted_lm
    >>> result = solve("What is 3 + 4?", scripted_lm(lambda p, s: "3 + 4 = 7.\\n\\nThe answer is 7."), n=3)
    >>> result["answer"], len(result["candidates"]), result["spent"]["generations"]
    ('7', 3, 3)
"""

from __future__ import annotations

from ttc_modules.budget import Budget
from ttc_modules.lm import TTCLM


def check_question(question: str) -> str:
    """The question stripped, or a clear error when it is empty."""
    if not question or not question.strip():
        raise ValueError("the question is empty; pass the question text, e.g. ttc solve \"What is 12 + 7?\"")
    return question.strip()


def solve(question: str, lm: TTCLM | None = None, n: int = 8, seed: int = 0, budget: Budget | None = None,
          strategy=None) -> dict:
    """Run ``strategy`` (default: best-of-``n`` with a majority vote) and report as a JSON-ready dict."""
    from ttc_modules.strategies import BestOfN

    if strategy is None:
        if n < 1:
            raise ValueError(f"n must be >= 1, got {n}; pass --n 1 or more")
        strategy = BestOfN(n=n, selection="majority", lm=lm, seed=seed, budget=budget or Budget(generations=n))
    prediction = strategy(question=check_question(question))
    return report(prediction)


def report(prediction) -> dict:
    """The answer, every finished candidate (solution text, answer, score) and what was spent."""
    from ttc_modules.graph import solution_steps

    graph = prediction.graph
    candidates = [{"node": node, "text": "\n\n".join(solution_steps(graph, node)), "answer": data["answer"],
                   "score": data["score"]}
                  for node, data in graph.nodes(data=True) if data["terminal"]]
    return {"question": graph.graph["inputs"]["question"], "strategy": graph.graph["strategy"],
            "answer": prediction.answer, "reasoning": prediction.reasoning, "candidates": candidates,
            "spent": prediction.spent}
