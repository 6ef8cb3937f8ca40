"""Data sets as lists of ``dspy.Example`` (inputs: ``question``; label: ``answer``).

- :func:`load_gsm8k`: GSM8K jsonl (``question``, ``answer`` ending in ``#### N``); by default the
  training split shipped with the package (``data/``, read with ``importlib.resources``);
- :func:`load_math500`: MATH-500 jsonl (``problem``, ``answer`` in LaTeX, ``level`` 1-5); by default
  the development half shipped with the package;
- :func:`load_synthetic`: seeded arithmetic word problems, levels 1-5 (``synthetic.py``);
- :func:`load_records`: any JSONL or CSV file with a field mapping.

Every example carries ``id`` and, where the data has one, ``level``. A bad row (missing field,
empty question, unparsable answer) is reported with its row number and skipped, or refused
(``strict=True``); it is never dropped silently. :func:`split` makes seeded train/test splits.

Example:
    >>> examples = load_synthetic(4, levels=[1, 2], seed=0)
    >>> len(examples), examples[0].level, sorted(examples[0].inputs().keys())
    (8, 1, ['question'])
"""

from __future__ import annotations

import contextlib
import csv
import gzip
import io
import json
import logging
import random
from collections.abc import Iterator, Mapping
from importlib import resources
from pathlib import Path

import dspy

from ttc_modules.evaluation.synthetic import make_problems
from ttc_modules.steps import normalize_answer

logger = logging.getLogger(__name__)

PACKAGED_DATA = resources.files("ttc_modules.evaluation") / "data"


class DatasetError(ValueError):
    """A data set that cannot be read, or a bad row under ``strict=True``."""


def _example(id_: str, question, answer, level=None) -> dspy.Example:
    fields = {"id": id_, "question": str(question).strip(), "answer": str(answer).strip()}
    if level is not None:
        fields["level"] = int(level)
    return dspy.Example(**fields).with_inputs("question")


def _gsm8k_answer(raw: str) -> str | None:
    return normalize_answer(raw.split("####")[-1]) if "####" in raw else None


@contextlib.contextmanager
def _open_text(path) -> Iterator:
    """A text handle on ``path`` (a file or packaged data), gunzipped when its name ends in ``.gz``."""
    with path.open("rb") as raw, (gzip.open(raw, "rt", encoding="utf-8", newline="") if path.name.endswith(".gz")
                                  else io.TextIOWrapper(raw, encoding="utf-8", newline="")) as handle:
        yield handle


def _rows(path):
    """(row number, record) pairs from a JSONL or CSV file; a malformed JSON line yields (n, None)."""
    if not path.is_file():
        raise DatasetError(f"data file not found: {path}; pass an existing .jsonl or .csv file")
    if path.name.lower().removesuffix(".gz").endswith(".csv"):
        with _open_text(path) as handle:
            yield from enumerate(csv.DictReader(handle), start=2)  # row 1 is the header
        return
    with _open_text(path) as handle:
        for number, line in enumerate(handle, start=1):
            if line.strip():
                try:
                    yield number, json.loads(line)
                except json.JSONDecodeError:
                    yield number, None


def load_records(path: str | Path, question: str = "question", answer: str = "answer", level: str | None = None,
                 id_field: str | None = None, answer_parser=None, strict: bool = False,
                 limit: int | None = None) -> list[dspy.Example]:
    """Examples from a JSONL or CSV file, reading the named fields.

    Args:
        path: the file.
        question, answer, level, id_field: field names in the file.
        answer_parser: turns the raw answer into the reference (None when unparsable).
        strict: refuse the file at its first bad row instead of skipping the row.
        limit: stop after this many good examples.
    """
    path = Path(path) if isinstance(path, str) else path
    examples, bad = [], []
    for number, record in _rows(path):
        problem = _problem(record, question, answer, answer_parser)
        if problem:
            bad.append(f"row {number}: {problem}")
            if strict:
                raise DatasetError(f"{path}, {bad[-1]}; fix the row or drop strict to skip bad rows")
            continue
        reference = answer_parser(str(record[answer])) if answer_parser else record[answer]
        examples.append(_example(str(record.get(id_field) or f"{path.name.split('.')[0]}-{number}"), record[question],
                                 reference, record.get(level) if level else None))
        if limit is not None and len(examples) >= limit:
            break
    if bad:
        logger.warning("%s: skipped %d bad rows: %s", path, len(bad), "; ".join(bad[:10]))
    return examples


def _problem(record, question: str, answer: str, parser) -> str | None:
    """What is wrong with a record, or None."""
    if not isinstance(record, Mapping):
        return "not a JSON object"
    for field in (question, answer):
        if field not in record:
            return f"missing field '{field}' (fields here: {', '.join(sorted(map(str, record)))})"
    if not str(record[question]).strip():
        return "empty question"
    if parser and parser(str(record[answer])) is None:
        return f"unparsable answer {str(record[answer])[-40:]!r}"
    if not str(record[answer]).strip():
        return "empty answer"
    return None


def load_gsm8k(path: str | Path | None = None, **options) -> list[dspy.Example]:
    """GSM8K jsonl (default: the training split shipped with the package); the reference is the number
    after ``####``."""
    return load_records(path or PACKAGED_DATA / "gsm8k_train.jsonl.gz", answer_parser=_gsm8k_answer, **options)


def load_math500(path: str | Path | None = None, **options) -> list[dspy.Example]:
    """MATH-500 jsonl (default: the development half shipped with the package), with ``level`` 1-5."""
    return load_records(path or PACKAGED_DATA / "math500_dev.jsonl.gz", question="problem", level="level",
                        id_field="id", **options)


def load_synthetic(per_level: int = 20, levels: list[int] | None = None, seed: int = 0) -> list[dspy.Example]:
    """Seeded synthetic arithmetic word problems, ``per_level`` of each level."""
    examples = []
    for level in levels or [1, 2, 3, 4, 5]:
        for i, problem in enumerate(make_problems(per_level, level, seed)):
            examples.append(_example(f"synthetic-{seed}-L{level}-{i}", problem["question"], problem["answer"], level))
    return examples


def load_dataset(name: str, limit: int | None = None, seed: int = 0, strict: bool = False) -> list[dspy.Example]:
    """``gsm8k``, ``math500``, ``synthetic`` (or ``synthetic:N`` per level), or a path to a JSONL/CSV file
    with ``question`` and ``answer`` fields."""
    if name == "gsm8k":
        return load_gsm8k(limit=limit, strict=strict)
    if name == "math500":
        return load_math500(limit=limit, strict=strict)
    if name.startswith("synthetic"):
        per_level = int(name.split(":", 1)[1]) if ":" in name else 20
        return load_synthetic(per_level, seed=seed)[:limit]
    if Path(name.removesuffix(".gz")).suffix.lower() in (".jsonl", ".json", ".csv"):
        return load_records(name, limit=limit, strict=strict)
    raise DatasetError(f"unknown data set '{name}'; use gsm8k, math500, synthetic[:N] or a .jsonl/.csv path")


def split(examples: list, test_fraction: float = 0.5, seed: int = 0) -> tuple[list, list]:
    """A seeded (train, test) split; the same seed gives the same split."""
    if not 0.0 < test_fraction < 1.0:
        raise ValueError(f"test_fraction must lie strictly between 0 and 1, got {test_fraction}")
    order = list(range(len(examples)))
    random.Random(seed).shuffle(order)
    cut = len(examples) - int(round(len(examples) * test_fraction))
    return [examples[i] for i in sorted(order[:cut])], [examples[i] for i in sorted(order[cut:])]
