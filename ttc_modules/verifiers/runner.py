"""Running a verifier for a strategy: budget checked first, scores cached on disk, work counted, and a
verifier that fails on one candidate failing only that candidate.

Every call reserves one verifier call on the active budget meter before anything runs, cache hit
or not (a hit is logical work too). A verifier or reward that raises on a candidate, or answers
something that is not a score (NaN, None, text, the wrong number of scores), makes that candidate
failed: it scores 0, is counted in ``spent["verifier_errors"]`` and logged in one line (the first
failure of a run as a warning), and the search goes on; nothing is cached for it. What ends the
search still does: a budget that runs out, a backend (or reward-model server) that fails for good
(``VerifierError`` raised by the verifier itself, such as ``RemotePRMError``). Scores of verifiers with a stable ``cache_id`` are kept in a
diskcache in ``cache_dir`` (strategies use ``<DSPy's cache directory>-verifier``, beside the LM
calls), keyed by the sha256 of the sorted request (verifier identity, inputs, steps; no
credentials; for a program of the user's, the candidate's output fields and the program's
instructions too), together with the tokens the verifier spent, which a cache hit counts again.
Verifiers without a ``cache_id`` (plain functions) are cached in memory; ``inline`` ones (faster than any
cache: the arithmetic checker) are not cached here.

Example:
    >>> from ttc_modules.verifiers.arithmetic import ArithmeticChecker
    >>> runner = VerifierRunner(ArithmeticChecker(), cache_dir=None)
    >>> runner.score({"question": "1 + 1?"}, ["1 + 1 = 2.", "The answer is 2."])
    [1.0, 1.0]
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
from pathlib import Path

import diskcache

from ttc_modules.budget import BudgetExceeded, current_meter
from ttc_modules.call_context import SearchCancelled
from ttc_modules.lm.errors import BackendError
from ttc_modules.lm.usage import collect_usage, total
from ttc_modules.programs.fields import ProgramFields
from ttc_modules.verifiers.base import Candidate, Verifier, VerifierError, check_scores

logger = logging.getLogger(__name__)

_DISK: dict[str, object] = {}
_DISK_LOCK = threading.Lock()


def _disk_cache(directory: Path):
    key = str(directory)
    with _DISK_LOCK:
        if key not in _DISK:
            _DISK[key] = diskcache.Cache(key)
        return _DISK[key]


def _failure(name: str, inputs: dict, steps: list[str], exc: Exception) -> str:
    """One line: which verifier failed, on which step of which task, and with what."""
    last = " ".join(steps[-1].split())[:60] if steps else ""
    task = " ".join(str(inputs.get("question", next(iter(inputs.values()), ""))).split())[:60]
    reason = str(exc) if isinstance(exc, VerifierError) else f"{type(exc).__name__}: {' '.join(str(exc).split())[:200]}"
    return (f"verifier '{name}' failed on step {len(steps)} ({last!r}) of a candidate for {task!r}: {reason}; "
            "the candidate scores 0 and the search goes on: fix the verifier, or choose another")


def request_key(cache_id: str, inputs: dict, steps: list[str], outputs: dict | None = None,
                instructions: str | None = None) -> str:
    """sha256 of the sorted request; inputs whose names look like credentials are left out."""
    clean = {k: v for k, v in inputs.items() if "key" not in k.lower() and "token" not in k.lower()}
    request = {"verifier": cache_id, "inputs": clean, "steps": steps}
    if outputs is not None or instructions is not None:
        request.update(outputs=outputs, instructions=instructions)
    blob = json.dumps(request, sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()


class _Raised(Exception):
    """A ``VerifierError`` the verifier raised itself (its ``__cause__``), carried past the failed-candidate rule."""


class VerifierRunner:
    """Scores solutions with one verifier on behalf of a strategy (see the module docstring)."""

    def __init__(self, verifier: Verifier, cache_dir: Path | None, allow_oracle: bool = False,
                 fields: ProgramFields | None = None):
        if verifier.oracle and not allow_oracle:
            raise VerifierError(f"the '{verifier.name}' verifier reads the reference answer and is for evaluation "
                                "only; use a real verifier at inference (or allow_oracle=True in evaluation code)")
        self.verifier, self.fields = verifier, fields
        self._disk = _disk_cache(Path(cache_dir)) if cache_dir and verifier.cache_id and not self.inline else None
        self._memory: dict[str, dict] = {}
        self._warned, self._warning = False, threading.Lock()

    @property
    def inline(self) -> bool:
        """Whether the verifier scores faster than a cache or a thread could help (its ``inline``, e.g. the
        arithmetic checker, which keeps what it checked itself): its scores are not cached here, and
        strategies score in the calling thread."""
        return bool(getattr(self.verifier, "inline", False))

    def score(self, inputs: dict, steps: list[str], outputs: dict | None = None) -> list[float]:
        """The verifier's scores for ``steps`` (and the program's ``outputs``, once written), counted one
        verifier call even from the cache; ``[0.0]`` for a candidate the verifier fails on."""
        meter = current_meter()
        if meter is not None:
            meter.reserve(verifier_calls=1)
        users = self.fields is not None and not self.fields.answer_in_text  # a program of the user's
        key = None if self.inline else request_key(self.verifier.cache_id or self.verifier.name, inputs, steps,
                                                   outputs, self.fields.instructions if users else None)
        entry = self._lookup(key) if key is not None else None
        if entry is not None:
            if meter is not None and entry["usage"]["calls"]:
                meter.record_call(entry["usage"]["prompt_tokens"], entry["usage"]["completion_tokens"],
                                  cache_hit=True)
            return entry["scores"]
        try:
            with collect_usage() as usages:
                answered = self._ask(Candidate(inputs, steps, outputs, self.fields))
            scores = check_scores(self.verifier.name, answered, steps, bounded=not getattr(self.verifier, "reward",
                                                                                           False))
        except BudgetExceeded:
            if meter is not None:
                meter.release(verifier_calls=1)  # a judge's call was refused: no verification was made
            raise
        except _Raised as raised:
            raise raised.__cause__ from None
        except (BackendError, SearchCancelled):
            raise
        except Exception as exc:
            return self._failed(inputs, steps, exc)
        if key is not None:
            self._store(key, {"scores": scores, "usage": total(usages)})
        return scores

    def _ask(self, candidate: Candidate):
        """The verifier's answer; a ``VerifierError`` it raises itself (misuse, or its server failing for good)
        ends the search, wrapped so that it is told apart from an answer that is not a score."""
        try:
            if hasattr(self.verifier, "score_candidate"):
                return self.verifier.score_candidate(candidate)
            return self.verifier.score(candidate.inputs, candidate.steps)
        except VerifierError as error:
            raise _Raised() from error

    def _failed(self, inputs: dict, steps: list[str], exc: Exception) -> list[float]:
        """A candidate the verifier failed on: scored 0, counted, logged in one line."""
        meter = current_meter()
        if meter is not None:
            meter.record_failure("verifier_errors")
        with self._warning:  # candidates are scored at once: one of them warns
            first, self._warned = not self._warned, True
        logger.log(logging.WARNING if first else logging.DEBUG, "%s", _failure(self.verifier.name, inputs, steps, exc))
        return [0.0]

    def _lookup(self, key: str) -> dict | None:
        if key in self._memory:
            return self._memory[key]
        return self._disk.get(key) if self._disk is not None else None

    def _store(self, key: str, entry: dict) -> None:
        self._memory[key] = entry
        if self._disk is not None:
            self._disk[key] = entry
