"""The models ``ttc serve`` answers for, and the program each request runs.

A :class:`ServedModel` is one entry of ``served_models`` in the config (or, without any, the one
default model, :data:`DEFAULT_NAME`: best-of-N on the configured backend, majority voting). Its LM,
verifier and program (``program``: a signature or ``module:attribute``; the math word-problem program
without one) are built once, on first use; each request gets a fresh strategy (or, for a fitted
policy, the adaptive program) over that program, or over the program a DSPy client sent
(``asked.py``), with the request's budget, so no state passes between requests, except one: a
served policy with ``mean_budget`` shares a :class:`~ttc_modules.ledgers.WindowLedger` across its
requests, holding the mean over any ``mean_budget_window`` consecutive ones.

Policies live in ``planners``, which this package may not import; the command line hands in
``policy_program(path, verifier, lm, seed, program)`` (``planners.policies.policy_program``).

Example:
    >>> from ttc_modules.config import load_settings
    >>> from ttc_modules.serving.protocol import TTCOptions
    >>> served = ServedModels.from_settings(load_settings())
    >>> served.names(), served.get("ttc").options(TTCOptions(strategy="beam_search"), seed=0, budget=8)
    (['ttc'], {'kind': 'beam_search', 'n': 8, 'beam_width': 4, 'seed': 0})
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ttc_modules.budget import Budget
from ttc_modules.config import ConfigError, ServedModelConfig, Settings
from ttc_modules.generation import MATH_FIELDS
from ttc_modules.ledgers import WindowLedger
from ttc_modules.lm.build import build_lm
from ttc_modules.programs import ProgramFields, as_module, describe
from ttc_modules.serving.option_checks import checked_options
from ttc_modules.serving.protocol import ServerError, TTCOptions
from ttc_modules.serving.ranges import shown
from ttc_modules.strategies.config import parse_config
from ttc_modules.strategies.registry import STRATEGIES, build_strategy, needs_verifier, options_for_budget
from ttc_modules.user_code import load_program
from ttc_modules.verifiers.named import verifier_from_name

DEFAULT_NAME = "ttc"
"""The model name served when the config has no ``served_models``."""

PolicyProgram = Callable[..., Any]  # (policy path, verifier, lm, seed, program) -> a module taking budget=


@dataclass
class Program:
    """What one request runs: a DSPy module and the arguments of its call besides the question."""

    module: Any
    call_options: dict
    label: str  # the strategy, or "policy" for a fitted policy
    budget: int  # generations


@dataclass
class ServedModel:
    name: str
    config: ServedModelConfig
    settings: Settings
    policy_program: PolicyProgram | None = None
    ledger: WindowLedger | None = None  # with mean_budget: built on the first request, from the policy's budgets
    _ledger_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @functools.cached_property
    def lm(self):
        return build_lm(self.settings, self.config.backend)

    @functools.cached_property
    def verifier(self):
        return verifier_from_name(self.config.verifier, needed=True, lm=self.lm,
                                  program=self.config.program is not None)

    @functools.cached_property
    def searched(self):
        """The served program: the config's (a signature, or ``module:attribute``), or None (the math program)."""
        return None if self.config.program is None else load_program(self.config.program)

    @functools.cached_property
    def fields(self) -> ProgramFields:
        """The served program's fields."""
        return MATH_FIELDS if self.searched is None else describe(as_module(self.searched))

    def served_fields(self) -> ProgramFields:
        """The served program's fields (a configuration that cannot build the program is a 500)."""
        return self._parts()[2]

    def program(self, asked: TTCOptions, seed: int | None, searched=None) -> Program:
        """The program for a request that asked for ``asked`` (may be nothing), with its seed, searching
        ``searched`` (a DSPy client's program) or the served one."""
        seed = self.settings.seed if seed is None else seed
        budget = self._budget(asked)
        lm, verifier, _ = self._parts()
        searched = self.searched if searched is None else searched
        if self.config.policy is not None and asked.strategy is None and not asked.options():
            return self._policy(lm, verifier, budget, seed, searched)
        options = self.options(asked, seed, budget)
        try:
            needed = needs_verifier(options)
            if verifier is None and needed:
                raise self._no_verifier(options, asked)
            weighted = needed or options.get("selection") == "weighted"
            module = build_strategy(options, lm=lm, verifier=verifier if weighted else None,
                                    budget=Budget(generations=budget), program=searched)
        except ValueError as error:
            raise ServerError(400, f"{options['kind']} at budget {budget} (ttc.budget sets n): {error}",
                              param="ttc") from error
        return Program(module, {}, options["kind"], budget)

    def _no_verifier(self, options: dict, asked: TTCOptions) -> ServerError:
        """The 400 for options that need a verifier on a model served without one, naming what asked for it."""
        cause = next((name for name in ("threshold", "selection") if name in asked.options()), "strategy")
        return ServerError(400, f"{options['kind']} with these options needs a verifier (ttc.{cause}), and {self.name} "
                                "is served without one; ask for best_of_n or revisions with ttc.selection majority "
                                f"and no ttc.threshold, or set served_models.{self.name}.verifier",
                           param=f"ttc.{cause}")

    def _parts(self) -> tuple:
        """The LM, the verifier and the program's fields, built on first use; a configuration that cannot
        build them is a 500."""
        try:
            return self.lm, self.verifier, self.fields
        except (OSError, ValueError) as error:
            raise ServerError(500, str(error), kind="server_error") from error

    def _policy(self, lm, verifier, budget: int, seed: int, searched) -> Program:
        if self.policy_program is None:
            raise ServerError(500, f"{self.name} is served with a policy, but this server was started without "
                                   "planners; start it with `ttc serve`", kind="server_error")
        try:
            module = self.policy_program(self.config.policy, verifier, lm, seed, searched)
        except (OSError, ValueError) as error:
            if searched is not self.searched:  # a DSPy client's own program, not the one the policy was fitted on
                raise ServerError(400, f"{self.name} answers with a policy fitted on its own program: {error}; send "
                                       "that program's fields, or ask for a strategy (ttc.strategy)",
                                  param="messages") from None
            named = str(error) if str(self.config.policy) in str(error) else f"policy {self.config.policy}: {error}"
            raise ServerError(500, named, kind="server_error") from error
        if self.config.mean_budget is not None:
            module.ledger = self._shared_ledger(min(module.planner.budgets))
        return Program(module, {"budget": Budget(generations=budget)}, "policy", budget)

    def _shared_ledger(self, smallest: int) -> WindowLedger:
        """The ledger this served model's requests share (the policy's smallest budget the least it grants)."""
        with self._ledger_lock:
            if self.ledger is None:
                try:
                    self.ledger = WindowLedger(self.config.mean_budget, self.config.mean_budget_window, smallest)
                except ValueError as error:
                    raise ServerError(500, f"served_models.{self.name}: {error}", kind="server_error") from None
            return self.ledger

    def options(self, asked: TTCOptions, seed: int, budget: int) -> dict:
        """The strategy options of a request: the served model's, or the strategy it asked for, at ``budget``."""
        kind = self.config.strategy if asked.strategy is None else asked.strategy
        if kind not in STRATEGIES:
            raise ServerError(400, f"unknown strategy {shown(kind)}; use one of {', '.join(sorted(STRATEGIES))}",
                              param="ttc.strategy")
        served = self.config.options if kind == self.config.strategy else {}
        given = {**served, **{key: value for key, value in asked.options().items() if value is not None}}
        return {**checked_options(kind, _served_defaults(kind, given, self.config.verifier), budget, served),
                "seed": seed}

    def _budget(self, asked: TTCOptions) -> int:
        shared = self.config.mean_budget is not None and asked.strategy is None and not asked.options()
        budget = asked.budget or (self.config.max_budget if shared else self.config.budget)
        if budget > self.config.max_budget:
            raise ServerError(400, f"ttc.budget {budget} is above this server's maximum for {self.name} "
                                   f"({self.config.max_budget} generations); ask for less", param="ttc.budget")
        return budget


