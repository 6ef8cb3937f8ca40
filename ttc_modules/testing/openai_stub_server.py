"""A small real HTTP server that speaks the OpenAI chat and text completion API, on 127.0.0.1.

It stands in for vLLM, SGLang or llama.cpp's server in tests and benchmarks: reached through
LiteLLM's ``openai/`` provider with ``api_base``, it exercises the real HTTP path (connection,
status codes, ``Retry-After``, ``n`` choices, usage) with answers that are deterministic per
prompt, seed and choice index. It can inject failures (429, 500, ...), require an API key, wait a
fixed delay per request and serve at most C requests at once.

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
import hashlib
import random
import re
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Literal

import yaml

from ttc_modules.testing.loopback import JSONHandler, LoopbackServer, cut_at_stop

Responder = Callable[[str, int, "int | None", float], str]  # (prompt, index, seed, temperature) -> text


def arithmetic_responder(prompt: str, index: int, seed: int | None, temperature: float) -> str:
    """A short arithmetic solution whose numbers depend on (prompt, seed, index) only; in the fields of
    DSPy's chat adapter when the prompt asks for them, as an instruction-following model would (any
    program's fields: a ``Literal`` gets its first value, a ``bool`` True, a step-level search's
    ``complete`` True, any other field the sum)."""
    digest = hashlib.sha256(f"{prompt}|{seed}|{index if temperature > 0 else 0}".encode()).digest()
    a, b = digest[0] % 20, digest[1] % 20
    if "[[ ## next_step ## ]]" in prompt:
        complete = "\n\n[[ ## complete ## ]]\nTrue" if "[[ ## complete ## ]]" in prompt else ""
        return f"[[ ## next_step ## ]]\n{a} + {b} = {a + b}.{complete}\n\n[[ ## completed ## ]]"
    if "[[ ## reasoning ## ]]" in prompt and "`answer`" in prompt:
        return f"[[ ## reasoning ## ]]\n{a} + {b} = {a + b}.\n\n[[ ## answer ## ]]\n{a + b}\n\n[[ ## completed ## ]]"
    fields = _OUTPUT_FIELDS.search(prompt)
    if fields:
        values = {"reasoning": f"{a} + {b} = {a + b}."}
        return "".join(f"[[ ## {name} ## ]]\n{values.get(name) or _value_of(kind, a + b)}\n\n"
                       for name, kind in _FIELD.findall(fields.group(1))) + "[[ ## completed ## ]]"
    return f"Step 1: {a} + {b} = {a + b}\n\nThe answer is {a + b}."


def steps_responder(length: int) -> Responder:
    r"""A responder for step-level search on a text route: after the prompt's last ``Answer:`` (the partial
    solution so far) it writes the rest of a ``length``-step solution, step k as ``100k + c = r.`` (c - 2
    is the choice's index), a blank line between steps, then the answer line. Asked with the step
    delimiter as a stop string, a request gets one step; asked without, the whole solution.

    Example:
        >>> respond = steps_responder(2)
        >>> respond("Question: 2 + 3?\nAnswer: 0 + 2 = 2.", 1, 5, 0.8)
        '100 + 3 = 103.\n\nThe answer is 103.'
        >>> respond("Question: 2 + 3?\nAnswer:", 0, 5, 0.8)
        '0 + 2 = 2.\n\n100 + 2 = 102.\n\nThe answer is 102.'
    """
    def respond(prompt: str, index: int, seed: int | None, temperature: float) -> str:
        results = re.findall(r"= (\d+)\.", prompt.rsplit("Answer:", 1)[-1])
        steps = [(f"{k * 100} + {index + 2}", k * 100 + index + 2) for k in range(len(results), length)]
        last = steps[-1][1] if steps else (results or ["0"])[-1]
        return "\n\n".join([*(f"{sum_} = {value}." for sum_, value in steps), f"The answer is {last}."])

    return respond


_OUTPUT_FIELDS = re.compile(r"Your output fields are:\n((?:\d+\. `\w+`.*\n?)+)")
_FIELD = re.compile(r"^\d+\. `(\w+)` \((.*?)\)", re.M)


def _value_of(kind: str, total: int) -> str:
    """A value of the adapter's type ``kind`` (its first literal, True, or ``total``)."""
    literal = re.match(r"Literal\[(['\"])(.*?)\1", kind)
    return literal.group(2) if literal else "True" if kind == "bool" else str(total)


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
        self._failures = list(failures or [])
        self.fault_rates, self.hang, self._random = dict(fault_rates or {}), hang, random.Random(seed)
        self.answered: list[dict] = []  # the completion requests answered 200 in time (not after a hang)
        self._slots = threading.Semaphore(concurrency) if concurrency else None
        self._lock = threading.Lock()
        self.requests: list[dict] = []
        super().__init__(_handler_for(self), port)

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
            self._failures.extend(codes)

    # ------------------------------------------------------------------ request handling
    def _record(self, body: dict) -> int | None:
        """Log the request; return the status code to fail it with, if one is queued or drawn."""
        with self._lock:
            self.requests.append(body)
            if self._failures:
                return self._failures.pop(0)
            draw = self._random.random()
            for code, rate in self.fault_rates.items():
                if draw < rate:
                    return code
                draw -= rate
            return None

    def _answered(self, body: dict) -> None:
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


def _from_anthropic(body: dict) -> dict:
    system = [{"role": "system", "content": _text_of(body["system"])}] if body.get("system") else []
    messages = [{"role": m.get("role"), "content": _text_of(m.get("content"))} for m in body.get("messages", [])]
    return {**body, "messages": system + messages, "n": 1, "stop": body.get("stop_sequences")}


def _to_anthropic(payload: dict) -> dict:
    choice = payload["choices"][0]
    return {"id": f"msg_{payload['id']}", "type": "message", "role": "assistant", "model": payload["model"],
            "content": [{"type": "text", "text": choice["message"]["content"]}],
            "stop_reason": "max_tokens" if choice["finish_reason"] == "length" else "end_turn", "stop_sequence": None,
            "usage": {"input_tokens": payload["usage"]["prompt_tokens"],
                      "output_tokens": payload["usage"]["completion_tokens"]}}


def _from_ollama(body: dict) -> dict:
    options = body.get("options") or {}
    return {"model": body.get("model"), "messages": body.get("messages", []), "n": 1, "seed": options.get("seed"),
            "temperature": options.get("temperature", 0.8), "max_tokens": options.get("num_predict"),
            "stop": options.get("stop")}


def _to_ollama(payload: dict) -> dict:
    choice = payload["choices"][0]
    return {"model": payload["model"], "created_at": "2026-01-01T00:00:00Z",
            "message": {"role": "assistant", "content": choice["message"]["content"]}, "done": True,
            "done_reason": "length" if choice["finish_reason"] == "length" else "stop",
            "prompt_eval_count": payload["usage"]["prompt_tokens"], "eval_count": payload["usage"]["completion_tokens"]}


def _text_of(content) -> str:
    """A message's content as text (Anthropic's may be a list of blocks)."""
    if isinstance(content, list):
        return "".join(str(block.get("text", "")) for block in content if isinstance(block, dict))
    return str(content or "")


# path -> (chat?, request as OpenAI's, response from OpenAI's): OpenAI's API, then Anthropic's and Ollama's
DIALECTS = {"/v1/chat/completions": (True,), "/v1/completions": (False,),
            "/v1/messages": (True, _from_anthropic, _to_anthropic), "/api/chat": (True, _from_ollama, _to_ollama)}


def _handler_for(server: OpenAIStubServer) -> type[JSONHandler]:
    class Handler(JSONHandler):
        def _authorised(self) -> bool:
            return server.api_key is None or server.api_key in (
                self.headers.get("Authorization", "").removeprefix("Bearer "), self.headers.get("x-api-key"))

        def do_GET(self):  # noqa: N802 - http.server's naming
            if not self._authorised():
                return self.send_json(401, _error(401))
            if self.path.rstrip("/") != "/v1/models":
                return self.send_json(404, _error(404))
            self.send_json(200, {"object": "list", "data": [{"id": server.model, "object": "model", "owned_by": "stub"}]})

        def do_POST(self):  # noqa: N802 - http.server's naming
            dialect = DIALECTS.get(self.path.rstrip("/"))
            body = self.read_json()
            if dialect is None:
                return self.send_json(404, _error(404))
            if body is None:
                return self.send_json(400, _error(400))
            self._answer(body, *dialect)

        def _answer(self, body: dict, chat: bool, request=None, response=None) -> None:
            if request is not None:  # another API's request, answered as the OpenAI one it stands for
                body = request(body)
            failure = server._record(body)
            if failure is None and not self._authorised():
                return self.send_json(401, _error(401))
            if failure is None and body.get("model") != server.model:
                return self.send_json(404, {"error": {"message": f"The model `{body.get('model')}` does not exist",
                                                      "type": "invalid_request_error", "code": "model_not_found"}})
            if failure == 0:  # a dropped connection: no status line at all
                self.close_connection = True
                return None
            hung = failure == -1
            if hung:  # the answer comes after the client has given up
                time.sleep(server.hang)
                failure = None
            rejected = next((name for name in server.rejected_params if body.get(name)), None)
            if failure is None and rejected:
                return self.send_json(400, {"error": {"message": f"'{rejected}' is not supported",
                                                      "type": "invalid_request_error", "code": 400}})
            if failure is None and server.prompt_lists == "reject" and isinstance(body.get("prompt"), list):
                return self.send_json(400, {"error": {"message": "prompt must be a string",
                                                      "type": "invalid_request_error", "code": 400}})
            if failure is None and server.n_handling == "reject" and int(body.get("n") or 1) > 1:
                return self.send_json(400, {"error": {"message": "Only one completion choice is allowed",
                                                      "type": "invalid_request_error", "code": 400}})
            if failure:
                retry = {"Retry-After": f"{server.retry_after:g}"} if failure == 429 else None
                return self.send_json(failure, _error(failure, server.retry_after), retry)
            if server._slots is None:
                time.sleep(server.delay)
                payload = server.complete(body, chat)
            else:
                with server._slots:
                    time.sleep(server.delay)
                    payload = server.complete(body, chat)
            self.send_json(200, response(payload) if response is not None else payload)
            if not hung:
                server._answered(body)

    return Handler


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
