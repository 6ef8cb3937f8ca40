"""``ttc graph``: a search graph saved by ``ttc solve --save-graph``, as HTML or GraphML."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ttc_modules.cli.output import friendly_errors, out


@friendly_errors
def graph(
    path: Annotated[Path, typer.Argument(help="A graph saved with ttc solve --save-graph.")],
    html: Annotated[Path | None, typer.Option("--html", help="Write a self-contained HTML tree view here.")] = None,
    graphml: Annotated[Path | None, typer.Option("--graphml", help="Write GraphML here.")] = None,
):
    """Render a saved search graph as HTML (opens offline) or convert it to GraphML."""
    from ttc_modules.graph import load_json, save_graphml
    from ttc_modules.graph_html import save_html

    loaded = load_json(path)
    if html is None and graphml is None:
        raise ValueError("nothing to write; pass --html out.html and/or --graphml out.graphml")
    if html:
        save_html(loaded, html)
        out.print(f"wrote {html} ({loaded.number_of_nodes()} nodes)")
    if graphml:
        save_graphml(loaded, graphml)
        out.print(f"wrote {graphml}")
