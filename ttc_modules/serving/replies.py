"""The answers of ``ttc serve`` in OpenAI's shapes: a ``ChatCompletion``, or its stream of chunks.

The message holds the chosen candidate's own text (:class:`Content`): the math program's solution;
a program's output as it wrote it (one output alone, several as ``name: value`` blocks); for a
request a DSPy program wrote, the candidate's fields in its adapter's format, which that adapter
parses back. ``usage`` sums every inner call of the search (verifier calls included); the top-level
``ttc`` object holds the answer, the strategy (or the plan a policy chose), what was spent and how
many candidates were finished. With ``n`` > 1 the choices are the best distinct answers (grouped as
the program's votes group them): the chosen one first, then the others by their total score (votes
without one).

Example:
    >>> import dspy, networkx as nx
    >>> from ttc_modules.generation import MATH_FIELDS
    >>> graph = nx.DiGraph(strategy="best_of_n")
    >>> graph.add_node(0, terminal=False, answer=None, score=None, kind="root", text="", outputs=None)
    >>> graph.add_node(1, terminal=True, answer="4", score=0.9, text="2 + 2 = 4. The answer is 4.", kind="answer",
    ...                outputs=None)
    >>> graph.add_edge(0, 1)
    >>> prediction = dspy.Prediction(answer="4", reasoning="2 + 2 = 4. The answer is 4.", graph=graph, chosen=1,
    ...                              spent={"prompt_tokens": 10, "completion_tokens": 7})
    >>> reply = completion(prediction, "ttc", n=1, label="best_of_n", content=Content(MATH_FIELDS))
    >>> reply["choices"][0]["message"]["content"], reply["usage"]["total_tokens"], reply["ttc"]["answer"]
    ('2 + 2 = 4. The answer is 4.', 17, '4')
"""

from __future__ import annotations

import time
import uuid
from collections import defaultdict
from dataclasses import dataclass

from ttc_modules.graph import Node, finished_nodes, solution_steps
from ttc_modules.programs import ProgramFields, render_outputs
from ttc_modules.serving.dspy_prompts import DSPyForm


@dataclass(frozen=True)
class Content:
    """How a candidate (a graph node) is written in a reply: by the program's ``fields``, or in the ``form``
    of the DSPy program that sent the request."""

    fields: ProgramFields
    form: DSPyForm | None = None

    def of(self, graph, node: int) -> str:
        outputs = Node(graph, node).outputs
        if self.form is not None and outputs is not None:
            return self.form.reply(outputs)
        if outputs is not None:
            return render_outputs(outputs, self.fields.outputs)
        return "\n\n".join(solution_steps(graph, node))

    def answer(self, prediction):
        """The chosen answer as the ``ttc`` object reports it: the answer field's value."""
        return prediction.get(self.fields.answer)


def completion(prediction, model: str, n: int, label: str, content: Content) -> dict:
    """The ``ChatCompletion`` of a finished search, each message written as ``content`` says."""
    texts = best_distinct(prediction, n, content)
    spent = dict(prediction.spent)
    return {"id": f"chatcmpl-{uuid.uuid4().hex}", "object": "chat.completion", "created": int(time.time()),
            "model": model,
            "choices": [{"index": i, "message": {"role": "assistant", "content": text}, "finish_reason": "stop",
                         "logprobs": None} for i, text in enumerate(texts)],
            "usage": usage(spent), "ttc": ttc_object(prediction, label, content)}


def usage(spent: dict) -> dict:
    prompt, completion_tokens = int(spent.get("prompt_tokens") or 0), int(spent.get("completion_tokens") or 0)
    return {"prompt_tokens": prompt, "completion_tokens": completion_tokens, "total_tokens": prompt + completion_tokens}


def ttc_object(prediction, label: str, content: Content) -> dict:
    graph = prediction.graph
    plan = getattr(prediction, "plan", None)
    return {"answer": content.answer(prediction), "strategy": label if plan is None else plan.kind,
            "plan": None if plan is None else plan.model_dump(mode="json"), "spent": dict(prediction.spent),
            "candidates": len(finished_nodes(graph))}


def best_distinct(prediction, n: int, content: Content) -> list[str]:
    """The texts of the ``n`` best distinct answers (fewer when fewer were found): the chosen one first."""
    graph, chosen = prediction.graph, getattr(prediction, "chosen", None)
    finished = finished_nodes(graph)
    groups = content.fields.equivalence.groups([Node(graph, node).answer for node in finished])
    weight, best = defaultdict(float), {}
    for node, group in zip(finished, groups, strict=True):
        score = Node(graph, node).score
        weight[group] += score if score is not None else 1.0
        if group not in best or (score or 0) > (Node(graph, best[group]).score or 0):
            best[group] = node
    chosen_group = next((g for node, g in zip(finished, groups, strict=True) if node == chosen), None)
    ranked = sorted(best, key=lambda group: (group != chosen_group, -weight[group]))
    nodes = [chosen if group == chosen_group and chosen is not None else best[group] for group in ranked]
    texts = [content.of(graph, node) for node in nodes if node is not None]
    if chosen is not None and not texts:
        texts = [content.of(graph, chosen)]
    return texts[:n] or [""]


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
