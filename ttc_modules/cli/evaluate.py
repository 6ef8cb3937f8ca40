"""``ttc eval``: accuracy against test-time compute, per strategy, budget and difficulty bin."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from ttc_modules.cli.options import (
    BudgetsOption,
    ConfigOption,
    DatasetOption,
    MaxTokensOption,
    MetricOption,
    ModelOption,
    ProgramOption,
    PromptStyleOption,
    RayOption,
    SeedOption,
    VerifierOption,
    WorkersOption,
)
from ttc_modules.cli.output import err, friendly_errors, out
from ttc_modules.cli.settings import int_list, names_list, settings_with_cache


@friendly_errors
def evaluate(
    dataset: DatasetOption,
    out_dir: Annotated[Path, typer.Option("--out", help="Output directory (rerun the same command to resume).")],
    strategies: Annotated[str, typer.Option(help="Comma-separated: majority, weighted, naive, pass, beta, window, "
                                                 "best_of_n, beam_search, lookahead, dvts, particle_filtering, "
                                                 "revisions, compute_optimal (with --policy; --mean-budget adds "
                                                 "mean_budget).")] = "majority,weighted",
    budgets: BudgetsOption = "1,2,4,8",
    limit: Annotated[int | None, typer.Option(help="Evaluate the first K questions only.")] = None,
    verifier: VerifierOption = "auto",
    max_rounds: Annotated[int | None, typer.Option(help="Rounds at most for step-level search.")] = None,
    bins: Annotated[int, typer.Option(help="Oracle difficulty bins when the data has no level.")] = 5,
    model: ModelOption = None,
    seed: SeedOption = None,
    max_tokens: MaxTokensOption = None,
    strict: Annotated[bool, typer.Option(help="Refuse a data file with bad rows instead of skipping them.")] = False,
    policy: Annotated[Path | None, typer.Option(help="A policy from ttc calibrate, for compute_optimal.")] = None,
    mean_budget: Annotated[int | None, typer.Option(help="With --policy: also evaluate the policy sharing this mean "
                                                         "of generations per question over the run (strategy "
                                                         "mean_budget, at budget N=M beside the others).")] = None,
    workers: WorkersOption = 4,
    ray: RayOption = None,
    program: ProgramOption = None,
    metric: MetricOption = None,
    prompt_style: PromptStyleOption = None,
    config: ConfigOption = None,
):
    """Accuracy against test-time compute per strategy, budget and difficulty bin; writes OUT/results.jsonl,
    OUT/summary.json and plots. Killed and rerun, it resumes where it stopped."""
    from planners import ComputeOptimalPlanner
    from planners.policies import evaluated_names, evaluation_needs_verifier, policy_programs
    from ttc_modules.evaluation.datasets import load_dataset
    from ttc_modules.evaluation.harness import Evaluation
    from ttc_modules.evaluation.program_under_test import ProgramUnderTest
    from ttc_modules.evaluation.workers import worker_pool
    from ttc_modules.lm import build_lm
    from ttc_modules.verifiers.named import verifier_from_name

    names, budget_list = evaluated_names(names_list(strategies), int_list(budgets, "--budgets"), policy, mean_budget,
                                         on_ray=ray is not None)
    settings = settings_with_cache(config, **{"backend.max_tokens": max_tokens, "backend.prompt_style": prompt_style})
    seed = settings.seed if seed is None else seed
    subject = ProgramUnderTest.named(program, metric)
    examples = load_dataset(dataset, limit=limit, seed=seed, strict=strict, inputs=subject.input_fields)
    planner = ComputeOptimalPlanner.load(policy) if policy is not None else None
    lm = build_lm(settings, model)
    chosen = verifier_from_name(verifier, evaluation_needs_verifier(names, planner), lm,
                                program=subject.program is not None)
    summary = Evaluation(examples, lm, chosen, names, budget_list, out_dir, seed=seed, bins=bins,
                         progress=sys.stderr.isatty(),
                         programs=policy_programs(planner, chosen, lm, seed, subject.program, mean_budget),
                         workers=worker_pool(workers, ray),
                         search_options={"max_rounds": max_rounds} if max_rounds else None,
                         program=subject.program, metric=subject.metric).run()
    _print_table(summary)
    err.print(f"wrote {out_dir}/results.jsonl, summary.json, table.md, {', '.join(summary['plots']) or 'no plots'}; "
              f"backend_calls: {summary['backend_calls']}, cache_hits: {summary['cache_hits']}, "
              f"wall_seconds: {summary['wall_seconds']}")


def _print_table(summary: dict) -> None:
    from ttc_modules.evaluation.report import table

    rows = table(summary)
    view = Table(title=f"accuracy over {summary['questions']} questions [95% interval]")
    for column in rows[0]:
        view.add_column(column)
    for row in rows[1:]:
        view.add_row(*row)
    out.print(view)
