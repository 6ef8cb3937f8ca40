"""Rows of data as ``dspy.Example`` objects: read from a JSONL or CSV file (gzipped or not, on disk or
packaged), mapped through named fields, bad rows reported with their number.

A bad row (not a JSON object, a missing field, an empty question, an unparsable answer) is reported
with its row number and skipped, or refuses the whole file (``strict=True``); it is never dropped
silently. Every example carries ``id``, ``question`` and ``answer`` and, where the data has one,
``level`` (``3`` or ``"Level 3"``).

Example:
    >>> rows = [(1, {"q": "What is 2 + 2?", "a": "4"}), (2, {"q": "", "a": "1"})]
    >>> [e.answer for e in examples_from(rows, "mine", Fields(question="q", answer="a"))]
    ['4']
"""

from __future__ import annotations

import contextlib
import csv
import gzip
import io
import json
import logging
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import dspy

logger = logging.getLogger(__name__)


class DatasetError(ValueError):
    """A data set that cannot be read, or a bad row under ``strict=True``."""


@dataclass(frozen=True)
class Fields:
    """Where a row keeps its parts: the question, the answer (or a solution ``answer_parser`` reads the
    answer from; None from the parser makes the row bad), the level and the id (optional)."""

    question: str = "question"
    answer: str = "answer"
    level: str | None = None
    id: str | None = None
    answer_parser: Callable[[str], str | None] | None = None


def read_rows(path) -> Iterator[tuple[int, object]]:
    """(row number, record) pairs of a JSONL or CSV file (``.gz`` too); a malformed JSON line yields (n, None)."""
    if not path.is_file():
        raise DatasetError(f"data file not found: {path}; pass an existing .jsonl or .csv file")
    try:
        yield from _rows(path)
    except (UnicodeDecodeError, gzip.BadGzipFile, EOFError, csv.Error) as exc:
        raise DatasetError(f"cannot read {path} as a data set ({exc}); give a UTF-8 JSONL or CSV file, "
                           "gzipped or not") from None


def _rows(path) -> Iterator[tuple[int, object]]:
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


def examples_from(rows: Iterable[tuple[int, object]], source: str, fields: Fields, strict: bool = False,
                  limit: int | None = None) -> list[dspy.Example]:
    """Examples from numbered rows, reading ``fields``; ``source`` names them in ids and messages."""
    examples, bad = [], []
    for number, record in rows:
        problem = _problem(record, fields)
        if problem:
            bad.append(f"row {number}: {problem}")
            if strict:
                raise DatasetError(f"{source}, {bad[-1]}; fix the row or drop strict to skip bad rows")
            continue
        examples.append(_example(record, fields, f"{source}-{number}"))
        if limit is not None and len(examples) >= limit:
            break
    if bad:
        logger.warning("%s: skipped %d bad rows: %s", source, len(bad), "; ".join(bad[:10]))
    return examples


def program_examples(rows: Iterable[tuple[int, object]], source: str, inputs: list[str], strict: bool = False,
                     limit: int | None = None) -> list[dspy.Example]:
    """Examples in a program's fields: each row (a JSON object) as it is, its ``inputs`` the program's
    input fields (a row missing one is bad), ``level`` read as for any data set, ``id`` its own or
    ``source-N``."""
    examples, bad = [], []
    for number, record in rows:
        missing = [name for name in inputs if not isinstance(record, Mapping) or record.get(name) in (None, "")]
        if missing:
            bad.append(f"row {number}: " + ("not a JSON object" if not isinstance(record, Mapping)
                                            else f"missing field {', '.join(missing)}"))
            if strict:
                raise DatasetError(f"{source}, {bad[-1]}; the program takes {', '.join(inputs)}: fix the row, or drop "
                                   "strict to skip bad rows")
            continue
        level = re.search(r"\d+", str(record.get("level") or ""))
        example = {**record, "id": str(record.get("id") or f"{source}-{number}")}
        example.pop("level", None)
        if level:
            example["level"] = int(level.group())
        examples.append(dspy.Example(**example).with_inputs(*inputs))
        if limit is not None and len(examples) >= limit:
            break
    if bad:
        logger.warning("%s: skipped %d bad rows: %s", source, len(bad), "; ".join(bad[:10]))
    return examples


def load_records(path, fields: Fields | None = None, strict: bool = False, limit: int | None = None,
                 **field_names) -> list[dspy.Example]:
    """Examples from a JSONL or CSV file (a path, or packaged data), reading ``fields`` (or the field names
    given as keywords: ``question="problem"``...)."""
    path = Path(path) if isinstance(path, str) else path
    fields = Fields(**{**(fields or Fields()).__dict__, **field_names})
    return examples_from(read_rows(path), path.name.split(".")[0], fields, strict=strict, limit=limit)


@contextlib.contextmanager
def _open_text(path) -> Iterator:
    """A text handle on ``path`` (a file or packaged data), gunzipped when its name ends in ``.gz``."""
    with path.open("rb") as raw, (gzip.open(raw, "rt", encoding="utf-8", newline="") if path.name.endswith(".gz")
                                  else io.TextIOWrapper(raw, encoding="utf-8", newline="")) as handle:
        yield handle


def _problem(record, fields: Fields) -> str | None:
    """What is wrong with a record, or None."""
    if not isinstance(record, Mapping):
        return "not a JSON object"
    for field in (fields.question, fields.answer):
        if field not in record:
            return f"missing field '{field}' (fields here: {', '.join(sorted(map(str, record)))})"
    if not str(record[fields.question]).strip():
        return "empty question"
    if not str(record[fields.answer]).strip():
        return "empty answer"
    if fields.answer_parser and fields.answer_parser(str(record[fields.answer])) is None:
        return f"unparsable answer {str(record[fields.answer])[-40:]!r}"
    return None


def _example(record: Mapping, fields: Fields, default_id: str) -> dspy.Example:
    raw = str(record[fields.answer])
    answer = fields.answer_parser(raw) if fields.answer_parser else raw
    example = {"id": str(record.get(fields.id) or default_id) if fields.id else default_id,
               "question": str(record[fields.question]).strip(), "answer": str(answer).strip()}
    level = re.search(r"\d+", str(record.get(fields.level) or "")) if fields.level else None
    if level:
        example["level"] = int(level.group())
    return dspy.Example(**example).with_inputs("question")
