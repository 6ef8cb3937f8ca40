"""Plots in the style of the paper's figures: accuracy against budget, one panel per difficulty bin.

Three PNGs: ``accuracy_vs_budget.png`` (x: generations, log2), ``accuracy_vs_tokens.png`` (x: mean
tokens per question, verifier tokens included, log) and ``accuracy_vs_flops.png`` (x: mean
estimated FLOPs per question, log; only when the model size is known). One line per strategy with its 95% interval shaded. Needs matplotlib
(``pip install 'dspy-ttc[plot]'``); without it the summary says so and no plot is written.
"""

from __future__ import annotations

import logging
from pathlib import Path

logger = logging.getLogger(__name__)


def _bins(summary: dict) -> list[str]:
    found = {b for strategy in summary["accuracy"].values() for cells in strategy.values() for b in cells}
    return ["all", *sorted((b for b in found if b != "all"), key=lambda b: (len(b), b))]


def _panel(axis, summary: dict, bin_: str, x_key: str) -> None:
    for strategy in summary["strategies"]:
        cells = [(int(b), c[bin_]) for b, c in summary["accuracy"].get(strategy, {}).items() if bin_ in c]
        if not cells:
            continue
        cells.sort()
        xs = [b if x_key == "budget" else c[x_key] for b, c in cells]
        axis.plot(xs, [c["accuracy"] for _, c in cells], marker="o", label=strategy)
        axis.fill_between(xs, [c["low"] for _, c in cells], [c["high"] for _, c in cells], alpha=0.15)
    axis.set_xscale("log", base=2 if x_key == "budget" else 10)
    unit = "level" if summary["bins_from"] == "level" else "bin"
    axis.set_title("all questions" if bin_ == "all" else f"{unit} {bin_}")
    axis.set_ylim(-0.02, 1.02)
    axis.grid(alpha=0.3)


def plot_summary(summary: dict, out_dir: Path) -> list[str]:
    """Write the plots; return their file names (empty when matplotlib is missing)."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        logger.warning("matplotlib is not installed: no plots (pip install 'dspy-ttc[plot]')")
        return []
    written = []
    bins = _bins(summary)
    axes_wanted = [("budget", "generations (budget N)"), ("tokens", "tokens per question")]
    if any(c.get("flops") for s in summary["accuracy"].values() for b in s.values() for c in b.values()):
        axes_wanted.append(("flops", "FLOPs per question"))
    for x_key, label in axes_wanted:
        figure, axes = plt.subplots(1, len(bins), figsize=(3.2 * len(bins), 3.2), sharey=True, squeeze=False)
        for axis, bin_ in zip(axes[0], bins, strict=True):
            _panel(axis, summary, bin_, x_key)
            axis.set_xlabel(label)
        axes[0][0].set_ylabel("accuracy")
        axes[0][-1].legend(fontsize="small")
        figure.suptitle(f"accuracy vs test-time compute (bins: {summary['bins_from']})", fontsize="medium")
        figure.tight_layout()
        name = f"accuracy_vs_{x_key}.png"
        figure.savefig(out_dir / name, dpi=110)
        plt.close(figure)
        written.append(name)
    return written
