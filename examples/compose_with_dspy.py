"""A test-time compute strategy inside a larger DSPy program, evaluated with dspy.Evaluate.

The program cleans the question, searches with beam search against the arithmetic checker, and
returns a DSPy prediction. Its generator's predictors are ordinary DSPy sub-modules, so DSPy sees
them (and an optimizer could tune them). Runs on the embedded model in a minute or two:

    .venv/bin/python examples/compose_with_dspy.py
"""

from __future__ import annotations

import dspy

from ttc_modules import BeamSearch, Budget
from ttc_modules.evaluation import metric
from ttc_modules.evaluation.synthetic import make_problems
from ttc_modules.verifiers import ArithmeticChecker


class WordProblemSolver(dspy.Module):
    """Normalise the question, search for a solution, report what it cost."""

    def __init__(self, budget: int = 8):
        super().__init__()
        self.search = BeamSearch(n=budget, beam_width=2, max_rounds=5, verifier=ArithmeticChecker(),
                                 budget=Budget(generations=budget))

    def forward(self, question: str) -> dspy.Prediction:
        question = " ".join(question.split())
        found = self.search(question=question)
        return dspy.Prediction(answer=found.answer or "", reasoning=found.reasoning, spent=found.spent)


def main() -> None:
    program = WordProblemSolver()
    print("predictors DSPy sees:", [name for name, _ in program.named_predictors()])
    devset = [dspy.Example(question=p["question"], answer=p["answer"]).with_inputs("question")
              for p in make_problems(6, level=1, seed=3)]
    result = dspy.Evaluate(devset=devset, metric=metric, num_threads=1, display_progress=True)(program)
    print(f"accuracy on {len(devset)} one-step problems: {result.score:.1f}%")


if __name__ == "__main__":
    main()
