"""The search graph: a ``networkx.DiGraph`` over partial solutions, and free helpers on it.

Schema (written once, here):

- graph attributes: ``inputs`` (dict), ``strategy`` (kind), ``config`` (dict), ``seed`` (int), ``chosen`` (the
  node the call answered with, or None) and, for best-of-N with a stop rule or a threshold, ``stopped``
  (after how many samples the stop rule ended the draw, and why; None where it did not).
- node attributes: ``kind`` (``root`` | ``step`` | ``answer`` | ``revision``), ``text`` (this node's
  own text: one step, a whole solution or a revision), ``step_scores`` (list of floats, one per
  step of the path to this node, from the verifier), ``score`` (their aggregate), ``depth`` (steps
  from the root), ``rollout_id`` (the sample index that produced it), ``terminal`` (bool: the
  solution ends here), ``answer`` (the final answer as written, or None), ``tokens`` (completion tokens
  spent producing it), ``verifier_tokens`` (tokens the verifier spent scoring it, cache hits included),
  ``outputs`` (a user's program's output fields, as the program wrote them, where a candidate ends; None
  elsewhere, and for the math program, whose answer is read from its text), ``ended`` (why the solution
  ends here, None where it does not: ``answer``, ``end of text``, ``max depth``, ``token limit``,
  ``unreadable``, ``empty step``, or ``no progress: <why>`` for a step that added nothing, whose
  solution's answer is read from before it; ``progress.py``).
- edge attributes: ``op`` (``sample`` | ``extend`` | ``lookahead`` | ``revise``) and ``module``
  (the name of the module that produced the child).

Read a node's attributes through :class:`Node` (``Node(graph, n).score``) and change them with
:func:`update_node`, so the names above are written in this module only.

Every graph is a tree rooted at node 0 (``nx.is_arborescence``). A best-of-N run is a star, beam
search a pruned tree, revisions a set of chains. No module objects are stored in it, so it
serialises to JSON (node-link) and GraphML.

Example:
    >>> g = new_graph({"question": "1 + 1?"}, "best_of_n", {"n": 2}, seed=0)
    >>> child = add_child(g, ROOT, kind="answer", text="1 + 1 = 2.", op="sample", module="generator",
    ...                   terminal=True, answer="2")
    >>> path_steps(g, child), nx.is_arborescence(g), Node(g, child).answer
    (['1 + 1 = 2.'], True, '2')
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Generic, TypeVar

import networkx as nx

ROOT = 0
T = TypeVar("T")


class _Attribute(Generic[T]):
    """A node attribute of the schema, read live from the graph under the name it is declared with in Node."""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, node: Node | None, owner: type | None = None) -> T:
        return self if node is None else node.graph.nodes[node.id][self.name]


@dataclass(frozen=True)
class Node:
    """One node of a search graph, its attributes read by the schema's names (the module docstring):
    ``Node(graph, n).score`` is ``graph.nodes[n]["score"]``.

    A view, not a copy: it reads the graph as it is now, and never writes it (:func:`update_node` does).

    Example:
        >>> g = new_graph({"question": "1 + 1?"}, "best_of_n", {}, seed=0)
        >>> child = Node(g, add_child(g, ROOT, kind="answer", text="2", op="sample", module="m", terminal=True,
        ...                           answer="2", tokens=3))
        >>> child, child.kind, child.answer, child.terminal, child.tokens, child.depth, child.score
        (Node(id=1), 'answer', '2', True, 3, 1, None)
    """

    graph: nx.DiGraph = field(repr=False)
    id: int

    kind = _Attribute[str]()
    text = _Attribute[str]()
    step_scores = _Attribute[list[float]]()
    score = _Attribute[float | None]()
    depth = _Attribute[int]()
    rollout_id = _Attribute[int | None]()
    terminal = _Attribute[bool]()
    answer = _Attribute[Any]()
    tokens = _Attribute[int]()
    verifier_tokens = _Attribute[int]()
    outputs = _Attribute[dict | None]()
    ended = _Attribute[str | None]()


# the names of the schema's node attributes, as Node reads them
NODE_ATTRIBUTES = frozenset(name for name, value in vars(Node).items() if isinstance(value, _Attribute))


def update_node(graph: nx.DiGraph, node: int, **attributes) -> None:
    """Set some of ``node``'s attributes, named as the schema names them (another name is a ``TypeError``).

    Example:
        >>> g = new_graph({"question": "1 + 1?"}, "best_of_n", {}, seed=0)
        >>> update_node(g, ROOT, step_scores=[0.5], score=0.5)
        >>> Node(g, ROOT).step_scores, Node(g, ROOT).score
        ([0.5], 0.5)
    """
    unknown = sorted(set(attributes) - NODE_ATTRIBUTES)
    if unknown:
        raise TypeError(f"{', '.join(unknown)}: not node attributes of the search graph "
                        f"({', '.join(sorted(NODE_ATTRIBUTES))})")
    graph.nodes[node].update(attributes)


def new_graph(inputs: dict, strategy: str, config: dict, seed: int) -> nx.DiGraph:
    """A graph holding only the root, which carries the inputs."""
    graph = nx.DiGraph(inputs=dict(inputs), strategy=strategy, config=dict(config), seed=seed)
    text = inputs["question"] if "question" in inputs else "\n\n".join(f"{k}: {v}" for k, v in inputs.items())
    graph.add_node(ROOT, kind="root", text=str(text), step_scores=[], score=None, depth=0, rollout_id=None,
                   terminal=False, answer=None, tokens=0, verifier_tokens=0, outputs=None, ended=None)
    return graph


def add_child(graph: nx.DiGraph, parent: int, *, kind: str, text: str, op: str, module: str,
              rollout_id: int | None = None, tokens: int = 0, terminal: bool = False,
              answer=None, steps: int = 1, outputs: dict | None = None, ended: str | None = None) -> int:
    """Add a node under ``parent`` and return its id; ``steps`` is how many steps ``text`` holds."""
    node = graph.number_of_nodes()
    graph.add_node(node, kind=kind, text=text, step_scores=[], score=None,
                   depth=Node(graph, parent).depth + steps, rollout_id=rollout_id, terminal=terminal,
                   answer=answer, tokens=tokens, verifier_tokens=0, outputs=outputs,
                   ended=ended if ended is not None else ("answer" if terminal else None))
    graph.add_edge(parent, node, op=op, module=module)
    return node


def path_nodes(graph: nx.DiGraph, node: int) -> list[int]:
    """The nodes from the root's first child down to ``node``."""
    path = []
    while node != ROOT:
        path.append(node)
        node = next(iter(graph.predecessors(node)))
    return path[::-1]


