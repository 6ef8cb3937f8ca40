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
from pathlib import Path

from ttc_modules.lm.embedded.catalogue import resolve_model
from ttc_modules.ports import bound_port
from ttc_modules.testing.loopback import wait_until_healthy


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
        self.port = bound_port()
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
        wait_until_healthy(f"http://127.0.0.1:{self.port}/health", what="llama.cpp's server")
        return self

    def __exit__(self, *exc) -> None:
        self._server = None  # xllamacpp stops the server when its object goes
        gc.collect()


def _gguf_path(model: str) -> Path:
    if model.endswith(".gguf"):
        return Path(model)
    return resolve_model(model).locate()
