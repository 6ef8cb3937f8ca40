"""Training a :class:`~ttc_modules.verifiers.learned_prm.LearnedPRM` from step labels (``ttc train-prm``).

The labels are the rows ``ttc label-steps`` writes (TRL's stepwise supervision with ``soft_labels``
and ``question_id``). Questions, not rows, are split: a seeded ``held_out`` share of them is kept
apart, and nothing of theirs (no solution, no prefix) is seen in training. On the rest a
scikit-learn pipeline (standardisation, then logistic regression) learns from the soft labels
with the paper's loss, binary cross-entropy against the fraction: each prefix counts as a positive
with weight ``soft`` and a negative with weight ``1 - soft``. The regularisation strength is chosen by
3-fold cross-validation over training questions (grouped, so a question's prefixes stay in one
fold), by held-out log-loss. Then on the held-out questions it reports step AUROC (against
``soft > 0``), final-step AUROC (against the solution's grade), log-loss and Brier score against
the soft labels, each beside what the arithmetic checker alone scores on the same prefixes.

Example:
    >>> rows = [{"question_id": f"q{i}", "prompt": f"What is {i} + 1?", "soft_labels": [1.0, 1.0] if i % 2 else [0.0, 0.0],
    ...          "completions": [f"{i} + 1 = {i + 1 if i % 2 else i + 2}.", f"The answer is {i + 1 if i % 2 else i + 2}."]}
    ...         for i in range(40)]
    >>> prm, report = train_prm(rows, StepFeatures(embedding_model=None), held_out=0.25)
    >>> report["held_out"]["questions"], report["held_out"]["step_auroc"] > 0.9
    (10, True)
"""

from __future__ import annotations

import random
from collections.abc import Callable

import numpy as np

from ttc_modules.verifiers.base import VerifierError
from ttc_modules.verifiers.learned_prm import LearnedPRM
from ttc_modules.verifiers.step_features import CHECKER_FEATURES, StepFeatures

STRENGTHS = (0.01, 0.1, 1.0)  # inverse regularisation strengths tried (scikit-learn's C)


def train_prm(rows: list[dict], features: StepFeatures, held_out: float = 0.25, seed: int = 0,
              advance: Callable[[str], None] | None = None) -> tuple[LearnedPRM, dict]:
    """Fit a PRM on the training questions of ``rows``; return it and its report (see the module docstring).
    ``advance`` is called once per row as its features are computed (for a progress bar)."""
    train_ids, test_ids = split_questions(rows, held_out, seed)
    table = _feature_table(rows, features, advance or (lambda label: None))
    train = [item for item in table if item["question_id"] in train_ids]
    test = [item for item in table if item["question_id"] in test_ids]
    strength = _choose_strength(train, seed)
    pipeline = _fit(train, strength)
    scaler, regression = pipeline.named_steps["standardscaler"], pipeline.named_steps["logisticregression"]
    weights = {"mean": scaler.mean_.tolist(), "scale": scaler.scale_.tolist(), "coef": regression.coef_[0].tolist(),
               "intercept": float(regression.intercept_[0])}
    report = {"train": {"questions": len(train_ids), "prefixes": len(train)}, "strength": strength,
              "held_out": {"questions": len(test_ids), "prefixes": len(test), **_measure(pipeline, test)},
              "held_out_question_ids": sorted(test_ids), "seed": seed}
    return LearnedPRM(weights, features, metadata={"report": report, "features": features.identity()}), report


def require_scikit_learn() -> None:
    """Fail with one line saying how to install scikit-learn when it is missing."""
    try:
        import sklearn  # noqa: F401
    except ImportError:
        raise VerifierError("training a PRM needs scikit-learn: pip install 'dspy-ttc[prm]'") from None


def split_questions(rows: list[dict], held_out: float, seed: int) -> tuple[set, set]:
    """The training and held-out question ids: a seeded ``held_out`` share of the questions is held out."""
    questions = sorted({row["question_id"] for row in rows})
    if not 0 < held_out < 1 or len(questions) < 4:
        raise ValueError(f"need at least 4 questions and 0 < held_out < 1 to hold questions out, got "
                         f"{len(questions)} questions and held_out={held_out}; label more questions")
    test = set(random.Random(seed).sample(questions, max(1, round(held_out * len(questions)))))
    return set(questions) - test, test


