"""ttc eval on a program of the user's: examples in its fields, every row graded by its metric."""

import json

import dspy
from typer.testing import CliRunner

from tests.programs.verdict_task import ROWS, Verdict, metric, reply, reward
from ttc_modules.cli import app
from ttc_modules.evaluation.harness import Evaluation
from ttc_modules.testing import OpenAIStubServer, scripted_lm


def examples():
    return [dspy.Example(**row).with_inputs("passage", "question") for row in ROWS]


def test_bank_and_search_rows_are_graded_by_the_metric(tmp_path):
    lm = scripted_lm(reply, prompt_style="signature")
    summary = Evaluation(examples(), lm, reward, ["majority", "pass", "revisions"], [1, 3], tmp_path, progress=False,
                         program=Verdict, metric=metric).run()
    rows = [json.loads(line) for line in (tmp_path / "results.jsonl").read_text().splitlines()]
    assert {row["strategy"] for row in rows} == {"majority", "pass", "revisions"}
    assert summary["accuracy"]["pass"]["3"]["all"]["accuracy"] == 1.0
    assert all(row["answer"] in ("yes", "no") for row in rows if row["source"] == "search")
    assert summary["questions"] == 4


def test_the_command_line_takes_a_program_a_metric_and_a_file_in_its_fields(tmp_path):
    data = tmp_path / "verdicts.jsonl"
    data.write_text("".join(json.dumps(row) + "\n" for row in ROWS))
    with OpenAIStubServer(responder=lambda prompt, index, seed, temperature: reply(prompt, (seed or 0) + index)) as server:
        config = tmp_path / "ttc.yaml"
        config.write_text(f"backend: {{model: openai/stub-model, api_base: '{server.base_url}', "
                          f"prompt_style: signature}}\ncache: {{dir: '{tmp_path / 'cache'}'}}\n")
        result = CliRunner().invoke(app, [
            "eval", "--program", "tests.programs.verdict_task:Verdict", "--metric", "tests.programs.verdict_task:metric",
            "--dataset", str(data), "--strategies", "majority,weighted", "--budgets", "1,3", "--verifier",
            "tests.programs.verdict_task:reward", "--out", str(tmp_path / "out"), "--config", str(config)])
    assert result.exit_code == 0, result.output
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert summary["questions"] == 4 and set(summary["accuracy"]) == {"majority", "weighted"}


def test_a_program_without_a_metric_or_verifier_is_one_line(tmp_path):
    runner = CliRunner()
    base = ["eval", "--program", "tests.programs.verdict_task:Verdict", "--dataset", "x.jsonl", "--out", str(tmp_path)]
    result = runner.invoke(app, base)
    assert result.exit_code == 2 and "needs a metric" in result.output and len(result.output.strip().splitlines()) == 1
    result = runner.invoke(app, [*base, "--metric", "tests.programs.verdict_task:nope"])
    assert result.exit_code == 2 and "has no 'nope'" in result.output


def test_ttc_solve_fills_a_program_s_one_input(tmp_path):
    with OpenAIStubServer(responder=lambda prompt, index, seed, temperature: "[[ ## capital ## ]]\nBrussels\n\n"
                          "[[ ## completed ## ]]") as server:
        config = tmp_path / "ttc.yaml"
        config.write_text(f"backend: {{model: openai/stub-model, api_base: '{server.base_url}', "
                          f"prompt_style: signature}}\ncache: {{dir: '{tmp_path / 'cache'}'}}\n")
        result = CliRunner().invoke(app, ["solve", "Belgium", "--program", "country -> capital", "--n", "2",
                                          "--json", "--config", str(config)])
    assert result.exit_code == 0, result.output
    answer = json.loads(result.output)
    assert answer["answer"] == "Brussels" and answer["outputs"] == {"capital": "Brussels"}
