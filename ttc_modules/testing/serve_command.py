"""``ttc serve`` run as a command, in a process of its own, for tests and benchmarks.

Example:
    >>> with ServeCommand("ttc.yaml") as server:  # doctest: +SKIP
    ...     server.url + "/v1"
    'http://127.0.0.1:...'
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from ttc_modules.ports import bound_port
from ttc_modules.testing.loopback import wait_until_healthy


class ServeCommand:
    """``ttc serve --config CONFIG --port PORT`` (a free port by default), healthy on entry; on exit, stopped
    with SIGTERM unless it has ended already (``process`` is the ``Popen``, for other signals)."""

    def __init__(self, config: str | Path, port: int | None = None):
        self.config, self.port = Path(config), port or bound_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen | None = None

    @property
    def base_url(self) -> str:
        """The OpenAI base URL, ``http://127.0.0.1:<port>/v1``."""
        return self.url + "/v1"

    def __enter__(self) -> ServeCommand:
        self.process = subprocess.Popen([sys.executable, "-m", "ttc_modules.cli", "serve", "--config", str(self.config),
                                         "--port", str(self.port)], stderr=subprocess.DEVNULL)
        try:
            wait_until_healthy(self.url + "/health", what="ttc serve", alive=lambda: self.process.poll() is None)
        except BaseException:
            self.__exit__()
            raise
        return self

    def memory_mib(self, peak: bool = False) -> float:
        """The server process's resident memory now (or its peak, ``peak=True``), in MiB."""
        key = "VmHWM" if peak else "VmRSS"
        with open(f"/proc/{self.process.pid}/status") as status:
            return next(int(line.split()[1]) for line in status if line.startswith(key)) / 1024

    def __exit__(self, *exc) -> None:
        if self.process.poll() is None:
            self.process.terminate()
        self.process.wait(timeout=120)
