"""A programmatic process verifier for arithmetic word problems (see ``checker.py``).

``text`` rewrites typed arithmetic into plain ASCII, ``expressions`` tokenizes and evaluates it,
``equations`` finds a step's equations in its prose, ``grounding`` says which numbers a text
makes known, and ``checker`` puts them together into :class:`ArithmeticChecker`.
"""

from ttc_modules.verifiers.arithmetic.checker import ArithmeticChecker
from ttc_modules.verifiers.arithmetic.expressions import evaluate

__all__ = ["ArithmeticChecker", "evaluate"]
