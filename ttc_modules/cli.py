"""The ``ttc`` command: solve a question, list models, manage the cache.

Heavy imports (DSPy, LiteLLM, llama.cpp) happen inside the commands, so ``ttc --help`` is instant.
Every expected failure (bad config, unknown model, unreachable server, bad arguments) ends in one
line on stderr and exit code 2, never a traceback (set ``TTC_DEBUG=1`` to see it anyway).

Example:
    $ ttc solve "Sam has 5 pencils and buys 3 more. How many pencils does he have?" --n 8
    $ ttc solve "What is 12 + 7?" --model openai/gpt-4o-mini --json
    $ ttc models
    $ ttc cache info
"""

from __future__ import annotations

import functools
import json
import os
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="Test-time compute for DSPy programs: spend inference compute where it pays.")
cache_app = typer.Typer(no_args_is_help=True, help="Show or clear the on-disk cache of LM calls.")
app.add_typer(cache_app, name="cache")
out = Console()
err = Console(stderr=True)

ConfigOption = Annotated[Path | None, typer.Option("--config", "-c", help="YAML settings file (see examples/configs).")]


def friendly_errors(command):
    """Turn expected failures into one line on stderr and exit code 2."""

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        from ttc_modules.config import ConfigError

        try:
            return command(*args, **kwargs)
        except (ConfigError, ValueError, FileNotFoundError) as exc:
            _fail(exc)
        except Exception as exc:
            from ttc_modules.budget import BudgetExceeded
            from ttc_modules.lm import BackendError

            if isinstance(exc, (BackendError, BudgetExceeded)):
                _fail(exc)
            raise

    return wrapper


def _fail(exc: BaseException) -> None:
    if os.environ.get("TTC_DEBUG"):
        raise exc  # TTC_DEBUG=1 shows the whole traceback
    err.print(f"[bold red]error:[/] {exc}", highlight=False, soft_wrap=True)
    raise typer.Exit(code=2)


def _settings(config: Path | None, **overrides):
    from ttc_modules.config import load_settings

    return load_settings(config, overrides=overrides)


@app.command()
@friendly_errors
def solve(
    question: Annotated[str, typer.Argument(help="The question to answer.")],
    model: Annotated[str | None, typer.Option("--model", "-m", help="Backend name from the config, or a LiteLLM model string.")] = None,
    n: Annotated[int, typer.Option("--n", help="Number of samples (best-of-N, majority vote).")] = 8,
    seed: Annotated[int | None, typer.Option(help="Seed: the same seed replays from the cache.")] = None,
    max_tokens: Annotated[int | None, typer.Option(help="Tokens per sample at most.")] = None,
    temperature: Annotated[float | None, typer.Option(help="Sampling temperature.")] = None,
    token_budget: Annotated[int | None, typer.Option(help="At most this many tokens over all calls.")] = None,
    config: ConfigOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
):
    """Answer QUESTION by best-of-N with a majority vote on the configured model."""
    from ttc_modules.budget import Budget
    from ttc_modules.solve import check_question

    check_question(question)
    if n < 1:
        raise ValueError(f"--n must be >= 1, got {n}; ask for at least one sample")
    budget = Budget(generations=n, tokens=token_budget)
    settings = _settings(config, **{"backend.max_tokens": max_tokens, "backend.temperature": temperature})
    from ttc_modules.lm import build_lm
    from ttc_modules.solve import solve as run

    lm = build_lm(settings, model)
    with err.status(f"sampling {n} solutions from {lm.model}...", spinner="dots"):
        result = run(question, lm, n=n, seed=settings.seed if seed is None else seed, budget=budget)
    result["model"] = lm.model
    if as_json:
        out.print_json(json.dumps(result))
        return
    _print_solution(result)


def _print_solution(result: dict) -> None:
    table = Table(title=f"{len(result['candidates'])} candidates from {result['model']}", show_lines=True)
    table.add_column("#", justify="right")
    table.add_column("answer")
    table.add_column("solution", overflow="fold")
    for i, candidate in enumerate(result["candidates"]):
        mark = "[green]" if candidate["answer"] == result["answer"] and candidate["answer"] else ""
        table.add_row(str(i), f"{mark}{candidate['answer']}", candidate["text"])
    out.print(table)
    spent = result["spent"]
    out.print(f"spent: {spent['generations']} generations, {spent['lm_calls']} LM calls "
              f"({spent['cache_hits']} from cache), {spent['prompt_tokens']} prompt + "
              f"{spent['completion_tokens']} completion tokens, {spent['flops']:.3g} FLOPs")
    out.print(f"[bold]answer:[/] {result['answer']}")


@app.command()
@friendly_errors
def models(config: ConfigOption = None, as_json: Annotated[bool, typer.Option("--json")] = False):
    """List the embedded models and the configured backends."""
    settings = _settings(config)
    from ttc_modules import local

    local.register(settings.local_models)
    embedded = [_embedded_row(m, settings) for m in local.known_models().values()]
    backends = {"backend": settings.backend.model_dump(mode="json"),
                **{name: b.model_dump(mode="json") for name, b in settings.backends.items()}}
    if as_json:
        out.print_json(json.dumps({"embedded": embedded, "backends": backends}))
        return
    table = Table(title="embedded models (in process, no keys)")
    for column in ("model", "kind", "params", "installed", "source"):
        table.add_column(column)
    for row in embedded:
        table.add_row(row["model"] + (" (default)" if row["default"] else ""), row["kind"],
                      f"{row['params']:.3g}" if row["params"] else "?", "yes" if row["installed"] else "no",
                      row["source"])
    out.print(table)
    table = Table(title="configured backends")
    for column in ("name", "model", "api_base", "key from env"):
        table.add_column(column)
    for name, backend in backends.items():
        table.add_row(name, backend["model"], backend["api_base"] or "-", backend["api_key_env"] or "-")
    out.print(table)


def _embedded_row(model, settings) -> dict:
    return {"model": f"local/{model.name}", "kind": "chat" if model.chat else "base (few-shot text)",
            "params": model.params, "installed": model.is_installed(),
            "source": model.package or model.description,
            "default": settings.backend.model == f"local/{model.name}"}


@cache_app.command("info")
@friendly_errors
def cache_info(config: ConfigOption = None):
    """Show where the cache is and how much it holds."""
    settings = _settings(config)
    directory = Path(settings.cache.dir)
    files = [p for p in directory.rglob("*") if p.is_file()] if directory.exists() else []
    size = sum(p.stat().st_size for p in files)
    out.print(f"cache directory: {directory}\nenabled: {settings.cache.enabled}\n"
              f"files: {len(files)}\nsize: {size / 1e6:.1f} MB")


@cache_app.command("clear")
@friendly_errors
def cache_clear(config: ConfigOption = None,
                yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False):
    """Delete every cached LM call and verifier score."""
    import shutil

    settings = _settings(config)
    directory = Path(settings.cache.dir)
    if not directory.exists():
        out.print(f"nothing to clear: {directory} does not exist")
        return
    if not yes and not typer.confirm(f"Delete everything under {directory}?"):
        raise typer.Exit(code=1)
    shutil.rmtree(directory)
    out.print(f"cleared {directory}")


def main() -> None:
    """Entry point of the ``ttc`` console script."""
    app(prog_name="ttc")


if __name__ == "__main__":
    sys.exit(main())
