"""The sample bank: N_max scored samples per question, drawn once and kept on disk.

Parallel strategies (best-of-N with any selection, pass@k) can be replayed at every smaller budget
by subsampling the bank (``curves.py``), the method of the paper and of search-and-learn: one run
at N_max, sliced into the whole curve. A question's entry is written only when all its samples and
scores are in, so an interrupted evaluation loses at most the question in flight, and that one's
LM calls are in the LM cache. Samples are of the program under test (the math word-problem
program by default), each graded by its metric (``program_under_test.py``).

Example:
    >>> from ttc_modules.testing import scripted_lm
    >>> from ttc_modules.verifiers import ArithmeticChecker
    >>> import dspy, tempfile
    >>> bank = SampleBank(tempfile.mkdtemp(), scripted_lm(lambda p, s: f"2 + {s % 2} = {2 + s % 2}. The answer is {2 + s % 2}."),
    ...                   ArithmeticChecker(), n_max=4)
    >>> entry = bank.draw(dspy.Example(id="q1", question="What is 2 + 1?", answer="3").with_inputs("question"))
    >>> len(entry["samples"]), sorted({s["correct"] for s in entry["samples"]})
    (4, [False, True])
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import diskcache

from ttc_modules.evaluation.program_under_test import ProgramUnderTest
from ttc_modules.graph import Node
from ttc_modules.lm.identity import backend_identity
from ttc_modules.strategies.best_of_n import BestOfN
from ttc_modules.verifiers.callable import as_verifier


class SampleBank:
    """Draws and stores N_max samples per question, with verifier scores and token counts.

    Args:
        directory: where the bank lives (a diskcache).
        lm: the model to sample from.
        verifier: scores each sample (per step; aggregated with ``aggregation``); None for none.
        n_max: samples per question.
        seed: sample i of a question uses seed ``seed``-derived request seeds (as every strategy).
        subject: the program sampled and the metric grading it (default: the math word-problem program).
    """

    def __init__(self, directory: str | Path, lm, verifier=None, n_max: int = 16, seed: int = 0,
                 aggregation: str = "last", subject: ProgramUnderTest | None = None):
        self.lm, self.n_max, self.seed, self.aggregation = lm, n_max, seed, aggregation
        self.subject = subject or ProgramUnderTest()
        self.verifier = as_verifier(verifier) if verifier is not None else None
        self.store = diskcache.Cache(str(Path(directory) / "bank"))

    def identity(self, samples: bool = True) -> dict:
        """What an entry depends on besides its question: the backend (model, endpoint, sampling settings:
        ``backend_identity``), the verifier and the seed, and (with ``samples``) how many samples are
        drawn. Without ``samples`` it is what any run on this backend and verifier depends on, which the
        harness uses for search rows."""
        identity = {"backend": backend_identity(self.lm), "seed": self.seed, "verifier": verifier_id(self.verifier),
                    "aggregation": self.aggregation, **self.subject.identity()}
        return {**identity, "n_max": self.n_max} if samples else identity

    def key(self, example) -> str:
        """What identifies an entry: the question and :meth:`identity`."""
        identity = {**self._asked(example), **self.identity()}
        return hashlib.sha256(json.dumps(identity, sort_keys=True, default=str).encode()).hexdigest()

    def has(self, example) -> bool:
        return self.key(example) in self.store

    def draw(self, example) -> dict:
        """The entry for ``example``: from disk if it is there, else drawn now and stored."""
        key = self.key(example)
        entry = self.store.get(key)
        if entry is not None:
            return {**entry, "spent": {**entry["spent"], "backend_calls": 0}}
        prediction = self._sampler()(**self.subject.inputs(example))
        samples = self._samples(prediction.graph, example)
        spent = prediction.spent
        # the sampler's prompt tokens: what the call spent, less what the samples and their scoring took
        prompt_tokens = spent["tokens"] - sum(s["tokens"] + s["verifier_tokens"] for s in samples)
        entry = {"id": example.id, "samples": samples, "prompt_tokens": prompt_tokens,
                 "spent": {**spent, "backend_calls": spent["lm_calls"] - spent["cache_hits"]}}
        self.store[key] = entry
        return entry

    def _asked(self, example) -> dict:
        """What was asked: the question (as before there were programs), or the program's inputs."""
        if self.subject.program is None:
            return {"question": example.question}
        return {"inputs": self.subject.inputs(example)}

    def _sampler(self) -> BestOfN:
        """Best-of-N at N_max: its run draws the samples and scores each with the verifier, if any."""
        return BestOfN(self.subject.program, n=self.n_max, selection="weighted" if self.verifier else "majority",
                       verifier=self.verifier, lm=self.lm, seed=self.seed, aggregation=self.aggregation)

    def _samples(self, graph, example) -> list[dict]:
        samples = []
        for node in sorted(graph.successors(0)):
            sample = Node(graph, node)
            samples.append({"answer": sample.answer, "correct": self.subject.grade_sample(example, sample, sample.text),
                            "score": sample.score or 0.0, "verifier_tokens": sample.verifier_tokens,
                            "tokens": sample.tokens, "text": sample.text})
        return samples


def verifier_id(verifier) -> str | None:
    """How a verifier is named in fingerprints: its cache id (which includes its settings) or its name."""
    return getattr(verifier, "cache_id", None) or getattr(verifier, "name", None)
