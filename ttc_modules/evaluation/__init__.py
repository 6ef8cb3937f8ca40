"""Evaluation: data sets and graders, the sample bank, the harness, curves, reports and plots."""
