"""A small real HTTP server that speaks the OpenAI chat and text completion API, on 127.0.0.1.

It stands in for vLLM, SGLang or llama.cpp's server in tests and benchmarks: reached through
LiteLLM's ``openai/`` provider with ``api_base``, it exercises the real HTTP path (connection,
status codes, ``Retry-After``, ``n`` choices, usage) with answers that are deterministic per
prompt, seed and choice index (``responders.py``). It can inject failures (429, 500, dropped
connections, hangs: ``faults.py``), require an API key, wait a fixed delay per request and serve at
most C requests at once; it also speaks Anthropic's and Ollama's chat APIs (``api_dialects.py``).

:class:`OpenAIStubServer` holds what the server is (its settings, what it received) and decides each
answer: :meth:`~OpenAIStubServer.refusal` (what it refuses, as the server it stands in for would) and
:meth:`~OpenAIStubServer.complete` (the completion). :class:`OpenAIStubHandler` reads a request,
translates it by its path, consults the planned fault in one place, and sends the answer.

Example:
    >>> import json, urllib.request
    >>> with OpenAIStubServer() as server:
    ...     body = json.dumps({"model": "stub-model", "n": 2,
    ...                        "messages": [{"role": "user", "content": "hi"}]}).encode()
    ...     request = urllib.request.Request(server.base_url + "/chat/completions", body,
    ...                                      {"Content-Type": "application/json"})
    ...     reply = json.load(urllib.request.urlopen(request))
    >>> len(reply["choices"])
    2

Run it by hand: ``python -m ttc_modules.testing.openai_stub_server --port 8000 --delay 0.05 --concurrency 4``.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import threading
import time
import uuid
from pathlib import Path
from typing import Literal

import yaml

from ttc_modules.testing.api_dialects import DIALECTS, Dialect
from ttc_modules.testing.faults import Fault, Faults
from ttc_modules.testing.loopback import JSONHandler, LoopbackServer, cut_at_stop
from ttc_modules.testing.responders import Responder, arithmetic_responder, steps_responder

__all__ = ["OpenAIStubHandler", "OpenAIStubServer", "Responder", "arithmetic_responder", "hash_fraction",
           "steps_responder"]


def _plain(value):
    """``value`` with paths turned into strings, as YAML holds them."""
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    return str(value) if isinstance(value, Path) else value


def _tokens(text: str) -> list[str]:
    return text.split()


class OpenAIStubServer(LoopbackServer):
    """The server; a context manager that starts it in a daemon thread and stops it on exit.

    It also answers Anthropic's ``/v1/messages`` and Ollama's ``/api/chat`` (one sample per request,
    as those APIs do), so configs for those providers run against it too.

    Args:
        delay: seconds each completion request waits before answering.
        concurrency: completion requests served at once (None: unlimited).
        api_key: when set, requests without ``Authorization: Bearer <api_key>`` get 401.
        failures: status codes returned, in order, by the first completion requests; 0 drops the
            connection without an answer.
        fault_rates: after ``failures``, each completion request fails at random (seeded by ``seed``)
            with these probabilities: a status code, 0 (dropped connection) or -1 (a hang of ``hang``
            seconds before the answer, so a client with a shorter timeout gives up), e.g.
            ``{429: 0.15, 500: 0.15, -1: 0.05}``.
        responder: makes each choice's text (default :func:`arithmetic_responder`).
        model: the model name listed by ``GET /v1/models``.
        port: 0 picks a free port.
        stop_reasons: give each choice vLLM's ``stop_reason`` (None where the text ended by itself or at
            the length limit, else the stop string that ended it); a hosted API gives none.
        n: what a request with ``n`` > 1 gets: ``"honour"`` (n choices, as vLLM and OpenAI),
            ``"ignore"`` (one choice, as some chat servers) or ``"reject"`` (400, as llama.cpp's server).
        retry_after: the seconds a 429 answer asks the client to wait (``Retry-After``).
        rejected_params: request fields answered with 400 (e.g. ``("logprobs",)``, as an endpoint
            that does not take them).
        prompt_lists: what a text completion request with a list of prompts gets: ``"honour"`` (``n``
            choices per prompt, choice ``p x n + j`` being prompt ``p``'s sample ``j``, as vLLM, SGLang and
            llama.cpp's server answer) or ``"reject"`` (400, as a server that takes one prompt).
    """

    def __init__(self, delay: float = 0.0, concurrency: int | None = None, api_key: str | None = None,
                 failures: list[int] | None = None, responder: Responder = arithmetic_responder,
                 model: str = "stub-model", port: int = 0, fault_rates: dict[int, float] | None = None,
                 seed: int = 0, hang: float = 5.0, stop_reasons: bool = False,
                 n: Literal["honour", "ignore", "reject"] = "honour", retry_after: float = 0.0,
                 rejected_params: tuple[str, ...] = (), prompt_lists: Literal["honour", "reject"] = "honour"):
        self.delay, self.api_key, self.responder, self.model = delay, api_key, responder, model
        self.stop_reasons, self.n_handling, self.retry_after = stop_reasons, n, retry_after
        self.rejected_params, self.prompt_lists = tuple(rejected_params), prompt_lists
        self.faults = Faults(queued=failures or [], rates=fault_rates or {}, seed=seed, hang=hang)
        self.answered: list[dict] = []  # the completion requests answered 200 in time (not after a hang)
        self._slots = threading.Semaphore(concurrency) if concurrency else contextlib.nullcontext()
        self._lock = threading.Lock()
        self.requests: list[dict] = []
        super().__init__(OpenAIStubHandler, port)

    @property
    def fault_rates(self) -> dict[int, float]:
        """The codes each request fails with at random, by probability (``faults.rates``)."""
        return self.faults.rates

    @property
    def hang(self) -> float:
        """The seconds a hang holds an answer back (``faults.hang``)."""
        return self.faults.hang

    @property
    def base_url(self) -> str:
        """The OpenAI base URL, e.g. ``http://127.0.0.1:8123/v1``."""
        return f"{self.url}/v1"

    @property
    def count(self) -> int:
        """Completion requests received, failed ones included."""
        with self._lock:
            return len(self.requests)

    def write_config(self, path, key_env: str = "STUB_KEY", backend: dict | None = None, **sections) -> Path:
        """Write a ``ttc`` YAML config whose backend is this server and return its path.

        The backend is a text model (``openai/<model>``, the key read from ``$key_env``); ``backend``
        adds or overrides its fields and ``sections`` are top-level settings (``cache={"dir": ...}``,
        ``retry={...}``, ``concurrency=4``).

        Example:
            >>> import tempfile, yaml
            >>> with OpenAIStubServer() as server:
            ...     path = server.write_config(Path(tempfile.mkdtemp()) / "stub.yaml", backend={"max_tokens": 32})
            >>> yaml.safe_load(path.read_text())["backend"]["max_tokens"]
            32
        """
        fields = {"model": f"openai/{self.model}", "api_base": self.base_url, "api_key_env": key_env,
                  "model_type": "text", **(backend or {})}
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(yaml.safe_dump({"backend": fields, **_plain(sections)}, sort_keys=False))
        return path

    def fail_next(self, *codes: int) -> None:
        """Answer the next completion requests with these status codes, in order."""
        with self._lock:
            self.faults.queue(*codes)

    # ------------------------------------------------------------------ answering a completion request
    def authorises(self, headers) -> bool:
        """Whether request ``headers`` carry the key (``Authorization: Bearer`` or ``x-api-key``), if one is set."""
        return self.api_key is None or self.api_key in (
            headers.get("Authorization", "").removeprefix("Bearer "), headers.get("x-api-key"))

    def received(self, body: dict) -> Fault | None:
        """Log a completion request (as OpenAI's); the fault planned for it, if any."""
        with self._lock:
            self.requests.append(body)
            return self.faults.next()

    def refusal(self, body: dict, headers) -> tuple[int, dict] | None:
        """The status and error this server answers a completion request with instead of completing it, if
        any: a missing key, another model, and what the server it stands in for does not take."""
        if not self.authorises(headers):
            return 401, _error(401)
        if body.get("model") != self.model:
            return 404, _invalid(f"The model `{body.get('model')}` does not exist", "model_not_found")
        rejected = next((name for name in self.rejected_params if body.get(name)), None)
        if rejected:
            return 400, _invalid(f"'{rejected}' is not supported")
        if self.prompt_lists == "reject" and isinstance(body.get("prompt"), list):
            return 400, _invalid("prompt must be a string")
        if self.n_handling == "reject" and int(body.get("n") or 1) > 1:
            return 400, _invalid("Only one completion choice is allowed")
        return None

    def completed(self, body: dict, chat: bool) -> dict:
        """:meth:`complete` after the server's delay, within its concurrency limit."""
        with self._slots:
            time.sleep(self.delay)
            return self.complete(body, chat)

    def answered_in_time(self, body: dict) -> None:
        """Record a request whose answer was sent (not dropped, not held past its client's timeout)."""
        with self._lock:
            self.answered.append(body)

    def complete(self, body: dict, chat: bool) -> dict:
        """The response body for a chat (``chat=True``) or text completion request."""
        prompts = ([" ".join(str(m.get("content", "")) for m in body.get("messages", []))] if chat
                   else _prompts_of(body.get("prompt", "")))
        n = 1 if self.n_handling == "ignore" else int(body.get("n") or 1)
        choices = [{**self._choice(body, prompt, i, chat), "index": p * n + i}
                   for p, prompt in enumerate(prompts) for i in range(n)]
        completion = sum(choice.pop("_tokens") for choice in choices)
        prompt_tokens = sum(len(_tokens(prompt)) for prompt in prompts)
        return {"id": f"stub-{uuid.uuid4().hex[:12]}", "object": "chat.completion" if chat else "text_completion",
                "created": int(time.time()), "model": body.get("model", self.model), "choices": choices,
                "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": completion,
                          "total_tokens": prompt_tokens + completion}}

    def _choice(self, body: dict, prompt: str, index: int, chat: bool) -> dict:
        text = self.responder(prompt, index, body.get("seed"), float(body.get("temperature", 1.0) or 0.0))
        text, finish, stop_reason = _apply_limits(text, body.get("stop"), body.get("max_tokens"))
        choice = {"index": index, "finish_reason": finish, "_tokens": len(_tokens(text))}
        if self.stop_reasons:
            choice["stop_reason"] = stop_reason
        if chat:
            choice["message"] = {"role": "assistant", "content": text}
        else:
            choice["text"] = text
        if body.get("logprobs"):
            choice["logprobs"] = {"content": _logprobs(text, int(body.get("top_logprobs") or 0))}
        return choice


def _prompts_of(prompt) -> list[str]:
    """A text completion request's prompts: one string, or a list of them."""
    return [str(p) for p in prompt] if isinstance(prompt, list) else [str(prompt)]


def _apply_limits(text: str, stop, max_tokens) -> tuple[str, str, str | None]:
    """The text cut at its first stop string or at ``max_tokens`` words: (text, finish_reason, stop_reason)."""
    cut, stop_string = cut_at_stop(text, stop)
    if stop_string is not None:
        return cut, "stop", stop_string
    words = _tokens(text)
    if max_tokens is not None and len(words) > int(max_tokens):
        return " ".join(words[: int(max_tokens)]), "length", None
    return text, "stop", None


def _logprobs(text: str, top: int) -> list[dict]:
    entries = []
    for position, token in enumerate(_tokens(text)):
        logprob = -((hash_fraction(token, position) * 2.0) + 0.01)
        alternatives = [{"token": token, "logprob": logprob, "bytes": list(token.encode())}]
        alternatives += [{"token": f"{token}~{k}", "logprob": logprob - k - 1, "bytes": list(f"{token}~{k}".encode())}
                         for k in range(max(0, top - 1))]
        entries.append({"token": token, "logprob": logprob, "bytes": list(token.encode()),
                        "top_logprobs": alternatives[:top]})
    return entries


def hash_fraction(token: str, position: int) -> float:
    """A deterministic number in [0, 1) for a token at a position."""
    return hashlib.sha256(f"{token}|{position}".encode()).digest()[0] / 256


def _error(status: int, retry_after: float = 0.0) -> dict:
    kinds = {400: ("invalid_request_error", "bad_request"), 401: ("invalid_request_error", "invalid_api_key"),
             404: ("invalid_request_error", "not_found"), 429: ("rate_limit_error", "rate_limit_exceeded")}
    kind, code = kinds.get(status, ("server_error", "server_error"))
    message = {401: "Incorrect API key provided", 404: "Not found",
               429: f"Rate limit reached, retry after {retry_after:g} s"}.get(status, f"Injected error {status}")
    return {"error": {"message": message, "type": kind, "code": code}}


def _invalid(message: str, code: int | str = 400) -> dict:
    """An OpenAI ``invalid_request_error`` body."""
    return {"error": {"message": message, "type": "invalid_request_error", "code": code}}


class OpenAIStubHandler(JSONHandler):
    """Answers for an :class:`OpenAIStubServer` (``self.owner``): a request read and translated by its path
    (``api_dialects.py``), its planned fault applied (:meth:`_apply`, the one place faults are consulted), then
    refused or completed as the server decides."""

    def do_GET(self):  # noqa: N802 - http.server's naming
        stub = self.owner
        if not stub.authorises(self.headers):
            return self.send_json(401, _error(401))
        if self.path.rstrip("/") != "/v1/models":
            return self.send_json(404, _error(404))
        self.send_json(200, {"object": "list", "data": [{"id": stub.model, "object": "model", "owned_by": "stub"}]})

    def do_POST(self):  # noqa: N802 - http.server's naming
        dialect = DIALECTS.get(self.path.rstrip("/"))
        body = self.read_json()
        if dialect is None:
            return self.send_json(404, _error(404))
        if body is None:
            return self.send_json(400, _error(400))
        self._answer(dialect.request(body), dialect)

    def _answer(self, body: dict, dialect: Dialect) -> None:
        stub = self.owner
        fault = stub.received(body)
        if fault is not None and self._apply(fault):
            return
        refused = stub.refusal(body, self.headers)
        if refused is not None:
            return self.send_json(*refused)
        self.send_json(200, dialect.response(stub.completed(body, dialect.chat)))
        if fault is None:  # not answered after a hang
            stub.answered_in_time(body)

    def _apply(self, fault: Fault) -> bool:
        """Inject ``fault``: a dropped connection or an error status answers the request (True); a hang only
        holds the answer back (False)."""
        if fault.drops:  # no status line at all
            self.close_connection = True
            return True
        if fault.hangs:  # the answer comes after the client has given up
            time.sleep(self.owner.hang)
            return False
        retry_after = self.owner.retry_after
        self.send_json(fault.code, _error(fault.code, retry_after),
                       {"Retry-After": f"{retry_after:g}"} if fault.code == 429 else None)
        return True


def main() -> None:
    """Serve in the foreground until Ctrl-C."""
    parser = argparse.ArgumentParser(description="An OpenAI-compatible stub server on 127.0.0.1.")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--delay", type=float, default=0.0, help="seconds per completion request")
    parser.add_argument("--concurrency", type=int, default=None, help="requests served at once")
    parser.add_argument("--api-key", default=None)
    parser.add_argument("--reply", default=None, help="answer every choice with this text")
    parser.add_argument("--steps", type=int, default=None, help="write solutions of this many steps, one per "
                        "request (step-level search on a text route: steps_responder)")
    args = parser.parse_args()
    responder = ((lambda *_: args.reply) if args.reply is not None
                 else steps_responder(args.steps) if args.steps else arithmetic_responder)
    server = OpenAIStubServer(delay=args.delay, concurrency=args.concurrency, api_key=args.api_key, port=args.port,
                              responder=responder)
    print(f"serving the OpenAI API at {server.base_url} (Ctrl-C stops)", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
