"""The results file: one JSON line per question x strategy x budget, appended and synced row by row.

A row carries ``config``, a fingerprint of what made it (model, sampling settings, verifier,
seed, the strategy's options or the policy), so a rerun into the same file reuses only rows made
the same way: another model, other options or another policy get rows of their own.

Written so that an evaluation killed at any moment (even ``kill -9``) loses no finished row: each
row is flushed and fsynced before the next piece of work starts, and a torn last line (the row
being written when the process died) is ignored on reading, so that row is simply redone.

Example:
    >>> import tempfile, pathlib
    >>> log = ResultsLog(pathlib.Path(tempfile.mkdtemp()) / "results.jsonl")
    >>> config = fingerprint({"model": "local/smollm2-135m-instruct", "seed": 0})
    >>> log.append({"id": "q1", "strategy": "majority", "budget": 4, "config": config, "correct": 1.0})
    >>> log.done(("q1", "majority", 4, config)), log.get(("q1", "majority", 4, config))["correct"]
    (True, 1.0)
    >>> log.done(("q1", "majority", 4, fingerprint({"model": "another", "seed": 0})))
    False
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path


def fingerprint(identity: dict) -> str:
    """A short stable hash of ``identity`` (JSON-able: what a row was made with)."""
    return hashlib.sha256(json.dumps(identity, sort_keys=True, default=str).encode()).hexdigest()[:16]


def row_key(row: dict) -> tuple:
    """(question id, strategy, budget, config); rows written before configs were recorded have config ""."""
    return (row["id"], row["strategy"], row["budget"], row.get("config", ""))


class ResultsLog:
    """Append-only JSONL of result rows, read back on start (see the module docstring)."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.rows: list[dict] = _read(self.path)
        self._latest = {row_key(row): row for row in self.rows}

    def done(self, key: tuple) -> bool:
        return key in self._latest

    def get(self, key: tuple) -> dict:
        """The newest row with ``key`` (KeyError if there is none)."""
        return self._latest[key]

    def append(self, row: dict) -> None:
        with self.path.open("a", encoding="utf-8") as handle:
            handle.write(json.dumps(row, default=str) + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        self.rows.append(row)
        self._latest[row_key(row)] = row


def _read(path: Path) -> list[dict]:
    if not path.exists():
        return []
    rows = []
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError:
                continue  # the row being written when an earlier run was killed: it will be redone
    _truncate_torn_tail(path)
    return rows


def _truncate_torn_tail(path: Path) -> None:
    """Drop a last line without its newline, so the next row starts on a line of its own."""
    data = path.read_bytes()
    if data and not data.endswith(b"\n"):
        path.write_bytes(data[: data.rfind(b"\n") + 1])
