"""Evaluation: data sets and grading, the sample bank, the harness, curves, reports and plots."""

from ttc_modules.evaluation.datasets import DatasetError, load_dataset
from ttc_modules.evaluation.grading import grade, metric

__all__ = ["DatasetError", "grade", "load_dataset", "metric"]
