"""Evaluation: data sets and grading, the sample bank, the harness, curves, reports and plots.

``Evaluation`` (the harness) and ``StepLabeler`` (step labels from Monte-Carlo rollouts) are imported
on first use, so reading a data set does not load the strategies.
"""

from importlib import import_module

from ttc_modules.evaluation.datasets import DatasetError, load_dataset
from ttc_modules.evaluation.grading import grade, metric

_LAZY = {"Evaluation": "harness", "StepLabeler": "step_labels"}

__all__ = ["DatasetError", "Evaluation", "StepLabeler", "grade", "load_dataset", "metric"]


def __getattr__(name: str):
    if name not in _LAZY:
        raise AttributeError(f"module 'ttc_modules.evaluation' has no attribute {name!r}")
    value = getattr(import_module(f"ttc_modules.evaluation.{_LAZY[name]}"), name)
    globals()[name] = value
    return value
