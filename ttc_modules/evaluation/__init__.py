"""Evaluation: data sets and grading, the sample bank, the harness, curves, reports and plots.

``Evaluation`` (the harness) and ``StepLabeler`` (step labels from Monte-Carlo rollouts) are imported
on first use, so reading a data set does not load the strategies.
"""

from ttc_modules.evaluation.datasets import DatasetError, load_dataset
from ttc_modules.evaluation.grading import grade, metric
from ttc_modules.lazy import lazy_exports

_LAZY = {"Evaluation": "harness", "StepLabeler": "step_labels"}

__all__ = ["DatasetError", "Evaluation", "StepLabeler", "grade", "load_dataset", "metric"]


__getattr__ = lazy_exports("ttc_modules.evaluation", _LAZY, globals())
