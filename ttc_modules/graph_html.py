"""A self-contained HTML view of a search graph: a collapsible tree, no scripts, no network.

Each node shows its kind, verifier score (coloured from red to green), the tokens it cost, its
answer when it has one, and its text; the chosen node and its path are outlined. Nested
``<details>`` elements do the folding, so the page opens offline in any browser.

Example:
    >>> from ttc_modules.graph import new_graph, add_child
    >>> g = new_graph({"question": "1 + 1?"}, "best_of_n", {"n": 1}, seed=0)
    >>> _ = add_child(g, 0, kind="answer", text="1 + 1 = 2", op="sample", module="generator", answer="2")
    >>> "<details" in render_html(g) and "http" not in render_html(g)
    True
"""

from __future__ import annotations

import html
import json
from pathlib import Path

import networkx as nx

from ttc_modules.graph import ROOT, Node, path_nodes

STYLE = """
body { font: 14px/1.4 system-ui, sans-serif; margin: 1.5em; color: #222; }
h1 { font-size: 1.2em; } .meta { color: #555; margin-bottom: 1em; white-space: pre-wrap; }
details { margin-left: 1.2em; border-left: 1px solid #ccc; padding-left: .6em; }
summary { cursor: pointer; padding: 2px 0; }
.badge { display: inline-block; padding: 0 .4em; border-radius: 3px; font-size: .85em; margin-right: .3em;
         background: #eee; }
.score { color: #fff; } .chosen > summary { outline: 2px solid #1565c0; border-radius: 3px; }
.text { white-space: pre-wrap; font-family: ui-monospace, monospace; font-size: .9em; background: #fafafa;
        margin: .2em 0 .4em 0; padding: .3em .5em; }
"""


def _colour(score: float | None) -> str:
    if score is None:
        return "#9e9e9e"
    red, green = int(200 * (1 - score)), int(160 * score)
    return f"rgb({red},{green},60)"


def _summary(node: Node, op: str | None) -> str:
    score = node.score
    parts = [f'<span class="badge">#{node.id} {html.escape(str(node.kind))}</span>']
    if op:
        parts.append(f'<span class="badge">{html.escape(op)}</span>')
    parts.append(f'<span class="badge score" style="background:{_colour(score)}">'
                 f'{"score " + format(score, ".3f") if score is not None else "unscored"}</span>')
    parts.append(f'<span class="badge">{node.tokens} tok</span>')
    if node.answer is not None:
        parts.append(f'<span class="badge">answer {html.escape(str(node.answer))}</span>')
    if node.terminal:
        parts.append('<span class="badge">terminal</span>')
    first_line = str(node.text).strip().splitlines()[0:1]
    return " ".join(parts) + " " + html.escape(first_line[0][:90] if first_line else "")


def _node_html(graph: nx.DiGraph, node: int, highlighted: set[int], op: str | None = None) -> str:
    shown = Node(graph, node)
    css = ' class="chosen"' if node in highlighted else ""
    children = "".join(_node_html(graph, child, highlighted, graph.edges[node, child]["op"])
                       for child in sorted(graph.successors(node)))
    return (f"<details open{css}><summary>{_summary(shown, op)}</summary>"
            f'<div class="text">{html.escape(str(shown.text))}</div>{children}</details>')


def render_html(graph: nx.DiGraph, chosen: int | None = None, title: str | None = None) -> str:
    """The page as a string; ``chosen`` (default: the graph's own choice) outlines that node and its path."""
    chosen = graph.graph.get("chosen") if chosen is None else chosen
    highlighted = set(path_nodes(graph, chosen)) | {ROOT} if chosen is not None else set()
    meta = json.dumps({"strategy": graph.graph.get("strategy"), "config": graph.graph.get("config"),
                       "seed": graph.graph.get("seed"), "nodes": graph.number_of_nodes(),
                       "tokens": sum(Node(graph, node).tokens for node in graph)}, default=str)
    heading = html.escape(title or f"{graph.graph.get('strategy', 'search')} graph")
    return (f"<!doctype html><html><head><meta charset='utf-8'><title>{heading}</title>"
            f"<style>{STYLE}</style></head><body><h1>{heading}</h1><div class='meta'>{html.escape(meta)}</div>"
            f"{_node_html(graph, ROOT, highlighted)}</body></html>")


def save_html(graph: nx.DiGraph, path: str | Path, chosen: int | None = None) -> None:
    """Write the page to ``path``."""
    Path(path).write_text(render_html(graph, chosen), encoding="utf-8")
