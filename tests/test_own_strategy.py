"""A strategy of the user's, registered, is taken wherever a built-in one is: its options for a budget, the
planner's search space and ``ttc calibrate`` (``--kinds``), a policy saved and loaded, and ``ttc serve``'s app.

``Vote`` is a best-of-N variant as a user would write it (a :class:`Strategy` with a kind and a Config of its
own); the config files name it as ``tests.test_own_strategy:Vote``. Every test leaves the registry as it
found it.
"""

import json
from typing import Literal

import pytest
import yaml
from fastapi.testclient import TestClient
from pydantic import BaseModel, ValidationError
from typer.testing import CliRunner

from planners import ComputeOptimalPlanner, Plan, VerifierDifficulty, of_kinds, plans, policy_program
from ttc_modules.cli import app
from ttc_modules.config import load_settings
from ttc_modules.serving import create_app
from ttc_modules.strategies import (
    STRATEGIES,
    AnyStrategyConfig,
    BestOfN,
    BestOfNConfig,
    Strategy,
    StrategyConfig,
    needs_verifier,
    options_for_budget,
    register_strategies,
    register_strategy,
)
from ttc_modules.testing import OpenAIStubServer, scripted_lm

SPEC = "tests.test_own_strategy:Vote"


class VoteConfig(BestOfNConfig):
    kind: Literal["vote"] = "vote"  # type: ignore[assignment]


class Vote(BestOfN):
    """Best-of-N under a kind of its own."""

    kind = "vote"
    Config = VoteConfig


@pytest.fixture
def registered():
    """``Vote`` registered for the test, then removed."""
    yield register_strategy(Vote)
    STRATEGIES.pop(Vote.kind, None)


@pytest.fixture
def unregistered_afterwards():
    """For a test whose command registers ``Vote`` from the config: removed afterwards."""
    yield
    STRATEGIES.pop(Vote.kind, None)


def config_file(tmp_path, server, **more) -> str:
    path = tmp_path / "ttc.yaml"
    path.write_text(yaml.safe_dump({"backend": {"model": "openai/stub-model", "api_base": server.base_url},
                                    "cache": {"dir": str(tmp_path / "cache")}, "strategies": [SPEC], **more}))
    return str(path)


def test_a_registered_strategy_has_options_for_a_budget_a_config_and_plans(registered):
    assert options_for_budget("vote", 8, seed=3) == {"kind": "vote", "seed": 3, "n": 8, "selection": "majority"}
    assert not needs_verifier({"kind": "vote", "selection": "majority"}) and needs_verifier({"kind": "vote"})

    class Holder(BaseModel):
        config: AnyStrategyConfig

    held = Holder(config={"kind": "vote", "n": 2})
    assert type(held.config) is VoteConfig and Holder.model_validate_json(held.model_dump_json()) == held
    assert [plan.label for plan in plans(4)][-2:] == ["vote(n=4,selection=majority)",
                                                           "vote(n=4,selection=weighted)"]  # after the built-ins
    assert {plan.kind for plan in of_kinds(["vote"])(4)} == {"vote"}


def test_without_registering_the_kind_is_unknown():
    class Holder(BaseModel):
        config: AnyStrategyConfig

    with pytest.raises(ValidationError, match="unknown strategy 'vote'"):
        Holder(config={"kind": "vote"})
    with pytest.raises(ValueError, match="unknown strategy kind"):
        of_kinds(["vote"])


def test_ttc_calibrate_compares_a_strategy_the_config_names(tmp_path, unregistered_afterwards):
    policy = tmp_path / "policy.json"
    with OpenAIStubServer() as server:
        result = CliRunner().invoke(app, [
            "calibrate", "--dataset", "synthetic:1", "--limit", "3", "--budgets", "4", "--bins", "1", "--probes", "2",
            "--kinds", "best_of_n,vote", "--verifier", "arithmetic", "--workers", "1",
            "--out", str(policy), "--config", config_file(tmp_path, server)])
    assert result.exit_code == 0, result.output
    compared = set(json.loads(policy.read_text())["report"]["1|4"]["accuracies"])
    own = {"vote(n=2,selection=majority)", "vote(n=2,selection=weighted)"}  # sized for what the 2 probes leave
    assert compared == {"best_of_n(n=4,selection=majority)", "best_of_n(n=4,selection=weighted)", *own}


def test_ttc_solve_runs_a_strategy_the_config_names(tmp_path, unregistered_afterwards):
    with OpenAIStubServer() as server:
        result = CliRunner().invoke(app, ["solve", "What is 2 + 3?", "--strategy", "vote", "--n", "2", "--verifier",
                                          "none", "--json", "--config", config_file(tmp_path, server)])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["strategy"] == "vote"


def test_ttc_solve_sets_any_option_of_a_strategy_with_option(tmp_path, unregistered_afterwards):
    with OpenAIStubServer() as server:
        result = CliRunner().invoke(app, ["solve", "What is 2 + 3?", "--strategy", "vote", "--n", "4", "--verifier",
                                          "none", "-o", "stop=beta", "--option", "confidence=0.6", "--json",
                                          "--config", config_file(tmp_path, server)])
        wrong = CliRunner().invoke(app, ["solve", "What is 2 + 3?", "--strategy", "vote", "-o", "frist=2",
                                         "--config", config_file(tmp_path, server)])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["spent"]["generations"] <= 4
    assert wrong.exit_code != 0 and "vote has no option 'frist'" in wrong.output