@dataclass
class ServedModels:
    models: dict[str, ServedModel]

    @classmethod
    def from_settings(cls, settings: Settings, policy_program: PolicyProgram | None = None) -> ServedModels:
        configs = settings.served_models or {DEFAULT_NAME: ServedModelConfig()}
        return cls({name: ServedModel(name, config, settings, policy_program) for name, config in configs.items()})

    def check(self) -> None:
        """Build each model's default program once, so a bad entry fails at start (a ``ConfigError`` naming
        it, in the config's words), not on its first request."""
        for name, model in self.models.items():
            _check_served_strategy(name, model.config)
            try:
                model.program(TTCOptions(), None)
            except ServerError as error:
                raise ConfigError(f"served_models.{name}: {error.message}") from error

    def names(self) -> list[str]:
        return list(self.models)

    def get(self, name: str) -> ServedModel:
        if name not in self.models:
            raise ServerError(404, f"the model {shown(name)} is not served here; use one of {', '.join(self.models)} "
                                   "(GET /v1/models lists them)", param="model", code="model_not_found")
        return self.models[name]


def _check_served_strategy(name: str, config: ServedModelConfig) -> None:
    """A served model's strategy and options as its config entry names them, or a ``ConfigError`` saying which
    key to change (the request checks that follow would speak of ``ttc.`` options a request sends)."""
    if config.policy is not None:
        return
    where = f"served_models.{name}"
    if config.strategy not in STRATEGIES:
        raise ConfigError(f"{where}.strategy: unknown strategy {config.strategy!r}; use one of "
                          f"{', '.join(sorted(STRATEGIES))} (or list yours under strategies)")
    given = _served_defaults(config.strategy, dict(config.options), config.verifier)
    try:
        parsed = parse_config(STRATEGIES[config.strategy].Config,
                              options_for_budget(config.strategy, config.budget, **given))
    except ValueError as error:
        raise ConfigError(f"{where}.options: {error}") from None
    if config.verifier == "none" and STRATEGIES[config.strategy].requires_verifier(parsed):
        raise ConfigError(f"{where}: {config.strategy} with these options needs a verifier; set {where}.verifier "
                          f"(arithmetic, judge, module:function...) or {where}.options.selection: majority")


def _served_defaults(kind: str, given: dict, verifier: str) -> dict:
    """``given`` options with what a served model adds: best-of-N votes weighted where it has a verifier."""
    if kind == "best_of_n" and verifier != "none":
        return {"selection": "weighted", **given}
    return given
