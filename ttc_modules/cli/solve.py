"""``ttc solve``: answer one question with a strategy, or with a fitted policy (``--policy``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from ttc_modules.cli.options import ConfigOption, MaxTokensOption, PromptStyleOption, VerifierOption
from ttc_modules.cli.output import err, friendly_errors, out
from ttc_modules.cli.settings import settings_with_cache


@friendly_errors
def solve(
    question: Annotated[str, typer.Argument(help="The question to answer.")],
    strategy: Annotated[str, typer.Option(help="best_of_n, beam_search, lookahead, dvts, particle_filtering, "
                                               "revisions, or a kind of yours (the strategies setting).")
                        ] = "best_of_n",
    n: Annotated[int, typer.Option("--n", help="Budget N in generations: samples, beams for step-level search "
                                               "(lookahead: N // (k + 1) beams), chains x revisions.")] = 8,
    selection: Annotated[str | None, typer.Option(help="naive, majority or weighted (best_of_n, revisions).")] = None,
    beam_width: Annotated[int | None, typer.Option(help="M for beam_search, lookahead and dvts.")] = None,
    k: Annotated[int | None, typer.Option(help="Lookahead steps (lookahead).")] = None,
    n_parallel: Annotated[int | None, typer.Option(help="Parallel chains (revisions).")] = None,
    n_sequential: Annotated[int | None, typer.Option(help="Revisions per chain (revisions).")] = None,
    max_rounds: Annotated[int | None, typer.Option(help="Search rounds at most (step-level search).")] = None,
    stop: Annotated[str | None, typer.Option(help="beta or window: stop sampling once the vote is settled, N the "
                                                  "cap (best_of_n).")] = None,
    confidence: Annotated[float | None, typer.Option(help="--stop beta: the leader's posterior chance of being "
                                                          "ahead, in (0, 1) (default 0.95).")] = None,
    window: Annotated[int | None, typer.Option(help="--stop window: samples that must agree (default 5).")] = None,
    option: Annotated[list[str] | None, typer.Option(
        "--option", "-o", metavar="KEY=VALUE", help="Any option of the strategy, its value read as YAML (repeat it), "
                                                    "e.g. -o first=3 for a strategy of yours.")] = None,
    verifier: VerifierOption = "auto",
    model: Annotated[str | None, typer.Option("--model", "-m", help="Backend name from the config, or a LiteLLM "
                                                                    "model string.")] = None,
    seed: Annotated[int | None, typer.Option(help="Seed: the same seed replays from the cache.")] = None,
    max_tokens: MaxTokensOption = None,
    temperature: Annotated[float | None, typer.Option(help="Sampling temperature.")] = None,
    token_budget: Annotated[int | None, typer.Option(help="At most this many tokens over all calls.")] = None,
    flops_budget: Annotated[float | None, typer.Option(help="At most this many FLOPs over all calls "
                                                            "(2 x parameters x tokens).")] = None,
    save_graph: Annotated[Path | None, typer.Option(help="Write the search graph as JSON (ttc graph renders it).")
                          ] = None,
    policy: Annotated[Path | None, typer.Option(help="A compute-optimal policy (ttc calibrate): choose the "
                                                     "strategy by the question's difficulty.")] = None,
    budget: Annotated[int | None, typer.Option(help="Generations for --policy (default: --n).")] = None,
    program: Annotated[str | None, typer.Option(metavar="PROGRAM", help="Your program of one input (a signature "
                                                "such as 'question -> answer', or module:attribute); QUESTION "
                                                "is that input.")] = None,
    prompt_style: PromptStyleOption = None,
    config: ConfigOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
):
    """Answer QUESTION with a test-time compute strategy (default: best-of-N, majority vote), or with
    the strategy a compute-optimal policy picks for its difficulty (--policy)."""
    from planners.policies import policy_report, policy_solver
    from ttc_modules.budget import Budget
    from ttc_modules.lm import build_lm
    from ttc_modules.solving import (
        options_given,
        question_for,
        solution_report,
        solve_options,
        strategy_solver,
    )

    asked = question_for(question, program)
    settings = settings_with_cache(config, **{"backend.max_tokens": max_tokens, "backend.temperature": temperature,
                                              "backend.prompt_style": prompt_style})
    named = {"selection": selection, "beam_width": beam_width, "k": k, "n_parallel": n_parallel,
             "n_sequential": n_sequential, "max_rounds": max_rounds, "stop": stop, "confidence": confidence,
             "window": window}
    options = solve_options(strategy, n, **{**named, **options_given(option)})
    lm = build_lm(settings, model)
    seed = settings.seed if seed is None else seed
    if policy is None:
        solver = strategy_solver(options, lm, verifier, seed, asked.program, tokens=token_budget, flops=flops_budget)
        with err.status(f"{strategy} on {lm.label}...", spinner="dots"):
            prediction = solver(**asked.inputs)
        result = solution_report(prediction, asked, lm.label)
    else:
        limits = Budget(generations=budget or n, tokens=token_budget, flops=flops_budget)
        solver = policy_solver(policy, lm, verifier, seed, asked.program)
        with err.status(f"compute-optimal ({limits.generations} generations) on {lm.label}...", spinner="dots"):
            prediction = solver(**asked.inputs, budget=limits)
        fitted = prediction.plan.budget
        smaller = f" (the policy's largest budget within the {limits.generations} asked)" if (
            fitted is not None and fitted < limits.generations) else ""
        err.print(f"difficulty {prediction.difficulty:.2f} -> bin {prediction.plan.bin}: {prediction.plan.label} "
                  f"at {fitted} generations{smaller}")
        result = policy_report(prediction, asked, lm.label)
    _finish(result, prediction.graph, save_graph, as_json)


def _finish(result: dict, graph, save_graph: Path | None, as_json: bool) -> None:
    """Write the search graph if asked, then print the result: one JSON object, or a table."""
    if save_graph:
        from ttc_modules.graph import save_json

        save_json(graph, save_graph)
        err.print(f"search graph written to {save_graph} (render it: ttc graph {save_graph} --html graph.html)")
    if as_json:
        out.print_json(json.dumps(result, default=str))
        return
    _print_solution(result)


def _print_solution(result: dict) -> None:
    table = Table(title=f"{result['strategy']}: {len(result['candidates'])} finished candidates from "
                        f"{result['model']}", show_lines=True)
    table.add_column("node", justify="right")
    table.add_column("answer")
    table.add_column("score")
    table.add_column("solution", overflow="fold")
    for candidate in result["candidates"]:
        mark = "[green]" if candidate["answer"] == result["answer"] and candidate["answer"] else ""
        score = "-" if candidate["score"] is None else f"{candidate['score']:.2f}"
        table.add_row(str(candidate["node"]), f"{mark}{candidate['answer']}", score, candidate["text"])
    out.print(table)
    spent = result["spent"]
    out.print(f"spent: {spent['generations']} generations, {spent['lm_calls']} LM calls "
              f"({spent['cache_hits']} from cache), {spent['verifier_calls']} verifier calls, "
              f"{spent['prompt_tokens']} prompt + {spent['completion_tokens']} completion tokens, "
              f"{spent['flops']:.3g} FLOPs" + (f"; budget exhausted: {spent['exhausted']}" if spent["exhausted"] else ""))
    if result.get("stopped"):
        out.print(f"stopped {result['stopped']}")
    out.print(f"[bold]answer:[/] {result['answer']}")
