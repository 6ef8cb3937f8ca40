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
from rich.markup import escape
from rich.table import Table

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="Test-time compute for DSPy programs: spend inference compute where it pays.")
cache_app = typer.Typer(no_args_is_help=True, help="Show or clear the on-disk cache of LM calls.")
app.add_typer(cache_app, name="cache")
out = Console()
err = Console(stderr=True)

LOCAL_RAY_CLUSTER = "local"  # --ray without an address (evaluation/workers.py's LOCAL; not imported: ttc stays quick)
COMPUTE_OPTIMAL = "compute_optimal"  # the name ttc eval gives a fitted policy (--policy) among the strategies
MEAN_BUDGET = "mean_budget"  # ... and the policy sharing a mean budget over the questions (--mean-budget)
ConfigOption = Annotated[Path | None, typer.Option("--config", "-c", help="YAML settings file (see examples/configs).")]
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
    err.print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False, soft_wrap=True)  # [ray] stays as written
    raise typer.Exit(code=2)


def _settings(config: Path | None, **overrides):
    from ttc_modules.config import load_settings

    return load_settings(config, overrides=overrides)


def _settings_with_cache(config: Path | None, **overrides):
    """The settings, with DSPy's LM cache pointed at their ``cache.dir`` and the user's strategies of their
    ``strategies`` registered (for the commands that call models)."""
    from ttc_modules.lm import configure_cache
    from ttc_modules.strategies.registry import register_strategies

    settings = _settings(config, **overrides)
    configure_cache(settings)
    register_strategies(settings.strategies)
    return settings


