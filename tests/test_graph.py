"""Search graphs: export to JSON, GraphML and a self-contained HTML view."""

import networkx as nx
import pytest

from ttc_modules import BeamSearch
from ttc_modules.graph import (
    ROOT,
    add_child,
    load_json,
    new_graph,
    save_graphml,
    save_json,
    solution_steps,
    solution_tokens,
)
from ttc_modules.graph_html import render_html
from ttc_modules.testing import StepScript, scripted_lm, v_score


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
