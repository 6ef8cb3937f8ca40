"""Final answers: found in a solution as written (``extract.py``), and compared by what they mean
(``equivalence.py``, with math-verify running in a worker process of its own: ``math_verify_worker.py``).

Everything that reads an answer goes through here: the search graph's ``answer`` on every node,
votes (majority and weighted best-of-N), verifiers that read the final answer, and grading
(:func:`ttc_modules.evaluation.grade`), so what is tested is what every figure uses.
"""

from ttc_modules.answers.equivalence import answer_groups, matches, same_answer
from ttc_modules.answers.extract import (
    clean_answer,
    extract_answer,
    has_final_answer,
    is_bare_answer,
    stated_answer,
    stating_answer,
)

__all__ = ["answer_groups", "clean_answer", "extract_answer", "has_final_answer", "is_bare_answer", "matches",
           "same_answer", "stated_answer", "stating_answer"]
