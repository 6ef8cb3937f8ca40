"""The options several ``ttc`` commands take, each defined once (a command's own options stay with it).

Each is a type to annotate a command's parameter with; the default stays in the signature, so
commands may differ in it (``--budgets``) but not in the option's name or help.

Example:
    >>> import typer
    >>> app = typer.Typer()
    >>> @app.command()
    ... def run(verifier: VerifierOption = "auto", config: ConfigOption = None):
    ...     print(verifier, config)
    >>> from typer.testing import CliRunner
    >>> CliRunner().invoke(app, ["--verifier", "judge"]).output
    'judge None\\n'
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

VERIFIER_HELP = ("auto, none, arithmetic, judge, prm:URL, vllm-prm:URL, trl-prm:URL, learned:PATH or module:function "
                 "(yours).")
"""The verifiers ``--verifier`` names (``ttc_modules.verifiers.named``)."""
WORKERS_HELP = ("Questions worked on at once (their requests share the backend's batch; on the embedded model a "
                "sample can depend on its batch: 1 reproduces exactly).")

ConfigOption = Annotated[Path | None, typer.Option("--config", "-c", help="YAML settings file (see examples/configs).")]
DatasetOption = Annotated[str, typer.Option(help="gsm8k, math500, synthetic[:N per level], or a .jsonl/.csv file.")]
BudgetsOption = Annotated[str, typer.Option(help="Comma-separated generation budgets.")]
VerifierOption = Annotated[str, typer.Option(help=VERIFIER_HELP)]
ModelOption = Annotated[str | None, typer.Option("--model", "-m", help="Backend name or LiteLLM model string.")]
SeedOption = Annotated[int | None, typer.Option(help="Seed of the samples and of synthetic data.")]
MaxTokensOption = Annotated[int | None, typer.Option(help="Tokens per sample at most.")]
WorkersOption = Annotated[int, typer.Option(min=1, help=WORKERS_HELP)]
PromptStyleOption = Annotated[str | None, typer.Option(
    help="How strategies prompt the model: signature (DSPy signatures), few_shot_chat or few_shot_text "
         "(backend.prompt_style; default: what the model calls for).")]
ProgramOption = Annotated[str | None, typer.Option(
    metavar="MODULE:ATTRIBUTE",
    help="Your program (a DSPy signature or module) instead of the math word-problem program; --dataset is then a "
         ".jsonl/.csv file of rows in its fields, and --metric grades it.")]
MetricOption = Annotated[str | None, typer.Option(
    metavar="MODULE:ATTRIBUTE", help="Your metric(example, pred, trace=None) grading the program's answers.")]
RayOption = Annotated[str | None, typer.Option(
    "--ray", metavar="[ADDRESS]",
    help="Work on the questions as Ray tasks, --workers at a time: on a cluster of this machine (--ray alone) "
         "or the one at ADDRESS (auto, HEAD:6379; ray://HEAD:10001 needs ray[client]). Needs the ray extra.")]