def _feature_table(rows: list[dict], features: StepFeatures, advance) -> list[dict]:
    """One item per labelled prefix: its features, soft label, whether it is the last step, the checker's score."""
    table = []
    for row in rows:
        soft = row.get("soft_labels") or [float(label) for label in row["labels"]]
        vectors = features.rows(row["prompt"], row["completions"])
        for k, (vector, label) in enumerate(zip(vectors, soft, strict=True)):
            table.append({"question_id": row["question_id"], "x": vector, "soft": float(label),
                          "last": k == len(soft) - 1, "checker": vector[len(vector) - len(CHECKER_FEATURES)]})
        advance(str(row["question_id"]))
    return table


def _weighted(items: list[dict]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Soft labels as scikit-learn reads them: each item as a positive weighted ``soft`` and a negative
    weighted ``1 - soft`` (binary cross-entropy against the fraction)."""
    x = np.asarray([item["x"] for item in items], dtype=float)
    soft = np.asarray([item["soft"] for item in items], dtype=float)
    return np.vstack([x, x]), np.concatenate([np.ones(len(x)), np.zeros(len(x))]), np.concatenate([soft, 1 - soft])


def _fit(items: list[dict], strength: float):
    require_scikit_learn()
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    x, y, weight = _weighted(items)
    if not _both_classes(y, weight):
        raise ValueError("every training label is the same (all 0 or all 1); label more questions or a harder mix")
    pipeline = make_pipeline(StandardScaler(), LogisticRegression(C=strength, max_iter=2000))
    return pipeline.fit(x, y, logisticregression__sample_weight=weight)


def _both_classes(y: np.ndarray, weight: np.ndarray) -> bool:
    return len(set(y[weight > 0])) == 2


def _choose_strength(items: list[dict], seed: int) -> float:
    """The C of :data:`STRENGTHS` with the lowest cross-validated log-loss, folds grouped by question;
    a fold whose training part holds one class only cannot vote (with no fold left: sklearn's C = 1)."""
    from sklearn.model_selection import GroupKFold

    groups = [item["question_id"] for item in items]
    folds = [(fit, check) for fit, check in GroupKFold(n_splits=min(3, len(set(groups)))).split(items, groups=groups)
             if _both_classes(*_weighted([items[i] for i in fit])[1:])]
    if not folds:
        return 1.0

    def loss(strength: float) -> float:
        total = 0.0
        for fit_index, check_index in folds:
            model = _fit([items[i] for i in fit_index], strength)
            total += _log_loss(model, [items[i] for i in check_index])
        return total

    return min(STRENGTHS, key=loss)


def _log_loss(model, items: list[dict]) -> float:
    p = np.clip(model.predict_proba(np.asarray([i["x"] for i in items]))[:, 1], 1e-6, 1 - 1e-6)
    soft = np.asarray([i["soft"] for i in items])
    return float(-np.mean(soft * np.log(p) + (1 - soft) * np.log(1 - p)))


def _measure(model, items: list[dict]) -> dict:
    """Held-out figures of the model, and of the checker's process score on the same prefixes."""
    from sklearn.metrics import roc_auc_score

    if not items:
        return {}
    predicted = model.predict_proba(np.asarray([i["x"] for i in items]))[:, 1]
    checker = np.asarray([i["checker"] for i in items])
    hard = np.asarray([i["soft"] > 0 for i in items])
    last = np.asarray([i["last"] for i in items])

    def auroc(labels, scores):
        return round(float(roc_auc_score(labels, scores)), 3) if len(set(labels)) == 2 else None

    soft = np.asarray([i["soft"] for i in items])
    return {"step_auroc": auroc(hard, predicted), "checker_step_auroc": auroc(hard, checker),
            "final_auroc": auroc(hard[last], predicted[last]), "checker_final_auroc": auroc(hard[last], checker[last]),
            "log_loss": round(_log_loss(model, items), 4), "brier": round(float(np.mean((predicted - soft) ** 2)), 4),
            "checker_brier": round(float(np.mean((checker - soft) ** 2)), 4)}