def test_a_policy_planning_it_saves_loads_and_answers(tmp_path, registered):
    planner = ComputeOptimalPlanner(budgets=[4], bins=1, estimator=VerifierDifficulty(probes=1))
    planner.estimator.fit([0.5], 1)
    planner.policy = {(1, 4): Plan(kind="vote", options={"n": 3, "selection": "majority"}, bin=1, budget=4)}
    planner.save(tmp_path / "policy.json")
    loaded = ComputeOptimalPlanner.load(tmp_path / "policy.json")
    assert loaded.policy == planner.policy and loaded.state() == planner.state()
    program = policy_program(tmp_path / "policy.json", verifier=lambda inputs, steps: 1.0,
                             lm=scripted_lm(lambda prompt, seed: "The answer is 7."))
    prediction = program(question="What is 3 + 4?", budget=4)
    assert prediction.answer == "7" and prediction.plan.kind == "vote"
    STRATEGIES.pop("vote")
    with pytest.raises(ValueError, match="strategy vote, which is not registered; list its class under "
                                         "strategies"):
        ComputeOptimalPlanner.load(tmp_path / "policy.json")
    with pytest.raises(ValueError, match="strategy vote, which is not registered"):  # a state read otherwise too
        ComputeOptimalPlanner.from_state(planner.state())


def test_ttc_serve_serves_a_strategy_the_config_names(tmp_path, unregistered_afterwards):
    with OpenAIStubServer() as server:
        settings = load_settings(config_file(tmp_path, server, served_models={
            "vote": {"strategy": "vote", "budget": 3}, "ttc": {}}))
        client = TestClient(create_app(settings), base_url="http://localhost")
        question = [{"role": "user", "content": "What is 12 + 7?"}]
        served = client.post("/v1/chat/completions", json={"model": "vote", "messages": question})
        asked = client.post("/v1/chat/completions", json={"model": "ttc", "messages": question,
                                                          "ttc": {"strategy": "vote", "budget": 2}})
    assert served.status_code == 200 and asked.status_code == 200, (served.text, asked.text)
    assert [reply.json()["ttc"]["strategy"] for reply in (served, asked)] == ["vote"] * 2
    assert [reply.json()["ttc"]["spent"]["generations"] for reply in (served, asked)] == [3, 2]


def test_a_strategies_entry_that_is_not_a_strategy_is_one_line(tmp_path):
    with pytest.raises(ValueError, match="names function .* not a Strategy subclass"):
        register_strategies(["tests.test_own_strategy:config_file"])
    result = CliRunner().invoke(app, ["calibrate", "--dataset", "synthetic:1", "--out", str(tmp_path / "p.json"),
                                      "--config", _written(tmp_path, {"strategies": ["no_colon"]})])
    assert result.exit_code == 2 and "strategies: 'no_colon' names no class" in result.output


def _written(tmp_path, settings: dict) -> str:
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(settings))
    return str(path)


def test_a_config_whose_kind_is_not_the_class_s_is_refused_at_registration():
    class Mislabelled(Strategy):
        kind = "mislabelled"
        Config = VoteConfig

        def search(self, run):
            return None

    with pytest.raises(ValueError, match="Mislabelled.Config's kind is 'vote', not 'mislabelled'"):
        register_strategy(Mislabelled)
    assert "mislabelled" not in STRATEGIES


def test_a_config_without_n_stays_out_of_the_search_space_unless_it_says_how_to_spend_a_budget():
    class RoundsConfig(StrategyConfig):
        rounds: int = 2

    assert RoundsConfig.plans_for_budget(8) == []


def test_a_strategy_without_a_config_of_its_own_or_taking_a_built_in_kind_is_refused():
    class NoConfig(Strategy):
        kind = "no_config"

    class Impostor(Strategy):
        kind = "best_of_n"
        Config = BestOfNConfig

    with pytest.raises(ValueError, match="NoConfig has no Config of its own; give it one"):
        register_strategy(NoConfig)
    with pytest.raises(ValueError, match="Impostor takes the kind 'best_of_n' of a built-in strategy"):
        register_strategy(Impostor)
    assert STRATEGIES["best_of_n"] is BestOfN and "no_config" not in STRATEGIES


def test_a_strategies_file_that_fails_to_import_is_one_line(tmp_path):
    broken = tmp_path / "broken.py"
    broken.write_text("import json\nimport not_a_package_anywhere\n")
    with pytest.raises(ValueError, match=r"importing '.*broken.py' failed \(line 2\): ModuleNotFoundError: "
                                         r"No module named 'not_a_package_anywhere'; fix it"):
        register_strategies([f"{broken}:Mine"])


def test_ttc_solve_says_when_a_policy_spends_less_than_the_budget_asked(tmp_path, unregistered_afterwards):
    planner = ComputeOptimalPlanner(budgets=[4], bins=1, estimator=VerifierDifficulty(probes=1))
    planner.estimator.fit([0.5], 1)
    planner.policy = {(1, 4): Plan(kind="vote", options={"n": 3, "selection": "majority"}, bin=1, budget=4)}
    planner.save(tmp_path / "policy.json")
    with OpenAIStubServer() as server:
        result = CliRunner().invoke(app, ["solve", "What is 2 + 3?", "--policy", str(tmp_path / "policy.json"),
                                          "--budget", "6", "--config", config_file(tmp_path, server)])
    assert result.exit_code == 0, result.output
    assert "vote(n=3,selection=majority) at 4 generations (the policy's largest budget within the 6 asked)" in (
        " ".join(result.output.split()))
