"""Run a piece of Python code (a model's program, say) in a subprocess, with limits and a guard.

:func:`run_python` writes the code to a fresh temporary directory and runs it with this Python
(``-I``: isolated mode, no user site, no ``PYTHON*`` variables) in a sandbox directory of its own,
with a minimal environment (no user variables, no proxies), in a session of its own. It gives back a
:class:`SandboxResult`: ``passed``, ``failed`` (an uncaught exception, a non-zero exit),
``timeout`` (the whole process group is killed with SIGKILL) or ``refused`` (the code tried to write
outside its directory, use the network, start a process ...; :mod:`ttc_modules.sandbox_child` lists
what is refused), with one line saying what happened. Everything is deleted afterwards.

Inside the child, before the code runs, :mod:`ttc_modules.sandbox_child` lowers its resource limits
(address space ``memory_mb``, CPU seconds, 10 MB files, no core files) and installs an audit hook
(:func:`sys.addaudithook`, which cannot be removed) as the main guard, in the spirit of OpenAI
human-eval's ``reliability_guard``.

**This is a guard against accidents, not a security boundary against hostile code.** It stops a
model's code from deleting a file, filling the disk, looping forever or eating the machine's memory;
code written to escape (C extensions, :mod:`ctypes` calls into the C library) can. Run untrusted code
in a container or a virtual machine as well. Linux (and other POSIX systems), as root or not; no
external tools. The limits are set in the child, not with ``preexec_fn``, so :func:`run_python` is
safe to call from several threads at once.

Example:
    >>> run_python("print(6 * 7)").output
    '42\\n'
    >>> result = run_python("1 / 0")
    >>> result.status, result.message
    ('failed', 'ZeroDivisionError: division by zero')
"""

from __future__ import annotations

import contextlib
import json
import logging
import math
import os
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from ttc_modules import sandbox_child

logger = logging.getLogger(__name__)

CHILD = Path(sandbox_child.__file__)
MAX_FILE_MB = sandbox_child.MAX_FILE_BYTES // 2**20


@dataclass(frozen=True)
class SandboxResult:
    """What became of a run.

    Attributes:
        status: ``passed``, ``failed``, ``timeout`` or ``refused``.
        message: one line saying what happened (for ``failed``, the exception's last line).
        output: stdout and stderr together, at most ``max_output`` characters (head and tail).
        seconds: wall-clock time of the run, process start to cleanup.
    """

    status: str
    message: str
    output: str = ""
    seconds: float = 0.0

    @property
    def passed(self) -> bool:
        """Whether the code ran to its end without an error."""
        return self.status == "passed"


@dataclass(frozen=True)
class _Files:
    """One run's files: the program and the reports outside the sandbox directory, and the directory."""

    root: Path

    @property
    def program(self) -> Path:
        return self.root / "program.py"

    @property
    def report(self) -> Path:
        return self.root / "report.jsonl"

    @property
    def output(self) -> Path:
        return self.root / "output.txt"

    @property
    def workdir(self) -> Path:
        return self.root / "work"


def _check(timeout: float, memory_mb: int, max_output: int) -> None:
    if not timeout > 0:
        raise ValueError(f"timeout={timeout!r} must be a positive number of seconds, e.g. timeout=5.0")
    if memory_mb < 64:
        raise ValueError(f"memory_mb={memory_mb!r} is too small for Python to start; give at least 64")
    if max_output < 0:
        raise ValueError(f"max_output={max_output!r} must be zero or more characters")


def _environment(workdir: Path) -> dict[str, str]:
    """A minimal environment: no user variables, no proxies; HOME and TMPDIR are the sandbox directory."""
    return {"PATH": os.defpath, "HOME": str(workdir), "TMPDIR": str(workdir), "LC_ALL": "C.UTF-8"}


