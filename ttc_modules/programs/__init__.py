"""The program a strategy searches: the user's signature or module, or the math word-problem program.

- :func:`as_module`, :func:`describe`, :class:`ProgramFields` (``fields.py``): what a program takes and
  writes, where its reasoning is, which output votes are on.
- :class:`Equivalence`, :func:`equivalence_for` (``equivalence.py``): when two answers are the same.
- :class:`ProgramGenerator` (``generator.py``): whole rollouts, revisions and step-level reasoning of a
  user's program, on ``rollouts.py`` (the module run as rollouts), ``prefill.py`` (its prompt with the
  reply begun), ``attempts.py`` (earlier attempts as an input field) and ``step_signatures.py``.
- :class:`Draft` (``draft.py``): one generated piece of a candidate.
"""

from ttc_modules.programs.draft import Draft
from ttc_modules.programs.equivalence import Equivalence, equivalence_for
from ttc_modules.programs.fields import ProgramError, ProgramFields, as_module, describe, render_outputs
from ttc_modules.programs.generator import ProgramGenerator

__all__ = ["Draft", "Equivalence", "ProgramError", "ProgramFields", "ProgramGenerator", "as_module", "describe",
           "equivalence_for", "render_outputs"]
