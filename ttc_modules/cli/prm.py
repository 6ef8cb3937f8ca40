"""``ttc label-steps`` and ``ttc train-prm``: a process reward model from the policy's own solutions."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from ttc_modules.cli.options import (
    ConfigOption,
    DatasetOption,
    MaxTokensOption,
    ModelOption,
    PromptStyleOption,
    SeedOption,
    WorkersOption,
)
from ttc_modules.cli.output import err, friendly_errors, out
from ttc_modules.cli.settings import settings_with_cache


@friendly_errors
def label_steps(
    dataset: DatasetOption,
    labels: Annotated[Path, typer.Option("--out", help="Where to write the labels (JSONL, TRL's stepwise "
                                                       "supervision).")],
    samples: Annotated[int, typer.Option(min=1, help="Solutions sampled per question.")] = 4,
    rollouts: Annotated[int, typer.Option(min=1, help="Completions per step prefix (Monte-Carlo rollouts).")] = 8,
    revisions: Annotated[Path | None, typer.Option(help="Also write reviser training pairs here (chat JSONL).")
                         ] = None,
    limit: Annotated[int | None, typer.Option(help="Label the first K questions only.")] = None,
    model: ModelOption = None,
    seed: SeedOption = None,
    max_tokens: MaxTokensOption = None,
    workers: WorkersOption = 4,
    prompt_style: PromptStyleOption = None,
    config: ConfigOption = None,
):
    """Label the steps of the policy's own solutions by Monte-Carlo rollouts (the paper's PRM data): a
    step's label is the fraction of rollouts from it that reach the reference. Killed and rerun, it
    resumes where it stopped."""
    from ttc_modules.evaluation.datasets import load_dataset
    from ttc_modules.evaluation.labelling import label_dataset
    from ttc_modules.evaluation.step_labels import StepLabeler
    from ttc_modules.lm import build_lm

    settings = settings_with_cache(config, **{"backend.max_tokens": max_tokens, "backend.prompt_style": prompt_style})
    seed = settings.seed if seed is None else seed
    examples = load_dataset(dataset, limit=limit, seed=seed)
    labeler = StepLabeler(build_lm(settings, model), samples=samples, rollouts=rollouts, seed=seed)
    summary = label_dataset(examples, labeler, labels, revisions=revisions, workers=workers, progress=True)
    written = f"{summary['rows']} rows ({summary['steps']} steps, {summary['positive_steps']} labelled positive, " \
              f"mean soft label {summary['mean_soft_label']:.2f}) from {summary['questions']} questions to {labels}"
    if revisions is not None:
        written += f"; {summary['revision_pairs']} revision pairs to {revisions}"
    err.print(written)
    err.print(f"spent: {summary['spent']}; backend calls now: {summary['backend_calls_now']}, "
              f"wall_seconds: {summary['wall_seconds']}")


@friendly_errors
def train_prm(
    labels: Annotated[Path, typer.Argument(help="Step labels from ttc label-steps (JSONL).")],
    directory: Annotated[Path, typer.Option("--out", help="Directory to save the PRM in (use it as --verifier "
                                                         "learned:DIRECTORY).")],
    embedding_model: Annotated[str, typer.Option(help="LiteLLM model whose embeddings are the features "
                                                      "('none': the checker's features only).")
                               ] = "local/smollm2-135m-instruct",
    held_out: Annotated[float, typer.Option(help="Share of the questions held out of training and measured on.")
                        ] = 0.25,
    seed: Annotated[int, typer.Option(help="Seed of the question split.")] = 0,
    config: ConfigOption = None,
):
    """Train a process reward model on step labels (logistic regression on the policy's embeddings of each
    prefix and the arithmetic checker's verdicts); print what it scores on held-out questions."""
    from ttc_modules.evaluation.progress import progress_bar
    from ttc_modules.evaluation.records import read_rows
    from ttc_modules.verifiers.prm_training import train_prm as train
    from ttc_modules.verifiers.step_features import StepFeatures

    settings_with_cache(config)
    rows = [row for _, row in read_rows(labels)]
    features = StepFeatures(embedding_model=None if embedding_model == "none" else embedding_model)
    with progress_bar(len(rows), title="features") as advance:
        prm, report = train(rows, features, held_out=held_out, seed=seed, advance=advance)
    path = prm.save(directory)
    directory.joinpath("report.json").write_text(json.dumps(report, indent=1))
    _print_report(report)
    err.print(f"PRM saved to {path}; use it with --verifier learned:{directory}")


def _print_report(report: dict) -> None:
    measured = report["held_out"]
    view = Table(title=f"held-out questions: {measured['questions']} ({measured['prefixes']} prefixes); trained on "
                       f"{report['train']['questions']}")
    for column in ("figure", "learned PRM", "arithmetic checker"):
        view.add_column(column)
    for figure, ours, checker in (("step AUROC", "step_auroc", "checker_step_auroc"),
                                  ("final-step AUROC", "final_auroc", "checker_final_auroc"),
                                  ("Brier vs soft labels", "brier", "checker_brier")):
        view.add_row(figure, str(measured.get(ours)), str(measured.get(checker)))
    out.print(view)