def _kill_group(pid: int) -> None:
    """SIGKILL the child's process group (its session): the child and anything it started."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)


def _run_child(files: _Files, timeout: float, memory_mb: int) -> int | None:
    """Run the child to its end; its exit status, or None when it was killed at the timeout."""
    settings = {"workdir": str(files.workdir), "program": str(files.program), "report": str(files.report),
                "memory_mb": memory_mb, "cpu_seconds": math.ceil(timeout) + 1}
    command = [sys.executable, "-I", "-B", "-u", "-X", "utf8", str(CHILD), json.dumps(settings)]
    with open(files.output, "wb") as output:
        child = subprocess.Popen(command, cwd=files.workdir, env=_environment(files.workdir),
                                 stdin=subprocess.DEVNULL, stdout=output, stderr=subprocess.STDOUT,
                                 start_new_session=True)
    try:
        return child.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        return None
    finally:
        _kill_group(child.pid)
        child.wait()


def _read_output(path: Path, max_output: int) -> str:
    """The output, or its head and tail with a note between them when it is longer than ``max_output``."""
    size = path.stat().st_size
    with open(path, "rb") as handle:
        if size <= 4 * max_output:
            text = handle.read().decode("utf-8", errors="replace")
            if len(text) <= max_output:
                return text
            head, tail = text[: max_output // 2], text[len(text) - max_output // 2:]
        else:
            head = handle.read(max_output // 2).decode("utf-8", errors="replace")
            handle.seek(size - max_output // 2)
            tail = handle.read().decode("utf-8", errors="replace")
    return f"{head}\n[... output cut to {max_output} characters ...]\n{tail}"


def _read_report(path: Path) -> dict[str, str]:
    """The child's report: its first ``refused`` and its ``error``, when it wrote them."""
    report: dict[str, str] = {}
    if path.exists():
        for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
            try:
                record = json.loads(line)
            except json.JSONDecodeError:
                continue
            for key, value in record.items() if isinstance(record, dict) else ():
                report.setdefault(key, str(value))
    return report


def _timeout_message(timeout: float) -> str:
    return (f"timed out after {float(timeout)} s; the code ran too long (an endless loop?) — "
            "raise timeout= if it needs longer")


def _failure_message(returncode: int, error: str | None, memory_mb: int) -> str:
    if error and error.startswith("MemoryError"):
        return (f"{error}: the code ran out of its {memory_mb} MB of memory — "
                "raise memory_mb= if it needs more")
    if error and "File too large" in error:
        return f"{error}: the code wrote more than {MAX_FILE_MB} MB to a file or its output"
    if error:
        return error
    if returncode < 0:
        return f"the process was killed by {signal.Signals(-returncode).name}"
    return f"the code exited with status {returncode}"


def _verdict(returncode: int | None, report: dict[str, str], timeout: float,
             memory_mb: int) -> tuple[str, str]:
    """(status, message) of a run, from the child's exit status (None: timed out) and its report."""
    if "refused" in report:
        return "refused", report["refused"]
    if returncode is None or returncode == -signal.SIGXCPU:
        return "timeout", _timeout_message(timeout)
    if returncode == 0:
        return "passed", "the code ran to its end without an error"
    return "failed", _failure_message(returncode, report.get("error"), memory_mb)


def run_python(code: str, *, timeout: float = 5.0, memory_mb: int = 512,
               max_output: int = 10_000) -> SandboxResult:
    """Run Python code in a fresh subprocess and directory, with limits and the audit-hook guard.

    Args:
        code: the program, run as ``__main__``.
        timeout: wall-clock seconds before the process group is killed (status ``timeout``).
        memory_mb: the address-space limit; going past it raises ``MemoryError`` in the code.
        max_output: the most characters of stdout and stderr kept (the head and the tail).

    Returns:
        A :class:`SandboxResult`; it never raises for what the code does.
    """
    _check(timeout, memory_mb, max_output)
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="ttc-sandbox-", ignore_cleanup_errors=True) as root:
        files = _Files(Path(root))
        files.workdir.mkdir()
        files.program.write_text(code, encoding="utf-8", errors="replace")
        returncode = _run_child(files, timeout, memory_mb)
        output = _read_output(files.output, max_output)
        report = _read_report(files.report)
    status, message = _verdict(returncode, report, timeout, memory_mb)
    seconds = time.monotonic() - started
    logger.debug("sandbox run: %s in %.2f s (%s)", status, seconds, message)
    return SandboxResult(status, message, output, round(seconds, 3))
