"""The OpenAI stub server in a process of its own: its work does not share the caller's interpreter
lock, and it can be killed as a real server dies (``kill()``: SIGKILL, in-flight requests cut off).

Example:
    >>> import httpx
    >>> with StubServerProcess(delay=0.0) as server:
    ...     httpx.get(server.base_url + "/models").json()["data"][0]["id"]
    'stub-model'
"""

from __future__ import annotations

import subprocess
import sys

from ttc_modules.ports import bound_port


class StubServerProcess:
    """``python -m ttc_modules.testing.openai_stub_server`` on a free port, serving on entry, ended on exit.

    Args:
        delay: seconds each completion request waits before answering.
        concurrency: completion requests served at once (None: unlimited).
        reply: answer every choice with this text (None: the arithmetic responder).
        steps: write solutions of this many steps, one step per request (``steps_responder``).
    """

    def __init__(self, delay: float = 0.0, concurrency: int | None = None, reply: str | None = None,
                 steps: int | None = None):
        self.port = bound_port()
        self.command = [sys.executable, "-m", "ttc_modules.testing.openai_stub_server", "--port", str(self.port),
                        "--delay", str(delay), *(["--concurrency", str(concurrency)] if concurrency else []),
                        *(["--reply", reply] if reply is not None else []),
                        *(["--steps", str(steps)] if steps else [])]
        self.process: subprocess.Popen | None = None

    @property
    def base_url(self) -> str:
        """The OpenAI base URL, ``http://127.0.0.1:<port>/v1``."""
        return f"http://127.0.0.1:{self.port}/v1"

    def __enter__(self) -> StubServerProcess:
        self.process = subprocess.Popen(self.command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        self.process.stdout.readline()  # "serving the OpenAI API at ...": it listens
        return self

    def kill(self) -> None:
        """End the server at once, as a crash does."""
        self.process.kill()
        self.process.wait(timeout=10)

    def __exit__(self, *exc) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
