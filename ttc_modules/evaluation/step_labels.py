"""Step labels from Monte-Carlo rollouts: what a process reward model learns from (the paper's §5.1,
after Math-Shepherd).

For each question, ``samples`` solutions are drawn from the policy. For each step prefix of each
solution (every step but the last), ``rollouts`` completions drawn from the same policy (one
request) finish it; the step's soft label is the fraction of the finished solutions whose answer
is the reference, graded by :func:`~ttc_modules.evaluation.grading.grade` as the harness grades,
and its hard label is ``soft > 0``. The last step's label is the solution's own grade: nothing is
left to roll out. A soft label is a value estimate (the chance that the policy gets there from
this prefix), not a verdict on the step: it forgives a flawed step that still leads to the answer.

Each sampled solution becomes one row of the stepwise-supervision format TRL's PRM trainer reads
(:func:`trl_rows`): ``prompt`` (the question), ``completions`` (the steps), ``labels`` (hard), plus
``soft_labels``, ``question_id``, ``reference`` and ``metadata``.

Example:
    >>> import dspy
    >>> from ttc_modules.testing import scripted_lm
    >>> lm = scripted_lm(lambda prompt, seed: "The answer is 4." if prompt.strip().endswith("= 4.")
    ...                  else "2 + 2 = 4.\\n\\nThe answer is 5.")   # a right step, then a wrong answer
    >>> example = dspy.Example(id="q1", question="What is 2 + 2?", answer="4").with_inputs("question")
    >>> solution = StepLabeler(lm, samples=1, rollouts=2).label(example)["solutions"][0]
    >>> solution["steps"], solution["soft_labels"], solution["correct"]
    (['2 + 2 = 4.', 'The answer is 5.'], [1.0, 0.0], False)
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ttc_modules.evaluation.grading import grade
from ttc_modules.generation import Generator
from ttc_modules.lm.identity import backend_identity
from ttc_modules.strategies.config import StrategyConfig
from ttc_modules.strategies.run import Run


@dataclass
class StepLabeler:
    """Labels the steps of sampled solutions by rollouts (see the module docstring).

    Args:
        lm: the policy: it writes the solutions and finishes their prefixes.
        samples: solutions sampled per question.
        rollouts: completions per step prefix.
        seed: the seed of every request (a rerun is a cache hit).
        temperature: sampling temperature of solutions and rollouts (None: the LM's).
        concurrency: requests in flight at once per question.
    """

    lm: object
    samples: int = 4
    rollouts: int = 8
    seed: int = 0
    temperature: float | None = None
    concurrency: int = 8
    generator: Generator = field(default=None)  # type: ignore[assignment]

    def __post_init__(self):
        self.generator = self.generator or Generator(lm=self.lm)
        if self.samples < 1 or self.rollouts < 1:
            raise ValueError(f"samples and rollouts must be at least 1, got {self.samples} and {self.rollouts}")

    def identity(self) -> dict:
        """What the labels depend on besides the question: model and sampling settings, counts, seed."""
        return {"backend": backend_identity(self.generator.resolve_lm()), "samples": self.samples,
                "rollouts": self.rollouts, "seed": self.seed, "temperature": self.temperature,
                "step_delimiter": self.generator.step_delimiter,
                "max_solution_tokens": self.generator.max_solution_tokens}

    def label(self, example) -> dict:
        """One question's entry: its sampled solutions with their steps, soft labels and grade, and what it cost."""
        config = StrategyConfig(kind="label_steps", seed=self.seed, temperature=self.temperature,
                                concurrency=self.concurrency)
        run = Run.start({"question": example.question}, config, self.generator)
        with run.meter.active():
            solutions = [run.solution_steps(node) for node in run.sample_solutions(run.reserve_up_to(self.samples))]
            labels = run.parallel(lambda steps: self._soft_labels(run, steps, example.answer), solutions)
        return {"id": example.id, "question": example.question, "reference": example.answer,
                "solutions": [{"steps": steps, "soft_labels": soft, "correct": bool(soft and soft[-1])}
                              for steps, soft in zip(solutions, labels, strict=True)],
                "spent": run.meter.spent()}

    def _soft_labels(self, run: Run, steps: list[str], reference: str) -> list[float]:
        """Every step's soft label: rollouts from each proper prefix, the solution's own grade last."""
        if not steps:
            return []
        values = run.parallel(lambda k: self._value(run, steps[:k], reference), list(range(1, len(steps))))
        return [*values, float(grade(self.generator.step_delimiter.join(steps), reference))]

    def _value(self, run: Run, prefix: list[str], reference: str) -> float:
        """The fraction of ``rollouts`` completions of ``prefix`` that reach ``reference``."""
        run.meter.reserve(generations=self.rollouts)
        drafts = self.generator.completions(run.inputs, prefix, self.rollouts, run.next_seed(),
                                            run.config.temperature)
        delimiter = self.generator.step_delimiter
        return sum(grade(delimiter.join([*prefix, d.text]), reference) for d in drafts) / max(1, len(drafts))


def trl_rows(entry: dict, metadata: dict) -> list[dict]:
    """One question's entry as rows of TRL's stepwise-supervision format, one per sampled solution.

    Example:
        >>> entry = {"id": "q1", "question": "2 + 2?", "reference": "4",
        ...          "solutions": [{"steps": ["2 + 2 = 5.", "The answer is 5."], "soft_labels": [0.25, 0.0]}]}
        >>> row = trl_rows(entry, {"model": "m"})[0]
        >>> row["prompt"], row["completions"], row["labels"], row["soft_labels"]
        ('2 + 2?', ['2 + 2 = 5.', 'The answer is 5.'], [True, False], [0.25, 0.0])
    """
    return [{"prompt": entry["question"], "completions": solution["steps"],
             "labels": [soft > 0 for soft in solution["soft_labels"]], "soft_labels": solution["soft_labels"],
             "question_id": entry["id"], "sample": index, "reference": entry["reference"], "metadata": metadata}
            for index, solution in enumerate(entry["solutions"]) if solution["steps"]]
