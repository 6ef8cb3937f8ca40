"""The results file: one JSON line per question x strategy x budget, appended and synced row by row.

A row carries ``config``, a fingerprint of what made it (model, sampling settings, verifier,
seed, the strategy's options or the policy), so a rerun into the same file reuses only rows made
the same way: another model, other options or another policy get rows of their own.

Written so that an evaluation killed at any moment (even ``kill -9``) loses no finished row: each
row is flushed and fsynced before the next piece of work starts, and a torn last line (the row
being written when the process died) is ignored on reading, so that row is simply redone.

Several processes may share one file (two evaluations into one output directory): a row is
appended under a lock file (``<file>.lock``) after reading what the others appended, and is not
written again when another process wrote its key first; :meth:`ResultsLog.done` sees their rows.

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
import threading
from pathlib import Path

from filelock import FileLock


def fingerprint(identity: dict) -> str:
    """A short stable hash of ``identity`` (JSON-able: what a row was made with)."""
    return hashlib.sha256(json.dumps(identity, sort_keys=True, default=str).encode()).hexdigest()[:16]


def row_key(row: dict) -> tuple:
    """(question id, strategy, budget, config); rows written before configs were recorded have config ""."""
    return (row["id"], row["strategy"], row["budget"], row.get("config", ""))


class ResultsLog:
    """Append-only JSONL of result rows, shared safely between processes (see the module docstring)."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = FileLock(f"{self.path}.lock")
        self.rows: list[dict] = []
        self._latest: dict[tuple, dict] = {}
        self._offset = 0  # bytes of the file read so far (whole lines only)
        self._reading = threading.Lock()  # threads of this process read on from one offset
        with self._lock:
            _truncate_torn_tail(self.path)
            self._read_new()

    def __getstate__(self) -> dict:
        """To another process (a Ray task): the path only; the rows are read from the file there."""
        return {"path": self.path}

    def __setstate__(self, state: dict) -> None:
        self.__init__(state["path"])

    def done(self, key: tuple) -> bool:
        if key not in self._latest:
            self._read_new()
        return key in self._latest

    def get(self, key: tuple) -> dict:
        """The newest row with ``key`` (KeyError if there is none)."""
        if key not in self._latest:
            self._read_new()
        return self._latest[key]

    def append(self, row: dict) -> None:
        """Write ``row``, unless another process has written a row of its key since we last read."""
        with self._lock:
            _truncate_torn_tail(self.path)  # a writer killed mid-row; it cannot be writing now
            self._read_new()
            if row_key(row) in self._latest:
                return
            with self.path.open("a", encoding="utf-8") as handle:
                handle.write(json.dumps(row, default=str) + "\n")
                handle.flush()
                os.fsync(handle.fileno())
            self._read_new()

    def _read_new(self) -> None:
        """Read the whole lines appended since the last read (by any process)."""
        with self._reading:
            self._read_new_unlocked()

    def _read_new_unlocked(self) -> None:
        if not self.path.exists():
            return
        with self.path.open("rb") as handle:
            handle.seek(self._offset)
            data = handle.read()
        complete = data[: data.rfind(b"\n") + 1]
        self._offset += len(complete)
        for line in complete.decode("utf-8").splitlines():
            try:
                row = json.loads(line)
            except json.JSONDecodeError:
                continue  # the row being written when an earlier run was killed: it will be redone
            self.rows.append(row)
            self._latest[row_key(row)] = row


def _truncate_torn_tail(path: Path) -> None:
    """Drop a last line without its newline, so the next row starts on a line of its own."""
    if not path.exists():
        return
    data = path.read_bytes()
    if data and not data.endswith(b"\n"):
        path.write_bytes(data[: data.rfind(b"\n") + 1])
