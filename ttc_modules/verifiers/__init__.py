"""Verifiers: one protocol, ``score(inputs, steps) -> list[float]``, and one file per kind.

- :class:`ArithmeticChecker` (``arithmetic.py``): checks every ``a op b = c``; a real, cheap PRM
  for arithmetic word problems.
- :class:`LLMJudge` (``judge.py``): any LiteLLM model as a judge, P(yes) from log-probabilities.
- :class:`RemotePRM` (``remote_prm.py``): a reward model server (our JSON contract or vLLM pooling).
- :class:`CallableVerifier`, :class:`ModuleVerifier`, :func:`as_verifier` (``callable.py``).
- :class:`OracleVerifier` (``oracle.py``): knows the answer; evaluation only.
- :class:`VerifierRunner` (``runner.py``): budget, disk cache and accounting around any of them.
"""

from ttc_modules.verifiers.arithmetic import ArithmeticChecker
from ttc_modules.verifiers.base import Candidate, Verifier, VerifierError
from ttc_modules.verifiers.callable import CallableVerifier, ModuleVerifier, as_verifier
from ttc_modules.verifiers.judge import LLMJudge
from ttc_modules.verifiers.learned_prm import LearnedPRM
from ttc_modules.verifiers.oracle import OracleVerifier
from ttc_modules.verifiers.remote_prm import RemotePRM, RemotePRMError
from ttc_modules.verifiers.runner import VerifierRunner
from ttc_modules.verifiers.step_features import StepFeatures

__all__ = ["ArithmeticChecker", "CallableVerifier", "Candidate", "LLMJudge", "LearnedPRM", "ModuleVerifier",
           "OracleVerifier", "RemotePRM", "RemotePRMError", "StepFeatures", "Verifier", "VerifierError",
           "VerifierRunner", "as_verifier"]
