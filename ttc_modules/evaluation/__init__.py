"""Evaluation: data sets and graders (the harness grows here)."""
