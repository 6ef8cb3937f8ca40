"""math-verify in a process of its own: its timeouts on, whatever thread asks, and a hung check killed.

math-verify parses LaTeX into sympy and decides whether two answers are equal; sympy can take
unbounded time on some inputs, and math-verify's timeouts use ``signal.alarm``, which works only in
a process's main thread, while strategies vote and evaluations grade from worker threads. So every
check runs in a worker process (started on first use, kept for later checks), where math-verify's own timeouts are on. A worker that does not answer within its budget is
killed, and the check counts as "not equal" (a fingerprint as unknown); the next check starts a new
worker.

Two operations, one JSON line each way: ``verify`` (is ``target`` equal to ``gold``?) and
``fingerprint`` (a value each answer takes at fixed random values of its symbols: two answers with
different fingerprints are not equal, so a vote compares only answers whose fingerprints agree).

Example:
    >>> worker = MathVerifyWorker(timeout=5)
    >>> worker.verify("\\\\frac{21}{2}", "10.5"), worker.verify("5", "5r^5")
    (True, False)
    >>> worker.fingerprint(["2\\\\sqrt{3}", "\\\\sqrt{12}", "\\\\{1, 2\\\\}"])
    ['3.4641,0', '3.4641,0', None]
    >>> worker.close()
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import selectors
import subprocess
import sys
import threading
from pathlib import Path

logger = logging.getLogger(__name__)

_PACKAGE_ROOT = str(Path(__file__).resolve().parents[2])  # where ttc_modules can be imported from


def number_print(value: complex) -> str:
    """How a number is written in a fingerprint: real and imaginary parts to 5 significant digits."""
    real, imaginary = (0.0 if abs(part) < 1e-12 else part for part in (value.real, value.imag))
    return f"{real:.5g},{imaginary:.5g}"


class MathVerifyWorker:
    """One worker process serving math-verify, one request at a time (see the module docstring).

    Args:
        timeout: seconds math-verify may spend parsing each answer and comparing them; the worker
            gets three times that per answer (plus ``startup`` when it starts) before it is killed.
    """

    def __init__(self, timeout: int = 5, startup: float = 60.0):
        self.timeout, self.startup = timeout, startup
        self._lock = threading.Lock()
        self._process: subprocess.Popen | None = None

    def verify(self, gold: str, target: str) -> bool:
        """Whether ``target`` is equal to ``gold`` as math-verify reads both (False on a timeout)."""
        return bool(self._ask({"verify": [gold, target]}, answers=2, otherwise=False))

    def fingerprint(self, answers: list[str]) -> list[str | None]:
        """Each answer's fingerprint (None where there is none: a set, an interval, a percent, a timeout)."""
        if not answers:
            return []
        return self._ask({"fingerprint": answers}, answers=len(answers), otherwise=[None] * len(answers))

    def close(self) -> None:
        """Stop the worker (a later request starts a new one)."""
        with self._lock:
            self._stop()

    def _ask(self, request: dict, answers: int, otherwise):
        with self._lock:
            starting = self._process is None or self._process.poll() is not None
            process = self._start() if starting else self._process
            try:
                process.stdin.write(json.dumps(request) + "\n")
                process.stdin.flush()
                reply = self._read(process, 3 * self.timeout * answers + (self.startup if starting else 1.0))
            except (BrokenPipeError, OSError, ValueError):
                reply = None
            if reply is None:
                logger.warning("math-verify gave no answer to %.200s in time", json.dumps(request))
                self._stop()
                return otherwise
            return reply

    def _stop(self) -> None:
        if self._process is not None:
            self._process.kill()
            self._process.wait()
            self._process = None

    def _start(self) -> subprocess.Popen:
        environment = {**os.environ, "PYTHONPATH": os.pathsep.join(
            p for p in (_PACKAGE_ROOT, os.environ.get("PYTHONPATH", "")) if p)}
        self._process = subprocess.Popen(
            [sys.executable, "-c", f"from ttc_modules.answers.math_verify_worker import serve; serve({self.timeout})"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, bufsize=1,
            env=environment)
        return self._process

    @staticmethod
    def _read(process: subprocess.Popen, seconds: float):
        with selectors.DefaultSelector() as selector:  # not select.select: it fails on descriptors above 1023
            selector.register(process.stdout, selectors.EVENT_READ)
            ready = selector.select(seconds)
        line = process.stdout.readline() if ready else ""
        return json.loads(line) if line.strip() else None


# ---------------------------------------------------------------------------- the worker's side
def serve(timeout: int) -> None:
    """The worker's loop: read a request line, answer it with one line (on the real standard output:
    anything else printing goes to standard error)."""
    replies = os.fdopen(os.dup(sys.stdout.fileno()), "w")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    logging.disable(logging.WARNING)  # math-verify logs every answer it cannot parse
    import sympy  # the worker's own process: imported here, not by its parent
    from math_verify import parse, verify

    def parsed(answer: str):
        try:
            return parse(f"${answer}$", parsing_timeout=timeout)
        except Exception:  # a parse math-verify cannot do, a timeout included
            return []

    def equal(gold: str, target: str) -> bool:
        first, second = parsed(gold), parsed(target)
        try:
            return bool(first and second and verify(first, second, timeout_seconds=timeout))
        except Exception:
            return False

    # the first parse loads the LaTeX grammar and sympy's parts: done here, before any timeout runs
    verify(parse("$\\frac{1}{2}x^2$", parsing_timeout=None), parse("$x^2/2$", parsing_timeout=None), timeout_seconds=None)

    def fingerprint(answer: str) -> str | None:
        found = parsed(answer)
        value = found[0] if found else None
        if "%" in answer or not isinstance(value, sympy.Expr) or isinstance(value, sympy.Set):
            return None
        try:
            point = {symbol: _value_for(symbol.name) for symbol in value.free_symbols}
            return number_print(complex(value.subs(point).evalf(15)))
        except Exception:
            return None

    for line in sys.stdin:
        request = json.loads(line)
        reply = equal(*request["verify"]) if "verify" in request else [fingerprint(a) for a in request["fingerprint"]]
        replies.write(json.dumps(reply) + "\n")
        replies.flush()


def _value_for(name: str) -> float:
    """A fixed value in [1.1, 2.9) for the symbol ``name``, the same in every process."""
    return 1.1 + 1.8 * int.from_bytes(hashlib.sha256(name.encode()).digest()[:4], "big") / 2**32