def path_steps(graph: nx.DiGraph, node: int) -> list[str]:
    """The texts along the path to ``node`` (the partial solution it stands for)."""
    return [Node(graph, n).text for n in path_nodes(graph, node)]


def solution_steps(graph: nx.DiGraph, node: int, delimiter: str | None = "\n\n") -> list[str]:
    """The steps of the (partial) solution ``node`` stands for.

    Step nodes contribute their text; answer and revision nodes hold whole solutions and
    contribute their steps (their whole text as one step where ``delimiter`` is None); a revision
    starts afresh (it replaces, not extends, its chain).
    """
    steps: list[str] = []
    for n in path_nodes(graph, node):
        step = Node(graph, n)
        if step.kind == "revision":
            steps = []
        if step.kind in ("answer", "revision"):
            parts = step.text.split(delimiter) if delimiter else [step.text]
            steps += [part.strip() for part in parts if part.strip()]
        elif step.text:
            steps.append(step.text)
    return steps


def solution_tokens(graph: nx.DiGraph, node: int) -> int:
    """The completion tokens of the (partial) solution ``node`` stands for, counted along its path as
    :func:`solution_steps` gathers its steps (a revision starts afresh)."""
    tokens = 0
    for n in path_nodes(graph, node):
        step = Node(graph, n)
        tokens = (0 if step.kind == "revision" else tokens) + (step.tokens or 0)
    return tokens


def terminal_nodes(graph: nx.DiGraph) -> list[int]:
    """Nodes where a solution ends, in creation order."""
    return [n for n in graph if Node(graph, n).terminal]


def finished_nodes(graph: nx.DiGraph) -> list[int]:
    """Nodes where a solution with an answer ends, in creation order."""
    return [n for n in graph if Node(graph, n).terminal and Node(graph, n).answer is not None]


def to_json(graph: nx.DiGraph) -> dict:
    """Node-link data, JSON-ready."""
    return nx.node_link_data(graph, edges="edges")


def from_json(data: dict) -> nx.DiGraph:
    """The graph back from :func:`to_json`'s data."""
    return nx.node_link_graph(data, directed=True, edges="edges")


def save_json(graph: nx.DiGraph, path: str | Path) -> None:
    """Write the graph as node-link JSON."""
    Path(path).write_text(json.dumps(to_json(graph), indent=1, default=str))


def load_json(path: str | Path) -> nx.DiGraph:
    """Read a graph written by :func:`save_json`, with a clear error for anything else."""
    try:
        return from_json(json.loads(Path(path).read_text()))
    except FileNotFoundError:
        raise FileNotFoundError(f"graph file not found: {path}; save one with ttc solve --save-graph") from None
    except (json.JSONDecodeError, KeyError, TypeError, AttributeError) as exc:
        raise ValueError(f"{path} is not a search graph saved as JSON ({exc}); save one with "
                         "ttc solve --save-graph") from None


def save_graphml(graph: nx.DiGraph, path: str | Path) -> None:
    """Write GraphML; list, dict and None attributes become JSON strings (GraphML holds scalars only)."""
    flat = nx.DiGraph()
    flat.graph.update({k: _scalar(v) for k, v in graph.graph.items()})
    for node, data in graph.nodes(data=True):
        flat.add_node(node, **{k: _scalar(v) for k, v in data.items()})
    for u, v, data in graph.edges(data=True):
        flat.add_edge(u, v, **{k: _scalar(x) for k, x in data.items()})
    nx.write_graphml(flat, str(path))


def _scalar(value):
    if isinstance(value, (bool, int, float, str)):
        return value
    return json.dumps(value, default=str)
