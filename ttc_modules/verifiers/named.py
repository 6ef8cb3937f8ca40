"""Verifiers by name, for the command line and config files.

Example:
    >>> verifier_from_name("arithmetic").name, verifier_from_name("none"), verifier_from_name("auto", needed=False)
    ('arithmetic', None, None)
"""

from __future__ import annotations

from ttc_modules.user_code import load_attribute
from ttc_modules.verifiers.arithmetic import ArithmeticChecker
from ttc_modules.verifiers.callable import as_verifier
from ttc_modules.verifiers.judge import LLMJudge
from ttc_modules.verifiers.learned_prm import LearnedPRM
from ttc_modules.verifiers.remote_prm import RemotePRM

NAMES = "auto, none, arithmetic, judge, prm:URL, vllm-prm:URL, trl-prm:URL, learned:PATH or module:function"
TRL_STEP_SEPARATOR = "\n"  # the default ``step_separator`` of TRL's PRMConfig


def verifier_from_name(name: str, needed: bool = True, lm=None, program: bool = False):
    """``auto`` (the arithmetic checker when a verifier is ``needed``), ``none``, ``arithmetic``,
    ``judge`` (an LLM judge on the configured model, scoring each step), ``prm:URL`` (a remote PRM speaking
    our contract), ``vllm-prm:URL`` (vLLM's ``/pooling`` serving a Qwen-style PRM), ``trl-prm:URL`` (the same
    serving a PRM trained by TRL's ``PRMTrainer`` with its default step separator) or ``learned:PATH``
    (a PRM trained by ``ttc train-prm``), or ``module:function`` (a verifier, reward function or module in
    the user's code: ``user_code.py``). The judge asks ``lm`` (None: DSPy's configured LM, else the
    configured default backend). For a ``program`` of the user's, ``auto`` is no verifier where none is
    needed, and names the choices where one is (the arithmetic checker checks math word problems)."""
    if name == "auto":
        if needed and program:
            raise ValueError("this needs a verifier, and the arithmetic checker only checks math word problems; "
                             "pass --verifier judge (an LLM judge shown your program's task) or --verifier "
                             "module:function (your reward(args, pred) or verifier)")
        return ArithmeticChecker() if needed else None
    if name.startswith("prm:"):
        return RemotePRM(name.removeprefix("prm:"))
    if name.startswith("vllm-prm:"):
        return RemotePRM(name.removeprefix("vllm-prm:"), format="vllm")
    if name.startswith("trl-prm:"):
        return RemotePRM(name.removeprefix("trl-prm:"), format="vllm", separator=TRL_STEP_SEPARATOR, chat=False)
    if name.startswith("learned:"):
        return LearnedPRM.load(name.removeprefix("learned:"))
    if ":" in name:
        return as_verifier(load_attribute(name))
    choices = {"none": lambda: None, "arithmetic": ArithmeticChecker, "judge": lambda: LLMJudge(lm=lm, mode="process")}
    if name not in choices:
        raise ValueError(f"unknown verifier '{name}'; use {NAMES}")
    return choices[name]()
