"""``ttc exchange``: the FLOPs exchange between test-time compute and a larger model (the paper's section 7)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from ttc_modules.cli.output import friendly_errors, out
from ttc_modules.cli.settings import float_list


@friendly_errors
def exchange(
    params: Annotated[float, typer.Option(help="Parameters of the small model.")] = 1.35e8,
    multiplier: Annotated[float, typer.Option(help="How many times larger the other model is.")] = 14.0,
    ratios: Annotated[str, typer.Option(help="R = D_inference / D_pretrain values.")] = "0.16,0.79,22",
    pretrain_tokens: Annotated[float, typer.Option(help="Pretraining tokens of the small model.")] = 2e12,
):
    """The FLOPs exchange of the paper's section 7: how much test-time compute on the small model
    matches a model MULTIPLIER times larger."""
    from ttc_modules.evaluation.exchange import exchange_table

    ratio_list = float_list(ratios, "--ratios")
    view = Table(title=f"{params:.3g}-parameter model vs one {multiplier:g}x larger")
    for column in ("R = D_inf / D_pre", "matching inference multiplier", "larger model FLOPs", "small model FLOPs"):
        view.add_column(column)
    for row in exchange_table(params, multiplier, ratio_list, pretrain_tokens):
        view.add_row(f"{row['ratio']:g}", f"{row['inference_multiplier']:.1f}x", f"{row['large_model_flops']:.3g}",
                     f"{row['small_model_flops']:.3g}")
    out.print(view)
    out.print("Test-time compute on the small model is the cheaper route while it needs less than the multiplier "
              "above to match the larger model's accuracy (the paper: on easy and medium questions, or R << 1).")
