"""Features of a partial solution for a learned process reward model.

For each prefix of a solution (its first k steps) :class:`StepFeatures` gives one row: the
embedding of the question and the prefix by a real language model (by default the embedded policy
itself, mean-pooled last hidden states through llama.cpp's embedding mode, reached as
``litellm.embedding``, so any OpenAI-compatible embedding endpoint serves too), followed by what the
arithmetic checker says of it (its process score, the last step's own verdict, whether the step
states the final answer, and the depth). Nothing in row k depends on steps after k, so the same
rows serve training (from labelled prefixes) and scoring (inside a search).

Embeddings are cached on disk beside DSPy's LM cache (``<cache>-embeddings``), keyed by the model
and the text, so training twice or scoring a prefix again asks the model once.

Example:
    >>> features = StepFeatures(embedding_model=None)   # the checker's features alone
    >>> features.names()
    ['checker_process', 'checker_step', 'states_answer', 'depth']
    >>> features.rows("What is 2 + 3?", ["2 + 3 = 5.", "The answer is 5."])
    [[1.0, 1.0, 0.0, 0.0], [1.0, 1.0, 1.0, 0.6931471805599453]]
"""

from __future__ import annotations

import hashlib
import math

import diskcache
import litellm

from ttc_modules.answers import has_final_answer
from ttc_modules.lm.cache import beside_dspy_cache
from ttc_modules.lm.embedded import ensure_registered
from ttc_modules.lm.embedded.catalogue import DEFAULT_EMBEDDED_MODEL, PROVIDER, is_embedded
from ttc_modules.verifiers.arithmetic import ArithmeticChecker

DEFAULT_EMBEDDING_MODEL = f"{PROVIDER}/{DEFAULT_EMBEDDED_MODEL}"
CHECKER_FEATURES = ["checker_process", "checker_step", "states_answer", "depth"]


class StepFeatures:
    """One feature row per solution prefix (see the module docstring).

    Args:
        embedding_model: a LiteLLM model string with embeddings (``local/<name>`` for an embedded
            model); None leaves embeddings out.
        delimiter: what joins the steps of a prefix into one text.
    """

    def __init__(self, embedding_model: str | None = DEFAULT_EMBEDDING_MODEL, delimiter: str = "\n\n"):
        self.embedding_model, self.delimiter = embedding_model, delimiter
        self.checker = ArithmeticChecker()
        self._cache = None

    def identity(self) -> dict:
        """What the rows depend on: the embedding model and the checker's version."""
        return {"embedding_model": self.embedding_model, "checker": self.checker.cache_id, "delimiter": self.delimiter}

    def names(self, embedding_size: int = 0) -> list[str]:
        """Column names: ``embedding_0..`` (given their number), then the checker's features."""
        return [f"embedding_{i}" for i in range(embedding_size)] + CHECKER_FEATURES

    def rows(self, question: str, steps: list[str]) -> list[list[float]]:
        """A row for each prefix ``steps[:1]``, ``steps[:2]``, ...: embedding, then checker features."""
        checker = self._checker_rows(question, steps)
        if self.embedding_model is None:
            return checker
        texts = [self.delimiter.join([question, *steps[:k]]) for k in range(1, len(steps) + 1)]
        return [embedding + row for embedding, row in zip(self.embed(texts), checker, strict=True)]

    def _checker_rows(self, question: str, steps: list[str]) -> list[list[float]]:
        process = self.checker.score({"question": question}, steps)
        rows, before = [], 1.0
        for depth, (step, value) in enumerate(zip(steps, process, strict=True)):
            own = value / before if before > 0 else 0.0
            rows.append([value, own, float(has_final_answer(step)), math.log1p(depth)])
            before = value
        return rows

    def embed(self, texts: list[str]) -> list[list[float]]:
        """Embeddings of ``texts`` by ``embedding_model``, from the disk cache where it has them."""
        cache = self._disk()
        keys = [self._key(text) for text in texts]
        found = {key: cache.get(key) for key in keys} if cache is not None else {}
        missing = [text for text, key in zip(texts, keys, strict=True) if found.get(key) is None]
        if missing:
            for text, vector in zip(missing, self._ask(missing), strict=True):
                found[self._key(text)] = vector
                if cache is not None:
                    cache[self._key(text)] = vector
        return [list(found[key]) for key in keys]

    def _ask(self, texts: list[str]) -> list[list[float]]:
        if is_embedded(self.embedding_model):
            ensure_registered()
        reply = litellm.embedding(model=self.embedding_model, input=texts)
        return [item["embedding"] for item in sorted(reply.data, key=lambda item: item["index"])]

    def _key(self, text: str) -> str:
        return hashlib.sha256(f"{self.embedding_model}\0{text}".encode()).hexdigest()

    def _disk(self):
        if self._cache is None:
            directory = beside_dspy_cache("embeddings")
            self._cache = diskcache.Cache(str(directory)) if directory else None
        return self._cache
