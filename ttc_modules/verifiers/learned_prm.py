"""A process reward model learned on this machine from the policy's own step labels.

:class:`LearnedPRM` is a logistic regression over :class:`~ttc_modules.verifiers.step_features.StepFeatures`
rows (the policy model's embedding of each prefix and the arithmetic checker's verdicts), trained
by :func:`~ttc_modules.verifiers.prm_training.train_prm` on the soft labels of ``ttc label-steps``:
its score for step k is the predicted chance that the policy, from the first k steps, reaches a
right answer. It is saved as plain JSON (weights, the feature recipe, how it was trained and what it
scored on held-out questions), so loading it runs no code and needs no scikit-learn.

Example:
    >>> prm = LearnedPRM({"mean": [0, 0, 0, 0], "scale": [1, 1, 1, 1], "coef": [4.0, 0, 0, 0], "intercept": -2.0},
    ...                  StepFeatures(embedding_model=None))
    >>> [round(s, 3) for s in prm.score({"question": "What is 2 + 3?"}, ["2 + 3 = 5.", "2 + 3 = 6."])]
    [0.881, 0.142]
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np

from ttc_modules.verifiers.base import VerifierError
from ttc_modules.verifiers.step_features import StepFeatures

FILE_NAME = "prm.json"


class LearnedPRM:
    """A learned process reward model (see the module docstring).

    Args:
        weights: ``mean`` and ``scale`` (standardisation), ``coef`` and ``intercept`` (the regression).
        features: the feature recipe it was trained with.
        metadata: how it was trained and measured (kept in the saved file).
    """

    name = "learned_prm"
    process = True
    oracle = False

    def __init__(self, weights: dict, features: StepFeatures, metadata: dict | None = None):
        self.weights, self.features, self.metadata = weights, features, dict(metadata or {})
        self._mean, self._scale, self._coef = (np.asarray(weights[k], dtype=float) for k in ("mean", "scale", "coef"))
        self._intercept = float(weights["intercept"])

    @property
    def cache_id(self) -> str:
        digest = hashlib.sha256(json.dumps([self.weights, self.features.identity()], sort_keys=True).encode())
        return f"learned-prm:{digest.hexdigest()[:16]}"

    def score(self, inputs: dict, steps: list[str]) -> list[float]:
        if not steps:
            return []
        return self.predict(self.features.rows(str(inputs.get("question", "")), steps))

    def predict(self, rows: list[list[float]]) -> list[float]:
        """The predicted chance of reaching a right answer for each feature row."""
        matrix = np.asarray(rows, dtype=float)
        if matrix.shape[1] != self._coef.size:
            raise VerifierError(f"learned PRM expects {self._coef.size} features, got {matrix.shape[1]}: its "
                                f"embedding model ({self.features.embedding_model}) must be the one it was trained with")
        logits = ((matrix - self._mean) / self._scale) @ self._coef + self._intercept
        return [float(p) for p in 1.0 / (1.0 + np.exp(-logits))]

    def save(self, directory: str | Path) -> Path:
        """Write ``<directory>/prm.json`` and return its path."""
        path = Path(directory) / FILE_NAME
        path.parent.mkdir(parents=True, exist_ok=True)
        state = {"kind": "learned_prm", "weights": self.weights, "features": self.features.identity(),
                 "metadata": self.metadata}
        path.write_text(json.dumps(state, indent=1, sort_keys=True))
        return path

    @classmethod
    def load(cls, path: str | Path) -> LearnedPRM:
        """Load a saved PRM from its directory or its ``prm.json``."""
        path = Path(path)
        file = path / FILE_NAME if path.is_dir() else path
        try:
            state = json.loads(file.read_text())
            features = StepFeatures(embedding_model=state["features"]["embedding_model"],
                                    delimiter=state["features"]["delimiter"])
            return cls(state["weights"], features, state.get("metadata"))
        except FileNotFoundError:
            raise VerifierError(f"no learned PRM at {path}; train one with: ttc train-prm LABELS --out {path}") from None
        except (json.JSONDecodeError, KeyError, TypeError) as exc:
            raise VerifierError(f"{file} is not a learned PRM saved by ttc train-prm ({exc})") from None
