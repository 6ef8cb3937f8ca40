"""Data sets by name: the ones shipped with the package, files of known formats, synthetic questions,
and Hugging Face data sets.

A spec (``ttc eval --dataset SPEC``) is one of:

- ``gsm8k``, ``math500``: the GSM8K training split and the MATH-500 development half shipped with
  the package (``data/``, read with ``importlib.resources``, so they work from an installed package
  in any directory);
- ``gsm8k:PATH``, ``math500:PATH``: a file of that format (JSONL or CSV, gzipped or not);
- ``PATH``: a file whose format is told by its fields (:func:`detect_format`): GSM8K (``question``
  and an ``answer`` ending in ``#### N``), MATH (``problem`` with ``answer``, or a ``solution`` with a
  ``\\boxed{}`` answer), or plain ``question`` and ``answer``;
- ``synthetic`` or ``synthetic:N``: seeded arithmetic word problems, N per level (``synthetic.py``);
- ``hf:ID[:SPLIT]``: a Hugging Face data set (``hugging_face.py``; the optional ``datasets`` extra).

For a program of the user's (``inputs``: its input fields) the spec is a JSONL or CSV file whose rows
hold the program's input fields and the labels its metric reads, kept as they are.

References are clean answers (:func:`~ttc_modules.answers.clean_answer`): GSM8K's number after
``####``, MATH's LaTeX answer. :func:`split` makes seeded train/test splits.

Example:
    >>> examples = load_synthetic(4, levels=[1, 2], seed=0)
    >>> len(examples), examples[0].level, sorted(examples[0].inputs().keys())
    (8, 1, ['question'])
    >>> load_dataset("math500", limit=1)[0].answer
    '\\\\left( 3, \\\\frac{\\\\pi}{2} \\\\right)'
"""

from __future__ import annotations

import hashlib
import json
import random
from collections.abc import Mapping
from importlib import resources
from pathlib import Path

import dspy

from ttc_modules.answers import clean_answer, extract_answer
from ttc_modules.evaluation.hugging_face import hugging_face_rows
from ttc_modules.evaluation.records import (
    DatasetError,
    Fields,
    examples_from,
    load_records,
    program_examples,
    read_rows,
)
from ttc_modules.evaluation.synthetic import make_problems

PACKAGED_DATA = resources.files("ttc_modules.evaluation") / "data"
PACKAGED = {"gsm8k": PACKAGED_DATA / "gsm8k_train.jsonl.gz", "math500": PACKAGED_DATA / "math500_dev.jsonl.gz"}
SPECS = "gsm8k, math500, gsm8k:PATH, math500:PATH, a .jsonl/.csv path, synthetic[:N] or hf:ID[:SPLIT]"


def _gsm8k_answer(raw: str) -> str | None:
    return clean_answer(raw.split("####")[-1]) if "####" in raw else None


def _boxed_answer(solution: str) -> str | None:
    return extract_answer(solution) if "\\boxed" in solution or "\\fbox" in solution else None


FORMATS = {
    "gsm8k": Fields(question="question", answer="answer", answer_parser=_gsm8k_answer),
    "math500": Fields(question="problem", answer="answer", level="level", id="id", answer_parser=clean_answer),
    "math": Fields(question="problem", answer="solution", level="level", id="id", answer_parser=_boxed_answer),
    "records": Fields(question="question", answer="answer", level="level", id="id"),
}


def detect_format(record: Mapping) -> str:
    """The format a row is in, told by its fields (a name in :data:`FORMATS`)."""
    if "problem" in record:
        return "math500" if "answer" in record else "math"
    if "####" in str(record.get("answer", "")):
        return "gsm8k"
    return "records"


def load_gsm8k(path=None, **options) -> list[dspy.Example]:
    """GSM8K (default: the training split shipped with the package); the reference is the number after ``####``."""
    return load_records(path or PACKAGED["gsm8k"], FORMATS["gsm8k"], **options)


def load_math500(path=None, **options) -> list[dspy.Example]:
    """MATH-500 (default: the development half shipped with the package), with ``level`` 1-5."""
    return load_records(path or PACKAGED["math500"], FORMATS["math500"], **options)


def load_synthetic(per_level: int = 20, levels: list[int] | None = None, seed: int = 0) -> list[dspy.Example]:
    """Seeded synthetic arithmetic word problems, ``per_level`` of each level."""
    examples = []
    for level in levels or [1, 2, 3, 4, 5]:
        for i, problem in enumerate(make_problems(per_level, level, seed)):
            examples.append(dspy.Example(id=f"synthetic-{seed}-L{level}-{i}", question=problem["question"],
                                         answer=problem["answer"], level=level).with_inputs("question"))
    return examples


