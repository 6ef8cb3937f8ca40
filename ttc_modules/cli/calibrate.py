"""``ttc calibrate``: fit a compute-optimal policy on a data set, for ``ttc solve --policy``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from ttc_modules.cli.options import (
    BudgetsOption,
    ConfigOption,
    DatasetOption,
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
def calibrate(
    dataset: DatasetOption,
    policy_file: Annotated[Path, typer.Option("--out", help="Where to write the policy (JSON).")],
    budgets: BudgetsOption = "4,16,64",
    limit: Annotated[int | None, typer.Option(help="Calibrate on the first K questions only.")] = None,
    verifier: VerifierOption = "auto",
    bins: Annotated[int, typer.Option(help="Difficulty bins.")] = 5,
    probes: Annotated[int | None, typer.Option(help="Probe samples of the verifier difficulty estimate.")] = None,
    estimator: Annotated[str, typer.Option(help="verifier or lm_rated.")] = "verifier",
    kinds: Annotated[str | None, typer.Option(help="Only these strategy kinds in the search space, e.g. "
                                                   "best_of_n,beam_search (default: all).")] = None,
    max_rounds: Annotated[int | None, typer.Option(help="Rounds at most for step-level search plans.")] = None,
    work_dir: Annotated[Path | None, typer.Option(help="Keep fitting results here (a rerun resumes).")] = None,
    rule: Annotated[str, typer.Option(help="argmax (the paper's: the best plan per cell) or guarded (the best plan "
                                           "only where it beats weighted best-of-N under cross-validation).")
                    ] = "argmax",
    model: ModelOption = None,
    seed: SeedOption = None,
    workers: WorkersOption = 4,
    ray: RayOption = None,
    program: ProgramOption = None,
    metric: MetricOption = None,
    prompt_style: PromptStyleOption = None,
    config: ConfigOption = None,
):
    """Fit a compute-optimal policy: per difficulty bin and budget, the strategy with the best accuracy
    on DATASET (reported with 2-fold cross-validation); write it for ttc solve --policy."""
    from planners import ComputeOptimalPlanner, estimator_named
    from ttc_modules.evaluation.datasets import load_dataset
    from ttc_modules.evaluation.program_under_test import ProgramUnderTest
    from ttc_modules.evaluation.workers import worker_pool
    from ttc_modules.lm import build_lm
    from ttc_modules.verifiers.named import verifier_from_name

    budget_list = int_list(budgets, "--budgets")
    settings = settings_with_cache(config, **{"backend.prompt_style": prompt_style})
    seed = settings.seed if seed is None else seed
    planner = ComputeOptimalPlanner(budget_list, estimator=estimator_named(estimator, probes, budget_list), bins=bins,
                                    seed=seed, kinds=names_list(kinds) if kinds else None,
                                    work_dir=work_dir or policy_file.with_suffix(".work"),
                                    plan_options={"max_rounds": max_rounds} if max_rounds else None, rule=rule,
                                    workers=worker_pool(workers, ray))
    lm = build_lm(settings, model)
    subject = ProgramUnderTest.named(program, metric)
    fitted = planner.fit(load_dataset(dataset, limit=limit, seed=seed, inputs=subject.input_fields),
                         program=subject.program, metric=subject.metric, lm=lm,
                         verifier=verifier_from_name(verifier, needed=True, lm=lm, program=subject.program is not None))
    fitted.save(policy_file)
    _print_policy(fitted)
    err.print(f"policy written to {policy_file}")


def _print_policy(planner) -> None:
    view = Table(title=f"compute-optimal policy ({planner.metadata['questions']} questions)")
    for column in ("bin", "budget", "chosen", "cv accuracy", "best-of-N weighted", "n"):
        view.add_column(column, overflow="fold")
    for bin_, budget, cell in planner.cells():
        baseline = "-" if cell["baseline_accuracy"] is None else f"{cell['baseline_accuracy']:.2f}"
        view.add_row(str(bin_), str(budget), cell["chosen"], f"{cell['cv_accuracy']:.2f}", baseline, str(cell["n"]))
    out.print(view)
