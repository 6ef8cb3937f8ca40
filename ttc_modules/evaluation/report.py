"""From result rows to ``summary.json``: accuracy with bootstrap intervals per strategy, budget and bin.

The summary maps ``accuracy[strategy][budget][bin]`` (bins as strings, plus ``"all"``) to
``{"accuracy", "low", "high", "n", "tokens", "flops", "generations"}``: the mean over questions, its
95% bootstrap interval, the number of questions, and the mean tokens, FLOPs and generations spent
per question (fewer generations than the budget where a strategy stopped early). The text table
shows the generations beside a cell's accuracy where they fall short of the budget.

Example:
    >>> rows = [{"id": "a", "bin": 1, "strategy": "majority", "budget": 2, "correct": 1.0, "tokens": 10, "flops": 0},
    ...         {"id": "b", "bin": 2, "strategy": "majority", "budget": 2, "correct": 0.0, "tokens": 30, "flops": 0}]
    >>> cells = aggregate(rows, ["majority"], [2])
    >>> cells["majority"]["2"]["all"]["accuracy"], cells["majority"]["2"]["1"]["n"]
    (0.5, 1)
"""

from __future__ import annotations

import json
import statistics
from collections import defaultdict
from pathlib import Path

from ttc_modules.evaluation.curves import bootstrap_interval
from ttc_modules.evaluation.plots import plot_summary


def _cell(rows: list[dict]) -> dict:
    correct = [float(r["correct"]) for r in rows]
    low, high = bootstrap_interval(correct)
    return {"accuracy": statistics.fmean(correct), "low": low, "high": high, "n": len(rows),
            "tokens": statistics.fmean(float(r["tokens"]) for r in rows),
            "flops": statistics.fmean(float(r["flops"] or 0) for r in rows),
            "generations": statistics.fmean(float(r.get("generations") or r["budget"]) for r in rows)}


def aggregate(rows: list[dict], strategies: list[str], budgets: list[int]) -> dict:
    """Cells per strategy, budget (as a string) and bin (as a string, and "all")."""
    groups: dict[tuple, list[dict]] = defaultdict(list)
    for row in rows:
        groups[(row["strategy"], row["budget"], str(row["bin"]))].append(row)
        groups[(row["strategy"], row["budget"], "all")].append(row)
    cells: dict = {}
    for strategy in strategies:
        for budget in budgets:
            for (name, b, bin_), members in sorted(groups.items()):
                if name == strategy and b == budget:
                    cells.setdefault(strategy, {}).setdefault(str(budget), {})[bin_] = _cell(members)
    return cells


def summarise(rows: list[dict], strategies: list[str], budgets: list[int], spent: dict, out_dir: Path,
              bins_from: str) -> dict:
    """Write ``summary.json``, ``table.md`` (:func:`markdown_table`) and the plots (when matplotlib is
    there), and return the summary."""
    wanted = [r for r in rows if r["strategy"] in strategies and r["budget"] in budgets]
    summary = {"strategies": strategies, "budgets": budgets, "bins_from": bins_from,
               "questions": len({r["id"] for r in wanted}), **spent,
               "accuracy": aggregate(wanted, strategies, budgets)}
    Path(out_dir, "summary.json").write_text(json.dumps(summary, indent=1))
    Path(out_dir, "table.md").write_text(markdown_table(summary))
    summary["plots"] = plot_summary(summary, Path(out_dir))
    return summary


def table(summary: dict) -> list[list[str]]:
    """Rows of a text table: strategy, then accuracy (interval) per budget, over all bins."""
    header = ["strategy", *[f"N={b}" for b in summary["budgets"]]]
    lines = [header]
    for strategy in summary["strategies"]:
        line = [strategy]
        for budget in summary["budgets"]:
            cell = summary["accuracy"].get(strategy, {}).get(str(budget), {}).get("all")
            line.append("-" if cell is None else f"{cell['accuracy']:.2f} [{cell['low']:.2f},{cell['high']:.2f}]"
                        + _generations_note(cell, budget))
        lines.append(line)
    return lines


def _generations_note(cell: dict, budget: int) -> str:
    """`` (5.2 gen.)`` where the cell's strategy drew fewer generations than its budget, else nothing."""
    drawn = cell.get("generations", budget)
    return f" ({drawn:.1f} gen.)" if drawn < budget - 0.05 else ""


def markdown_table(summary: dict) -> str:
    """:func:`table` as a Markdown table, the form the README quotes.

    Example:
        >>> print(markdown_table({"strategies": ["majority"], "budgets": [2], "accuracy": {"majority": {"2": {
        ...     "all": {"accuracy": 0.5, "low": 0.0, "high": 1.0}}}}}), end="")
        | strategy | N=2 |
        |---|---|
        | majority | 0.50 [0.00,1.00] |
    """
    rows = table(summary)
    lines = ["| " + " | ".join(row) + " |" for row in rows]
    lines.insert(1, "|" + "---|" * len(rows[0]))
    return "\n".join(lines) + "\n"