def load_dataset(spec: str, limit: int | None = None, seed: int = 0, strict: bool = False,
                 inputs: list[str] | None = None) -> list[dspy.Example]:
    """The examples of a data set spec (see the module docstring); with ``inputs``, a file of rows in a
    program's fields."""
    if inputs is not None:
        if Path(spec.removesuffix(".gz")).suffix.lower() not in (".jsonl", ".json", ".csv"):
            raise DatasetError(f"a program of yours reads its examples from a .jsonl or .csv file of rows in its "
                               f"fields ({', '.join(inputs)} and the labels its metric reads), got {spec!r}")
        return program_examples(read_rows(Path(spec)), Path(spec).name.split(".")[0], inputs, strict, limit)
    kind, _, rest = spec.partition(":")
    if kind in PACKAGED:
        return load_records(Path(rest) if rest else PACKAGED[kind], FORMATS[kind], strict=strict, limit=limit)
    if kind == "synthetic":
        return load_synthetic(_per_level(rest), seed=seed)[:limit]
    if kind == "hf":
        return _detected(hugging_face_rows(rest), f"hf:{rest}", strict, limit)
    if Path(spec.removesuffix(".gz")).suffix.lower() in (".jsonl", ".json", ".csv"):
        path = Path(spec)
        return _detected(read_rows(path), path.name.split(".")[0], strict, limit)
    raise DatasetError(f"unknown data set '{spec}'; use {SPECS}")


def _detected(rows, source: str, strict: bool, limit: int | None) -> list[dspy.Example]:
    """Examples from rows whose format is told by the first row that is a record."""
    rows = iter(rows)
    head = []
    for number, record in rows:
        head.append((number, record))
        if isinstance(record, Mapping):
            break
    fields = FORMATS[detect_format(head[-1][1])] if head and isinstance(head[-1][1], Mapping) else FORMATS["records"]
    return examples_from([*head, *rows], source, fields, strict=strict, limit=limit)


def _per_level(text: str) -> int:
    if not text:
        return 20
    if not text.isdigit() or int(text) < 1:
        raise DatasetError(f"synthetic:N takes a positive number of questions per level, got {text!r}; e.g. synthetic:5")
    return int(text)


def split(examples: list, test_fraction: float = 0.5, seed: int = 0) -> tuple[list, list]:
    """A seeded (train, test) split; the same seed gives the same split."""
    if not 0.0 < test_fraction < 1.0:
        raise ValueError(f"test_fraction must lie strictly between 0 and 1, got {test_fraction}")
    order = list(range(len(examples)))
    random.Random(seed).shuffle(order)
    cut = len(examples) - int(round(len(examples) * test_fraction))
    return [examples[i] for i in sorted(order[:cut])], [examples[i] for i in sorted(order[cut:])]


def dataset_hash(examples: list) -> str:
    """A short hash of the questions and reference answers of ``examples`` (what a policy was fitted on,
    what step labels were drawn for).

    Example:
        >>> dataset_hash(load_synthetic(per_level=1, levels=[1])) == dataset_hash(load_synthetic(per_level=1, levels=[1]))
        True
    """
    blob = json.dumps([[e.question, e.answer] if "question" in e and "answer" in e
                       else {k: v for k, v in e.items() if k != "id"} for e in examples], sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def identified(examples: list, inputs: tuple[str, ...] | None = None) -> list[dspy.Example]:
    """``examples`` (any ``dspy.Example`` list, as DSPy's optimizers take) each with an ``id``: its own,
    else one from a hash of its question (or of the program's ``inputs``); a missing question or
    answer (or input) is named with the fix.

    Example:
        >>> [e.id for e in identified([dspy.Example(question="What is 2 + 2?", answer="4")])]
        ['q-38d46ad361']
        >>> [e.id for e in identified([dspy.Example(words="Ada Lovelace", answer="ae")], inputs=("words",))]
        ['q-2a678c4c6f']
    """
    result = []
    for index, example in enumerate(examples):
        needed = inputs or ("question", "answer")
        missing = [name for name in needed if example.get(name) in (None, "")]
        if missing:
            raise ValueError(f"example {index} has no {' and no '.join(missing)}; give every dspy.Example "
                             + (f"the program's inputs ({', '.join(inputs)})" if inputs else
                                "a question and its reference answer, e.g. dspy.Example(question=..., answer=...)"))
        if example.get("id") in (None, ""):
            asked = example.question if inputs is None else json.dumps([example[n] for n in inputs], default=str)
            digest = hashlib.sha256(str(asked).encode()).hexdigest()[:10]
            example = example.copy(id=f"q-{digest}")
        result.append(example)
    return result
