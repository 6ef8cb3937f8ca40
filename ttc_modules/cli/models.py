"""``ttc models``: the embedded models and the configured backends."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.table import Table

from ttc_modules.cli.options import ConfigOption
from ttc_modules.cli.output import friendly_errors, out
from ttc_modules.cli.settings import settings


@friendly_errors
def models(config: ConfigOption = None, as_json: Annotated[bool, typer.Option("--json")] = False):
    """List the embedded models and the configured backends."""
    from ttc_modules.lm.listing import model_listing

    listing = model_listing(settings(config))
    if as_json:
        out.print_json(json.dumps(listing))
        return
    table = Table(title="embedded models (in process, no keys)")
    for column in ("model", "kind", "params", "installed", "source"):
        table.add_column(column)
    for row in listing["embedded"]:
        table.add_row(row["model"] + (" (default)" if row["default"] else ""), row["kind"],
                      f"{row['params']:.3g}" if row["params"] else "?", "yes" if row["installed"] else "no",
                      row["source"])
    out.print(table)
    table = Table(title="configured backends")
    for column in ("name", "model", "api_base", "key from env"):
        table.add_column(column)
    for name, backend in listing["backends"].items():
        table.add_row(name, backend["model"], backend["api_base"] or "-", backend["api_key_env"] or "-")
    out.print(table)
