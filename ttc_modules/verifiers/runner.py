"""Running a verifier for a strategy: budget checked first, scores cached on disk, work counted.

Every call reserves one verifier call on the active budget meter before anything runs, cache hit
or not (a hit is logical work too). Scores of verifiers with a stable ``cache_id`` are kept in a
diskcache in ``cache_dir`` (strategies use ``<DSPy's cache directory>-verifier``, beside the LM
calls), keyed by the sha256 of the sorted request (verifier identity, inputs, steps; no
credentials), together with the tokens the verifier spent, which a cache hit charges again.
Verifiers without a ``cache_id`` (plain functions) are cached in memory.

Example:
    >>> from ttc_modules.verifiers.arithmetic import ArithmeticChecker
    >>> runner = VerifierRunner(ArithmeticChecker(), cache_dir=None)
    >>> runner.score({"question": "1 + 1?"}, ["1 + 1 = 2.", "The answer is 2."])
    [1.0, 1.0]
"""

from __future__ import annotations

import hashlib
import json
import threading
from pathlib import Path

import diskcache

from ttc_modules.budget import BudgetExceeded, current_meter
from ttc_modules.lm.errors import BackendError
from ttc_modules.lm.usage import collect_usage, total
from ttc_modules.verifiers.base import Verifier, VerifierError, check_scores

_DISK: dict[str, object] = {}
_DISK_LOCK = threading.Lock()


def _disk_cache(directory: Path):
    key = str(directory)
    with _DISK_LOCK:
        if key not in _DISK:
            _DISK[key] = diskcache.Cache(key)
        return _DISK[key]


def _failure(name: str, inputs: dict, steps: list[str], exc: Exception) -> str:
    """One line: which verifier failed, on which step of which question, and with what."""
    last = " ".join(steps[-1].split())[:60] if steps else ""
    question = " ".join(str(inputs.get("question", "")).split())[:60]
    return (f"verifier '{name}' failed on step {len(steps)} ({last!r}) of a solution to {question!r}: "
            f"{type(exc).__name__}: {' '.join(str(exc).split())[:200]}; fix the verifier, or choose another "
            "with --verifier")


def request_key(cache_id: str, inputs: dict, steps: list[str]) -> str:
    """sha256 of the sorted request; inputs whose names look like credentials are left out."""
    clean = {k: v for k, v in inputs.items() if "key" not in k.lower() and "token" not in k.lower()}
    blob = json.dumps({"verifier": cache_id, "inputs": clean, "steps": steps}, sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()


class VerifierRunner:
    """Scores solutions with one verifier on behalf of a strategy (see the module docstring)."""

    def __init__(self, verifier: Verifier, cache_dir: Path | None, allow_oracle: bool = False):
        if verifier.oracle and not allow_oracle:
            raise VerifierError(f"the '{verifier.name}' verifier reads the reference answer and is for evaluation "
                                "only; use a real verifier at inference (or allow_oracle=True in evaluation code)")
        self.verifier = verifier
        self._disk = _disk_cache(Path(cache_dir)) if cache_dir and verifier.cache_id else None
        self._memory: dict[str, dict] = {}

    def score(self, inputs: dict, steps: list[str]) -> list[float]:
        """The verifier's scores for ``steps`` (charged one verifier call, even from the cache)."""
        meter = current_meter()
        if meter is not None:
            meter.reserve(verifier_calls=1)
        key = request_key(self.verifier.cache_id or self.verifier.name, inputs, steps)
        entry = self._lookup(key)
        if entry is not None:
            if meter is not None and entry["usage"]["calls"]:
                meter.record_call(entry["usage"]["prompt_tokens"], entry["usage"]["completion_tokens"],
                                  cache_hit=True)
            return entry["scores"]
        try:
            with collect_usage() as usages:
                scores = check_scores(self.verifier.name, self.verifier.score(inputs, steps), steps)
        except BudgetExceeded:
            if meter is not None:
                meter.release(verifier_calls=1)  # a judge's call was refused: no verification was made
            raise
        except (VerifierError, BackendError):
            raise  # already one line naming the verifier or the backend
        except Exception as exc:
            raise VerifierError(_failure(self.verifier.name, inputs, steps, exc)) from exc
        self._store(key, {"scores": scores, "usage": total(usages)})
        return scores

    def _lookup(self, key: str) -> dict | None:
        if key in self._memory:
            return self._memory[key]
        return self._disk.get(key) if self._disk is not None else None

    def _store(self, key: str, entry: dict) -> None:
        self._memory[key] = entry
        if self._disk is not None:
            self._disk[key] = entry
