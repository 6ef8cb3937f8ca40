"""Search graphs: node attributes read through Node, export to JSON, GraphML and a self-contained HTML view."""

import ast
import dataclasses
from pathlib import Path

import networkx as nx
import pytest

from ttc_modules import BeamSearch
from ttc_modules.graph import (
    NODE_ATTRIBUTES,
    ROOT,
    Node,
    add_child,
    load_json,
    new_graph,
    save_graphml,
    save_json,
    solution_steps,
    solution_tokens,
    update_node,
)
from ttc_modules.graph_html import render_html
from ttc_modules.testing import StepScript, scripted_lm, v_score

REPOSITORY = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def prediction():
    return BeamSearch(n=4, beam_width=2, verifier=v_score, lm=scripted_lm(StepScript(length=2)))(question="Q?")


def test_json_round_trip(prediction, tmp_path):
    save_json(prediction.graph, tmp_path / "g.json")
    loaded = load_json(tmp_path / "g.json")
    assert nx.is_arborescence(loaded)
    assert dict(loaded.nodes(data=True)) == dict(prediction.graph.nodes(data=True))
    assert loaded.graph["chosen"] == prediction.chosen


def test_graphml_holds_every_node(prediction, tmp_path):
    save_graphml(prediction.graph, tmp_path / "g.graphml")
    loaded = nx.read_graphml(tmp_path / "g.graphml")
    assert loaded.number_of_nodes() == prediction.graph.number_of_nodes()
    assert loaded.number_of_edges() == prediction.graph.number_of_edges()


def test_html_is_self_contained_and_shows_scores_and_tokens(prediction):
    page = render_html(prediction.graph)
    assert "http://" not in page and "https://" not in page and "<script" not in page
    assert page.count("<details") == prediction.graph.number_of_nodes()
    assert "score " in page and " tok<" in page and 'class="chosen"' in page


def test_the_chosen_reasoning_is_its_path(prediction):
    assert prediction.reasoning == "\n\n".join(solution_steps(prediction.graph, prediction.chosen))


def test_load_json_rejects_other_files(tmp_path):
    (tmp_path / "x.json").write_text("[1, 2]")
    with pytest.raises(ValueError, match="not a search graph"):
        load_json(tmp_path / "x.json")
    with pytest.raises(FileNotFoundError, match="save-graph"):
        load_json(tmp_path / "missing.json")


def test_solution_tokens_sum_the_path_and_a_revision_starts_afresh():
    g = new_graph({"question": "q"}, "mine", {}, seed=0)
    first = add_child(g, ROOT, kind="step", text="a", op="sample", module="m", tokens=5)
    second = add_child(g, first, kind="step", text="b", op="extend", module="m", tokens=7)
    revision = add_child(g, second, kind="revision", text="c", op="revise", module="m", tokens=11)
    assert [solution_tokens(g, n) for n in (ROOT, first, second, revision)] == [0, 5, 12, 11]


def test_a_node_reads_every_attribute_a_node_has_by_its_name(prediction):
    graph = prediction.graph
    for n in graph:
        assert {name: getattr(Node(graph, n), name) for name in NODE_ATTRIBUTES} == graph.nodes[n]


def test_a_node_is_a_read_only_view_and_update_node_writes_through_the_schema():
    g = new_graph({"question": "q"}, "mine", {}, seed=0)
    node = Node(g, add_child(g, ROOT, kind="step", text="a", op="sample", module="m", tokens=5))
    update_node(g, node.id, step_scores=[0.5], score=0.5, tokens=node.tokens + 2)
    assert (node.step_scores, node.score, node.tokens) == ([0.5], 0.5, 7)  # the view sees the graph as it is now
    with pytest.raises(dataclasses.FrozenInstanceError):
        node.score = 1.0
    with pytest.raises(TypeError, match="scores: not node attributes"):
        update_node(g, node.id, scores=[1.0])
    assert "scores" not in g.nodes[node.id]


def _reaches_node_data(expression: ast.AST) -> bool:
    """Whether ``expression`` reaches a node's attribute dict rather than a :class:`Node`: ``X.nodes[...]``,
    ``X.nodes(...)`` with arguments (``data=True``), an attribute of ``X.nodes`` (``.data``, ``.items``),
    ``X._node``, ``X.add_node(...)``, or networkx's ``get_node_attributes`` and ``set_node_attributes``."""
    def is_nodes(e):
        return isinstance(e, ast.Attribute) and e.attr == "nodes"

    if isinstance(expression, ast.Subscript):
        return is_nodes(expression.value)
    if isinstance(expression, ast.Call):
        return is_nodes(expression.func) and bool(expression.args or expression.keywords)
    if isinstance(expression, ast.Attribute):
        return is_nodes(expression.value) or expression.attr in (
            "_node", "add_node", "add_nodes_from", "get_node_attributes", "set_node_attributes")
    return False


def test_only_graph_py_reads_or_writes_node_attributes_by_name():
    """Node data is reached in graph.py only (read through Node, written through update_node and add_child), so no
    other module of the package indexes it by a schema name. Docstring examples are text, not code, and are not
    checked; rows and other dicts that happen to have an "answer" key are not node data and are not flagged."""
    found = [f"{path.relative_to(REPOSITORY)}:{expression.lineno}: {ast.unparse(expression)[:80]}"
             for package in ("ttc_modules", "planners") for path in sorted((REPOSITORY / package).rglob("*.py"))
             if path != REPOSITORY / "ttc_modules" / "graph.py"
             for expression in ast.walk(ast.parse(path.read_text(), str(path))) if _reaches_node_data(expression)]
    assert not found, "node data reached outside graph.py (use Node(graph, n) and update_node):\n" + "\n".join(found)