@app.command()
@friendly_errors
def solve(
    question: Annotated[str, typer.Argument(help="The question to answer.")],
    strategy: Annotated[str, typer.Option(help="best_of_n, beam_search, lookahead, dvts, particle_filtering or revisions.")] = "best_of_n",
    n: Annotated[int, typer.Option("--n", help="Budget N in generations: samples, beams for step-level search (lookahead: N // (k + 1) beams), "
                                 "chains x revisions.")] = 8,
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
    verifier: Annotated[str, typer.Option(help="auto, none, arithmetic, judge, prm:URL, vllm-prm:URL, trl-prm:URL, learned:PATH or module:function (yours).")] = "auto",
    model: Annotated[str | None, typer.Option("--model", "-m", help="Backend name from the config, or a LiteLLM model string.")] = None,
    seed: Annotated[int | None, typer.Option(help="Seed: the same seed replays from the cache.")] = None,
    max_tokens: Annotated[int | None, typer.Option(help="Tokens per sample at most.")] = None,
    temperature: Annotated[float | None, typer.Option(help="Sampling temperature.")] = None,
    token_budget: Annotated[int | None, typer.Option(help="At most this many tokens over all calls.")] = None,
    flops_budget: Annotated[float | None, typer.Option(help="At most this many FLOPs over all calls "
                                                            "(2 x parameters x tokens).")] = None,
    save_graph: Annotated[Path | None, typer.Option(help="Write the search graph as JSON (ttc graph renders it).")] = None,
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
    from ttc_modules.budget import Budget
    from ttc_modules.lm import build_lm
    from ttc_modules.strategies import build_strategy, needs_verifier, options_for_budget
    from ttc_modules.verifiers.named import verifier_from_name

    searched, inputs, answer_field = _solve_inputs(question, program)
    if n < 1:
        raise ValueError(f"--n must be >= 1, got {n}; ask for at least one sample")
    settings = _settings_with_cache(config, **{"backend.max_tokens": max_tokens, "backend.temperature": temperature,
                                               "backend.prompt_style": prompt_style})
    options = options_for_budget(strategy, n, selection=selection, beam_width=beam_width, k=k,
                                 n_parallel=n_parallel, n_sequential=n_sequential, max_rounds=max_rounds, stop=stop,
                                 confidence=confidence, window=window)
    lm = build_lm(settings, model)
    options["seed"] = settings.seed if seed is None else seed
    limits = {"tokens": token_budget, "flops": flops_budget}
    if policy is not None:
        prediction = _solve_with_policy(inputs, policy, lm, verifier, Budget(generations=budget or n, **limits),
                                        options["seed"], searched)
        result = {**_report(prediction, question, answer_field), "model": lm.label,
                  "plan": prediction.plan.model_dump(), "difficulty": prediction.difficulty}
    else:
        chosen = verifier_from_name(verifier, needs_verifier(options), lm, program=searched is not None)
        runner = build_strategy(options, lm=lm, verifier=chosen, budget=Budget(**limits), program=searched)
        with err.status(f"{strategy} on {lm.label}...", spinner="dots"):
            prediction = runner(**inputs)
        result = {**_report(prediction, question, answer_field), "model": lm.label}
    if save_graph:
        from ttc_modules.graph import save_json

        save_json(prediction.graph, save_graph)
        err.print(f"search graph written to {save_graph} (render it: ttc graph {save_graph} --html graph.html)")
    if as_json:
        out.print_json(json.dumps(result, default=str))
        return
    _print_solution(result)


def _solve_inputs(question: str, program: str | None) -> tuple:
    """The program (None: the math one), the inputs QUESTION fills (a program's one input), its answer field."""
    from ttc_modules.programs import as_module, describe
    from ttc_modules.strategies import check_question
    from ttc_modules.user_code import load_program

    if program is None:
        return None, {"question": check_question(question)}, "answer"
    searched = load_program(program)
    fields = describe(as_module(searched))
    if len(fields.inputs) != 1 or not question.strip():
        raise ValueError(f"ttc solve fills one input with QUESTION, and {fields.name} takes "
                         f"{', '.join(fields.inputs)}{' (QUESTION is empty)' if len(fields.inputs) == 1 else ''}; "
                         "use ttc eval --program with a file of its inputs, or Python")
    return searched, {fields.inputs[0]: question}, fields.answer


def _solve_with_policy(inputs: dict, policy: Path, lm, verifier: str, budget, seed: int, searched):
    from planners import AdaptiveTTC, ComputeOptimalPlanner
    from ttc_modules.verifiers.named import verifier_from_name

    planner = ComputeOptimalPlanner.load(policy)
    program = AdaptiveTTC(planner, searched, lm=lm, seed=seed, verifier=verifier_from_name(
        verifier, planner.needs_verifier(), lm, program=searched is not None))
    with err.status(f"compute-optimal ({budget.generations} generations) on {lm.label}...", spinner="dots"):
        prediction = program(**inputs, budget=budget)
    err.print(f"difficulty {prediction.difficulty:.2f} -> bin {prediction.plan.bin}: {prediction.plan.label}")
    return prediction


def _report(prediction, question: str, answer_field: str) -> dict:
    """The answer, every finished candidate (solution text, answer, score) and what was spent."""
    from ttc_modules.graph import Node, solution_steps, terminal_nodes

    graph = prediction.graph
    candidates = [{"node": node, "text": "\n\n".join(solution_steps(graph, node)) or Node(graph, node).text,
                   "answer": Node(graph, node).answer, "score": Node(graph, node).score}
                  for node in terminal_nodes(graph)]
    return {"question": question, "strategy": graph.graph["strategy"], "answer": prediction.get(answer_field),
            "reasoning": prediction.get("reasoning"), "outputs": prediction.toDict(), "candidates": candidates,
            "spent": prediction.spent, "stopped": graph.graph.get("stopped")}


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


@app.command()
@friendly_errors
def models(config: ConfigOption = None, as_json: Annotated[bool, typer.Option("--json")] = False):
    """List the embedded models and the configured backends."""
    from ttc_modules.lm import embedded as embedded_models

    settings = _settings(config)
    embedded_models.register(settings.local_models)
    embedded = [_embedded_row(m, settings) for m in embedded_models.known_models().values()]
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


@app.command("eval")
@friendly_errors
def evaluate(
    dataset: Annotated[str, typer.Option(help="gsm8k, math500, synthetic[:N per level], or a .jsonl/.csv file.")],
    out: Annotated[Path, typer.Option(help="Output directory (rerun the same command to resume).")],
    strategies: Annotated[str, typer.Option(help="Comma-separated: majority, weighted, naive, pass, beta, window, best_of_n, "
                                                 "beam_search, lookahead, dvts, particle_filtering, revisions, compute_optimal "
                                                 "(with --policy; --mean-budget adds mean_budget).")] = "majority,weighted",
    budgets: Annotated[str, typer.Option(help="Comma-separated generation budgets.")] = "1,2,4,8",
    limit: Annotated[int | None, typer.Option(help="Evaluate the first K questions only.")] = None,
    verifier: Annotated[str, typer.Option(help="auto, none, arithmetic, judge, prm:URL, vllm-prm:URL, trl-prm:URL, learned:PATH or module:function (yours).")] = "auto",
    max_rounds: Annotated[int | None, typer.Option(help="Rounds at most for step-level search.")] = None,
    bins: Annotated[int, typer.Option(help="Oracle difficulty bins when the data has no level.")] = 5,
    model: Annotated[str | None, typer.Option("--model", "-m", help="Backend name or LiteLLM model string.")] = None,
    seed: Annotated[int | None, typer.Option(help="Seed of the samples and of synthetic data.")] = None,
    max_tokens: Annotated[int | None, typer.Option(help="Tokens per sample at most.")] = None,
    strict: Annotated[bool, typer.Option(help="Refuse a data file with bad rows instead of skipping them.")] = False,
    policy: Annotated[Path | None, typer.Option(help="A policy from ttc calibrate, for compute_optimal.")] = None,
    mean_budget: Annotated[int | None, typer.Option(help="With --policy: also evaluate the policy sharing this mean "
                                                         "of generations per question over the run (strategy "
                                                         "mean_budget, at budget N=M beside the others).")] = None,
    workers: Annotated[int, typer.Option(min=1, help="Questions worked on at once (their requests share the "
                                                    "backend's batch; on the embedded model a sample can depend on "
                                                    "its batch: 1 reproduces exactly).")] = 4,
    ray: RayOption = None,
    program: ProgramOption = None,
    metric: MetricOption = None,
    prompt_style: PromptStyleOption = None,
    config: ConfigOption = None,
):
    """Accuracy against test-time compute per strategy, budget and difficulty bin; writes OUT/results.jsonl,
    OUT/summary.json and plots. Killed and rerun, it resumes where it stopped."""
    from planners import ComputeOptimalPlanner, compute_optimal_program
    from planners.policies import mean_budget_program
    from ttc_modules.evaluation.datasets import load_dataset
    from ttc_modules.evaluation.harness import Evaluation, strategy_needs_verifier
    from ttc_modules.lm import build_lm
    from ttc_modules.verifiers.named import verifier_from_name

    names = [s.strip() for s in strategies.split(",") if s.strip()]
    budget_list = _int_list(budgets, "--budgets")
    if COMPUTE_OPTIMAL in names and policy is None:
        raise ValueError(f"{COMPUTE_OPTIMAL} needs a fitted policy; pass --policy policy.json (ttc calibrate)")
    if mean_budget is not None:
        if policy is None:
            raise ValueError(f"--mean-budget {mean_budget} shares a fitted policy's budget; pass --policy policy.json "
                             "(ttc calibrate)")
        if ray is not None:
            raise ValueError(f"--mean-budget {mean_budget} keeps one ledger in this process, which Ray tasks cannot "
                             "share; leave out --ray (--workers runs questions at once on threads)")
        names, budget_list = [*names, MEAN_BUDGET], sorted({*budget_list, mean_budget})
    settings = _settings_with_cache(config, **{"backend.max_tokens": max_tokens, "backend.prompt_style": prompt_style})
    seed = settings.seed if seed is None else seed
    subject = _program_under_test(program, metric)
    examples = load_dataset(dataset, limit=limit, seed=seed, strict=strict, inputs=_inputs_of(subject))
    planner = ComputeOptimalPlanner.load(policy) if policy is not None else None
    policies = {COMPUTE_OPTIMAL, MEAN_BUDGET}
    needed = any(strategy_needs_verifier(n) for n in names if n not in policies) or \
        (bool(policies & set(names)) and planner.needs_verifier())
    lm = build_lm(settings, model)
    chosen_verifier = verifier_from_name(verifier, needed, lm, program=subject.program is not None)
    programs = {COMPUTE_OPTIMAL: compute_optimal_program(planner, chosen_verifier, lm, seed, subject.program)
                } if planner else {}
    if mean_budget is not None:
        programs[MEAN_BUDGET] = mean_budget_program(planner, mean_budget, chosen_verifier, lm, seed, subject.program)
    evaluation = Evaluation(examples, lm, chosen_verifier, names, budget_list, out, seed=seed, bins=bins,
                            progress=sys.stderr.isatty(), programs=programs, workers=_pool(workers, ray),
                            search_options={"max_rounds": max_rounds} if max_rounds else None,
                            program=subject.program, metric=subject.metric)
    summary = evaluation.run()
    _print_table(summary)
    err.print(f"wrote {out}/results.jsonl, summary.json, table.md, {', '.join(summary['plots']) or 'no plots'}; "
              f"backend_calls: {summary['backend_calls']}, cache_hits: {summary['cache_hits']}, "
              f"wall_seconds: {summary['wall_seconds']}")


def _program_under_test(program: str | None, metric: str | None):
    """``--program`` and ``--metric`` loaded from the user's code (the math word-problem program without them)."""
    from ttc_modules.evaluation.program_under_test import ProgramUnderTest
    from ttc_modules.user_code import load_attribute, load_program

    return ProgramUnderTest(load_program(program) if program else None, load_attribute(metric) if metric else None)


def _inputs_of(subject) -> list[str] | None:
    """The input fields a program of the user's reads its examples by (None for the math program's data sets)."""
    return subject.fields.inputs if subject.program is not None else None


def _pool(workers: int, ray: str | None):
    """``--workers`` threads, or with ``--ray`` that many Ray tasks at once on the cluster it names."""
    from ttc_modules.evaluation.workers import RayWorkers

    if ray is None:
        return workers
    pool = RayWorkers(ray, workers)
    pool.connect()  # a cluster that cannot be reached fails here, before anything is written
    return pool


def _int_list(text: str, flag: str) -> list[int]:
    try:
        values = [int(x) for x in text.split(",") if x.strip()]
    except ValueError:
        raise ValueError(f"{flag} takes comma-separated integers such as 1,2,4,8, got {text!r}") from None
    if not values or min(values) < 1:
        raise ValueError(f"{flag} takes positive integers such as 1,2,4,8, got {text!r}")
    return values


def _print_table(summary: dict) -> None:
    from ttc_modules.evaluation.report import table

    rows = table(summary)
    view = Table(title=f"accuracy over {summary['questions']} questions [95% interval]")
    for column in rows[0]:
        view.add_column(column)
    for row in rows[1:]:
        view.add_row(*row)
    out.print(view)


@app.command()
@friendly_errors
def calibrate(
    dataset: Annotated[str, typer.Option(help="gsm8k, math500, synthetic[:N per level], or a .jsonl/.csv file.")],
    policy_file: Annotated[Path, typer.Option("--out", help="Where to write the policy (JSON).")],
    budgets: Annotated[str, typer.Option(help="Comma-separated generation budgets.")] = "4,16,64",
    limit: Annotated[int | None, typer.Option(help="Calibrate on the first K questions only.")] = None,
    verifier: Annotated[str, typer.Option(help="auto, arithmetic, judge, prm:URL, vllm-prm:URL, trl-prm:URL, learned:PATH or module:function (yours).")] = "auto",
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
    model: Annotated[str | None, typer.Option("--model", "-m", help="Backend name or LiteLLM model string.")] = None,
    seed: Annotated[int | None, typer.Option(help="Seed of the samples and of synthetic data.")] = None,
    workers: Annotated[int, typer.Option(min=1, help="Questions worked on at once (their requests share the "
                                                    "backend's batch; on the embedded model a sample can depend on "
                                                    "its batch: 1 reproduces exactly).")] = 4,
    ray: RayOption = None,
    program: ProgramOption = None,
    metric: MetricOption = None,
    prompt_style: PromptStyleOption = None,
    config: ConfigOption = None,
):
    """Fit a compute-optimal policy: per difficulty bin and budget, the strategy with the best accuracy
    on DATASET (reported with 2-fold cross-validation); write it for ttc solve --policy."""
    from planners import ComputeOptimalPlanner, estimator_named, of_kinds, plans
    from ttc_modules.evaluation.datasets import load_dataset
    from ttc_modules.lm import build_lm
    from ttc_modules.verifiers.named import verifier_from_name

    budget_list = _int_list(budgets, "--budgets")
    settings = _settings_with_cache(config, **{"backend.prompt_style": prompt_style})
    space = of_kinds(k.strip() for k in kinds.split(",") if k.strip()) if kinds else plans
    seed = settings.seed if seed is None else seed
    planner = ComputeOptimalPlanner(budget_list, estimator=estimator_named(estimator, probes, budget_list), bins=bins,
                                    seed=seed, search_space=space, work_dir=work_dir or policy_file.with_suffix(".work"),
                                    plan_options={"max_rounds": max_rounds} if max_rounds else None, rule=rule,
                                    workers=_pool(workers, ray))
    lm = build_lm(settings, model)
    subject = _program_under_test(program, metric)
    fitted = planner.fit(load_dataset(dataset, limit=limit, seed=seed, inputs=_inputs_of(subject)),
                         program=subject.program, metric=subject.metric, lm=lm,
                         verifier=verifier_from_name(verifier, needed=True, lm=lm, program=subject.program is not None))
    fitted.save(policy_file)
    _print_policy(fitted)
    err.print(f"policy written to {policy_file}")


@app.command("label-steps")
@friendly_errors
def label_steps(
    dataset: Annotated[str, typer.Option(help="gsm8k, math500, synthetic[:N per level], or a .jsonl/.csv file.")],
    out: Annotated[Path, typer.Option(help="Where to write the labels (JSONL, TRL's stepwise supervision).")],
    samples: Annotated[int, typer.Option(min=1, help="Solutions sampled per question.")] = 4,
    rollouts: Annotated[int, typer.Option(min=1, help="Completions per step prefix (Monte-Carlo rollouts).")] = 8,
    revisions: Annotated[Path | None, typer.Option(help="Also write reviser training pairs here (chat JSONL).")
                         ] = None,
    limit: Annotated[int | None, typer.Option(help="Label the first K questions only.")] = None,
    model: Annotated[str | None, typer.Option("--model", "-m", help="Backend name or LiteLLM model string.")] = None,
    seed: Annotated[int | None, typer.Option(help="Seed of the samples and of synthetic data.")] = None,
    max_tokens: Annotated[int | None, typer.Option(help="Tokens per sample at most.")] = None,
    workers: Annotated[int, typer.Option(min=1, help="Questions worked on at once (their requests share the "
                                                    "backend's batch; on the embedded model a sample can depend on "
                                                    "its batch: 1 reproduces exactly).")] = 4,
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

    settings = _settings_with_cache(config, **{"backend.max_tokens": max_tokens, "backend.prompt_style": prompt_style})
    seed = settings.seed if seed is None else seed
    examples = load_dataset(dataset, limit=limit, seed=seed)
    labeler = StepLabeler(build_lm(settings, model), samples=samples, rollouts=rollouts, seed=seed)
    summary = label_dataset(examples, labeler, out, revisions=revisions, workers=workers,
                            progress=True)
    out_text = f"{summary['rows']} rows ({summary['steps']} steps, {summary['positive_steps']} labelled positive, " \
               f"mean soft label {summary['mean_soft_label']:.2f}) from {summary['questions']} questions to {out}"
    if revisions is not None:
        out_text += f"; {summary['revision_pairs']} revision pairs to {revisions}"
    err.print(out_text)
    err.print(f"spent: {summary['spent']}; backend calls now: {summary['backend_calls_now']}, "
              f"wall_seconds: {summary['wall_seconds']}")


@app.command("train-prm")
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

    _settings_with_cache(config)
    rows = [row for _, row in read_rows(labels)]
    features = StepFeatures(embedding_model=None if embedding_model == "none" else embedding_model)
    with progress_bar(len(rows), title="features") as advance:
        prm, report = train(rows, features, held_out=held_out, seed=seed, advance=advance)
    path = prm.save(directory)
    directory.joinpath("report.json").write_text(json.dumps(report, indent=1))
    view = Table(title=f"held-out questions: {report['held_out']['questions']} "
                       f"({report['held_out']['prefixes']} prefixes); trained on {report['train']['questions']}")
    for column in ("figure", "learned PRM", "arithmetic checker"):
        view.add_column(column)
    measured = report["held_out"]
    for figure, ours, checker in (("step AUROC", "step_auroc", "checker_step_auroc"),
                                  ("final-step AUROC", "final_auroc", "checker_final_auroc"),
                                  ("Brier vs soft labels", "brier", "checker_brier")):
        view.add_row(figure, str(measured.get(ours)), str(measured.get(checker)))
    out.print(view)
    err.print(f"PRM saved to {path}; use it with --verifier learned:{directory}")


def _print_policy(planner) -> None:
    view = Table(title=f"compute-optimal policy ({planner.metadata['questions']} questions)")
    for column in ("bin", "budget", "chosen", "cv accuracy", "best-of-N weighted", "n"):
        view.add_column(column, overflow="fold")
    for bin_, budget, cell in planner.cells():
        baseline = "-" if cell["baseline_accuracy"] is None else f"{cell['baseline_accuracy']:.2f}"
        view.add_row(str(bin_), str(budget), cell["chosen"], f"{cell['cv_accuracy']:.2f}", baseline, str(cell["n"]))
    out.print(view)


@app.command()
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

    try:
        ratio_list = [float(r) for r in ratios.split(",") if r.strip()]
    except ValueError:
        raise ValueError(f"--ratios takes comma-separated numbers such as 0.16,0.79,22, got {ratios!r}") from None
    view = Table(title=f"{params:.3g}-parameter model vs one {multiplier:g}x larger")
    for column in ("R = D_inf / D_pre", "matching inference multiplier", "larger model FLOPs", "small model FLOPs"):
        view.add_column(column)
    for row in exchange_table(params, multiplier, ratio_list, pretrain_tokens):
        view.add_row(f"{row['ratio']:g}", f"{row['inference_multiplier']:.1f}x", f"{row['large_model_flops']:.3g}",
                     f"{row['small_model_flops']:.3g}")
    out.print(view)
    out.print("Test-time compute on the small model is the cheaper route while it needs less than the multiplier "
              "above to match the larger model's accuracy (the paper: on easy and medium questions, or R << 1).")


@app.command()
@friendly_errors
def serve(
    config: ConfigOption = None,
    host: Annotated[str | None, typer.Option(help="Address to listen on (serve.host; default 127.0.0.1).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (serve.port; default 8000, 0 picks a free one).")] = None,
):
    """Serve compute-optimal answers behind an OpenAI-compatible endpoint (POST /v1/chat/completions,
    GET /v1/models, /health, /metrics); the models come from served_models in the config."""
    try:
        import uvicorn

        from ttc_modules.serving import create_app
        from ttc_modules.serving.bounded_headers import BoundedHeadersProtocol
    except ImportError as missing:
        raise ValueError(f"ttc serve needs the serve extra ({missing.name} is not installed); "
                         "pip install 'dspy-ttc[serve]'") from missing
    from planners import policy_program

    settings = _settings_with_cache(config, **{"serve.host": host, "serve.port": port})
    app_ = create_app(settings, policy_program=policy_program)
    port_ = _port_to_listen_on(settings.serve.host, settings.serve.port)
    err.print(f"serving {', '.join(app_.state.served.names())} on http://{settings.serve.host}:{port_}/v1 "
              "(Ctrl-C stops it after the requests in flight)", soft_wrap=True)
    # BoundedHeadersProtocol bounds a request's headers; limit_concurrency bounds open connections (503 beyond)
    uvicorn.run(app_, host=settings.serve.host, port=port_, log_level="warning", http=BoundedHeadersProtocol,
                limit_concurrency=settings.serve.max_connections,
                timeout_graceful_shutdown=int(settings.serve.request_timeout))


def _port_to_listen_on(host: str, port: int) -> int:
    """``port``, or a free one for 0, once a socket could be bound to it; else one clear error. (uvicorn
    binds its own socket: serving on one handed to it measured slower, benchmarks/serve_overhead.py.)"""
    from ttc_modules.ports import bound_port

    try:
        return bound_port(host, port)
    except OSError as error:
        raise ValueError(f"cannot listen on {host}:{port} ({error.strerror}); choose another --port "
                         "(or serve.port), or stop what is using it") from error


@app.command()
@friendly_errors
def graph(
    path: Annotated[Path, typer.Argument(help="A graph saved with ttc solve --save-graph.")],
    html: Annotated[Path | None, typer.Option("--html", help="Write a self-contained HTML tree view here.")] = None,
    graphml: Annotated[Path | None, typer.Option("--graphml", help="Write GraphML here.")] = None,
):
    """Render a saved search graph as HTML (opens offline) or convert it to GraphML."""
    from ttc_modules.graph import load_json, save_graphml
    from ttc_modules.graph_html import save_html

    loaded = load_json(path)
    if html is None and graphml is None:
        raise ValueError("nothing to write; pass --html out.html and/or --graphml out.graphml")
    if html:
        save_html(loaded, html)
        out.print(f"wrote {html} ({loaded.number_of_nodes()} nodes)")
    if graphml:
        save_graphml(loaded, graphml)
        out.print(f"wrote {graphml}")


@cache_app.command("info")
@friendly_errors
def cache_info(config: ConfigOption = None):
    """Show where the cache is and how much it holds (the project's cache entries only)."""
    from ttc_modules.lm.cache import MARKER, cache_entries

    settings = _settings(config)
    directory = Path(settings.cache.dir).expanduser()
    files = [p for entry in cache_entries(directory) for p in ([entry] if entry.is_file() else entry.rglob("*"))
             if p.is_file()]
    size = sum(p.stat().st_size for p in files)
    owned = "" if (directory / MARKER).exists() or not directory.exists() else " (not a dspy-ttc cache directory)"
    out.print(f"cache directory: {directory}{owned}\nenabled: {settings.cache.enabled}\n"
              f"files: {len(files)}\nsize: {size / 1e6:.1f} MB")


@cache_app.command("clear")
@friendly_errors
def cache_clear(config: ConfigOption = None,
                yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False):
    """Delete every cached LM call, usage record and verifier score (nothing else in the directory)."""
    from ttc_modules.lm.cache import ENTRIES, clear_cache

    settings = _settings(config)
    directory = Path(settings.cache.dir).expanduser()
    if not directory.exists():
        out.print(f"nothing to clear: {directory} does not exist")
        return
    if not yes and not typer.confirm(f"Delete the dspy-ttc caches ({', '.join(ENTRIES)}) under {directory}?"):
        raise typer.Exit(code=1)
    cleared = clear_cache(directory)
    out.print(f"cleared {', '.join(p.name for p in cleared) or 'nothing (empty)'} in {directory}")


def main() -> None:
    """Entry point of the ``ttc`` console script."""
    import logging

    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("dspy.clients.lm").setLevel(logging.ERROR)  # "response was truncated": expected in search
    app(args=with_ray_address(sys.argv[1:]), prog_name="ttc")


def with_ray_address(args: list[str]) -> list[str]:
    """``args`` with ``--ray`` given its address, ``local``, where it has none (at the end, or before another
    option): ``--ray [ADDRESS]`` takes an optional value, which the option parser cannot say.

    Example:
        >>> with_ray_address(["eval", "--ray", "--workers", "4"]), with_ray_address(["eval", "--ray", "auto"])
        (['eval', '--ray', 'local', '--workers', '4'], ['eval', '--ray', 'auto'])
    """
    given = []
    for i, arg in enumerate(args):
        given.append(arg)
        if arg == "--ray" and (i + 1 == len(args) or args[i + 1].startswith("-")):
            given.append(LOCAL_RAY_CLUSTER)
    return given


if __name__ == "__main__":
    sys.exit(main())
