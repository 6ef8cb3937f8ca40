"""``ttc label-steps``: step labels for a whole data set, resumable, written for TRL.

Each question is labelled by a :class:`~ttc_modules.evaluation.step_labels.StepLabeler` and its
entry appended, synced, to a work log beside the output (``<out>.work/entries.jsonl``, the
evaluation's :class:`~ttc_modules.evaluation.results.ResultsLog`) before the next question starts.
A killed run, rerun, skips the questions in the log and finds the calls of the question it was
working on in the LM cache; two runs on one output share the work (:mod:`claims`). When every
question is in, the output file is written whole (TRL's stepwise-supervision rows, one per
sampled solution), and with ``revisions`` the reviser's training pairs as chat messages.

Example:
    >>> import dspy, json, tempfile, pathlib
    >>> from ttc_modules.testing import scripted_lm
    >>> lm = scripted_lm(lambda prompt, seed: "1 + 1 = 2.\\n\\nThe answer is 2.")
    >>> examples = [dspy.Example(id="q1", question="What is 1 + 1?", answer="2").with_inputs("question")]
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "labels.jsonl"
    >>> summary = label_dataset(examples, StepLabeler(lm, samples=2, rollouts=2), out)
    >>> summary["rows"], json.loads(out.read_text().splitlines()[0])["labels"]
    (2, [True, True])
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

from ttc_modules.evaluation.claims import Claims, do_once
from ttc_modules.evaluation.datasets import dataset_hash
from ttc_modules.evaluation.progress import progress_bar
from ttc_modules.evaluation.results import ResultsLog, fingerprint
from ttc_modules.evaluation.revision_pairs import revision_pairs
from ttc_modules.evaluation.step_labels import StepLabeler, trl_rows

COUNTED = ("generations", "lm_calls", "cache_hits", "prompt_tokens", "completion_tokens")


def label_dataset(examples: list, labeler: StepLabeler, out: str | Path, revisions: str | Path | None = None,
                  workers: int = 4, progress: bool = False) -> dict:
    """Label every question of ``examples`` into ``out`` (and ``revisions``); return a summary of
    what was written and spent (see the module docstring)."""
    out, started = Path(out), time.perf_counter()
    work = Path(f"{out}.work")
    log, config = ResultsLog(work / "entries.jsonl"), fingerprint(labeler.identity())
    key = lambda example: (example.id, "label_steps", labeler.samples, config)  # noqa: E731
    drawn_here = []

    def label(example):
        entry = labeler.label(example)
        log.append({"id": example.id, "strategy": "label_steps", "budget": labeler.samples, "config": config,
                    "entry": entry})
        drawn_here.append(entry["spent"])

    with progress_bar(len(examples), enabled=progress, title="labelling steps") as advance:
        do_once(examples, Claims(work), is_done=lambda example: log.done(key(example)), do=label,
                finished=lambda example: advance(example.id), workers=workers)
    entries = [log.get(key(example))["entry"] for example in examples]
    metadata = {**labeler.identity(), "dataset_hash": dataset_hash(examples), "questions": len(examples)}
    rows = [row for entry in entries for row in trl_rows(entry, metadata)]
    _write_jsonl(out, rows)
    pairs = revision_pairs(entries, seed=labeler.seed, delimiter=labeler.generator.step_delimiter)
    if revisions is not None:
        _write_jsonl(Path(revisions), pairs)
    return _summary(entries, rows, pairs, drawn_here, time.perf_counter() - started)


def _summary(entries: list[dict], rows: list[dict], pairs: list[dict], drawn_here: list[dict], seconds: float) -> dict:
    labels = [soft for row in rows for soft in row["soft_labels"]]
    spent = {name: sum(e["spent"][name] for e in entries) for name in COUNTED}
    return {"questions": len(entries), "rows": len(rows), "steps": len(labels),
            "positive_steps": sum(soft > 0 for soft in labels), "mean_soft_label": sum(labels) / max(1, len(labels)),
            "correct_solutions": sum(s["correct"] for e in entries for s in e["solutions"]),
            "revision_pairs": len(pairs), "spent": spent, "questions_labelled_now": len(drawn_here),
            "backend_calls_now": sum(s["lm_calls"] - s["cache_hits"] for s in drawn_here),
            "wall_seconds": round(seconds, 2)}


def _write_jsonl(path: Path, rows: list[dict]) -> None:
    """Write ``rows`` to ``path`` whole: into a temporary file first, then renamed over it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.partial")
    with partial.open("w", encoding="utf-8") as handle:
        handle.writelines(json.dumps(row) + "\n" for row in rows)
    os.replace(partial, path)
