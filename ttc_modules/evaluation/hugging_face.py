"""Hugging Face data sets as rows: ``hf:ID[:SPLIT]`` (e.g. ``hf:openai/gsm8k:test``), with the optional
``datasets`` extra (``pip install 'dspy-ttc[datasets]'``) and a network.

The split defaults to ``test``; a data set with several configurations is read in ``main`` or
``default`` when it has one, else in its first. Without the extra, or offline, loading fails at
once with one line saying what to do instead.

Example:
    >>> rows = hugging_face_rows("openai/gsm8k:test")  # doctest: +SKIP
    >>> next(iter(rows))[1]["answer"].split("####")[-1].strip()  # doctest: +SKIP
    '18'
"""

from __future__ import annotations

from collections.abc import Iterator

from ttc_modules.evaluation.records import DatasetError


def hugging_face_rows(spec: str) -> Iterator[tuple[int, dict]]:
    """(row number, record) pairs of the data set ``spec`` = ``ID[:SPLIT]``."""
    name, _, split = spec.partition(":")
    if not name:
        raise DatasetError("hf: needs a data set id, e.g. hf:openai/gsm8k:test")
    try:
        import datasets  # optional, and heavy: imported only when asked for
    except ImportError:
        raise DatasetError(f"hf:{spec} needs the optional datasets extra: pip install 'dspy-ttc[datasets]' "
                           "(or save the rows as JSONL and pass the file)") from None
    try:
        configs = datasets.get_dataset_config_names(name)
        config = next((c for c in ("main", "default") if c in configs), configs[0] if configs else None)
        data = datasets.load_dataset(name, config, split=split or "test")
    except Exception as exc:  # offline, unknown id or split: the library's errors vary by cause
        reason = " ".join(str(exc).split())[:160]
        raise DatasetError(f"cannot load hf:{spec} from the Hugging Face hub ({type(exc).__name__}: {reason}); check "
                           "the id, the split and the network, or save the rows as JSONL and pass the file") from None
    return enumerate(data, start=1)
