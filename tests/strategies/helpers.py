"""Shared by the strategy tests: the question, a responder, checks of the search tree."""

import networkx as nx

Q = "What is the number?"
NODE_KEYS = {"kind", "text", "step_scores", "score", "depth", "rollout_id", "terminal", "answer", "tokens",
             "verifier_tokens"}


def seven_or_nine(prompt: str, seed: int) -> str:
    return "The answer is 9." if seed % 3 == 0 else "The answer is 7."


def assert_tree(graph):
    assert nx.is_arborescence(graph)
    for _, data in graph.nodes(data=True):
        assert set(data) >= NODE_KEYS
    for _, _, data in graph.edges(data=True):
        assert data["op"] in ("sample", "extend", "lookahead", "revise") and data["module"]


def expanded_parents(graph, depth):
    return [n for n, d in graph.nodes(data=True) if d["depth"] == depth and graph.out_degree(n) > 0]
