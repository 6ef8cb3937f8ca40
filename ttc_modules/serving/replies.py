"""The answers of ``ttc serve`` in OpenAI's shapes: a ``ChatCompletion``, or its stream of chunks.

The message holds the chosen solution; ``usage`` sums every inner call of the search (verifier calls
included); the top-level ``ttc`` object holds the answer, the strategy (or the plan a policy chose),
what was spent and how many candidates were finished. With ``n`` > 1 the choices are the best
distinct answers: the chosen one first, then the others by their total score (votes without one).

Example:
    >>> import dspy, networkx as nx
    >>> graph = nx.DiGraph(strategy="best_of_n")
    >>> graph.add_node(0, terminal=False, answer=None, score=None)
    >>> graph.add_node(1, terminal=True, answer="4", score=0.9, text="2 + 2 = 4. The answer is 4.")
    >>> prediction = dspy.Prediction(answer="4", reasoning="2 + 2 = 4. The answer is 4.", graph=graph, chosen=1,
    ...                              spent={"prompt_tokens": 10, "completion_tokens": 7})
    >>> reply = completion(prediction, "ttc", n=1, label="best_of_n")
    >>> reply["choices"][0]["message"]["content"], reply["usage"]["total_tokens"], reply["ttc"]["answer"]
    ('2 + 2 = 4. The answer is 4.', 17, '4')
"""

from __future__ import annotations

import time
import uuid
from collections import defaultdict

from ttc_modules.graph import finished_nodes, solution_steps
from ttc_modules.serving.dspy_prompts import DSPyForm


def completion(prediction, model: str, n: int, label: str, form: DSPyForm | None = None) -> dict:
    """The ``ChatCompletion`` of a finished search; each message in DSPy's fields when ``form`` says so."""
    texts = [form.reply(text, answer) if form else text for text, answer in best_distinct(prediction, n)]
    spent = dict(prediction.spent)
    return {"id": f"chatcmpl-{uuid.uuid4().hex}", "object": "chat.completion", "created": int(time.time()),
            "model": model,
            "choices": [{"index": i, "message": {"role": "assistant", "content": text}, "finish_reason": "stop",
                         "logprobs": None} for i, text in enumerate(texts)],
            "usage": usage(spent), "ttc": ttc_object(prediction, label)}


def usage(spent: dict) -> dict:
    prompt, completion_tokens = int(spent.get("prompt_tokens") or 0), int(spent.get("completion_tokens") or 0)
    return {"prompt_tokens": prompt, "completion_tokens": completion_tokens, "total_tokens": prompt + completion_tokens}


def ttc_object(prediction, label: str) -> dict:
    graph = prediction.graph
    plan = getattr(prediction, "plan", None)
    return {"answer": prediction.answer, "strategy": label if plan is None else plan.kind,
            "plan": None if plan is None else plan.model_dump(mode="json"), "spent": dict(prediction.spent),
            "candidates": len(finished_nodes(graph))}


def best_distinct(prediction, n: int) -> list[tuple[str, str | None]]:
    """The solutions and answers of the ``n`` best distinct answers (fewer when fewer were found): the
    chosen one first."""
    graph = prediction.graph
    finished = finished_nodes(graph)
    weight, best = defaultdict(float), {}
    for node in finished:
        data = graph.nodes[node]
        weight[data["answer"]] += data.get("score") if data.get("score") is not None else 1.0
        if data["answer"] not in best or (data.get("score") or 0) > (graph.nodes[best[data["answer"]]].get("score") or 0):
            best[data["answer"]] = node
    chosen = prediction.answer
    ranked = sorted(best, key=lambda answer: (answer != chosen, -weight[answer]))
    texts = [(prediction.reasoning if answer == chosen and prediction.reasoning
              else "\n\n".join(solution_steps(graph, best[answer])), answer) for answer in ranked]
    return texts[:n] or [(prediction.reasoning or "", prediction.answer)]


def chunks(reply: dict, include_usage: bool) -> list[dict]:
    """``reply`` as OpenAI's stream chunks: the role, each choice's whole content, its finish, then (when
    asked) the usage; the last chunk carries ``ttc``."""
    head = {"id": reply["id"], "object": "chat.completion.chunk", "created": reply["created"], "model": reply["model"]}
    out = []
    for choice in reply["choices"]:
        index = choice["index"]
        out.append({**head, "choices": [{"index": index, "delta": {"role": "assistant", "content": ""},
                                         "finish_reason": None}]})
        out.append({**head, "choices": [{"index": index, "delta": {"content": choice["message"]["content"]},
                                         "finish_reason": None}]})
        out.append({**head, "choices": [{"index": index, "delta": {}, "finish_reason": "stop"}]})
    if include_usage:
        out.append({**head, "choices": [], "usage": reply["usage"]})
    out[-1] = {**out[-1], "ttc": reply["ttc"]}
    return out
