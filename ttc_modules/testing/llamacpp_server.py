"""llama.cpp's own OpenAI-compatible HTTP server on 127.0.0.1, serving an embedded model's GGUF.

The same server program as ``llama-server``, started in this process by xllamacpp (the ``local``
extra) with a port set; what a user gets from ``llama-server -m model.gguf --port P``. Tests point
``openai/<alias>`` at :attr:`LlamaCppServer.base_url`, chat or text, with no key.

Example:
    >>> import json, urllib.request
    >>> with LlamaCppServer(slots=1, n_ctx=512) as server:  # doctest: +SKIP
    ...     json.load(urllib.request.urlopen(server.base_url + "/models"))["data"][0]["id"]
    'smollm2'
"""

from __future__ import annotations

import gc
import socket
import time
import urllib.request
from pathlib import Path

from ttc_modules.lm.embedded.catalogue import resolve_model


class LlamaCppServer:
    """A context manager that starts the server, waits until it is healthy, and stops it on exit.

    Args:
        model: an embedded model's name (``ttc models``) or a GGUF path.
        alias: the model name the server answers to.
        slots: sequences decoded together (``--parallel``); n_ctx: tokens of context per slot.
        threads: llama.cpp threads (None: its default).
    """

    def __init__(self, model: str = "smollm2-135m-instruct", alias: str = "smollm2", slots: int = 2,
                 n_ctx: int = 2048, threads: int | None = None):
        self.model, self.alias, self.slots, self.n_ctx, self.threads = model, alias, slots, n_ctx, threads
        self.port = _free_port()
        self._server = None

    @property
    def base_url(self) -> str:
        """The OpenAI base URL, ``http://127.0.0.1:<port>/v1``."""
        return f"http://127.0.0.1:{self.port}/v1"

    def __enter__(self) -> LlamaCppServer:
        import xllamacpp

        params = xllamacpp.CommonParams()
        params.model.path = str(_gguf_path(self.model))
        params.model_alias = {self.alias}
        params.port = self.port
        params.n_parallel = self.slots
        params.n_ctx = self.n_ctx * self.slots
        params.warmup = False
        params.verbosity = -1
        if self.threads:
            params.cpuparams.n_threads = params.cpuparams_batch.n_threads = self.threads
        self._server = xllamacpp.Server(params)
        _wait_until_healthy(f"http://127.0.0.1:{self.port}/health")
        return self

    def __exit__(self, *exc) -> None:
        self._server = None  # xllamacpp stops the server when its object goes
        gc.collect()


def _gguf_path(model: str) -> Path:
    if model.endswith(".gguf"):
        return Path(model)
    return resolve_model(model).locate()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_until_healthy(url: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise TimeoutError(f"llama.cpp's server did not become healthy at {url} within {timeout:.0f} s")
        time.sleep(0.1)
