"""The embedded backend served to LiteLLM as the ``local/`` provider: requests, options, responses, errors.

After :func:`register`, ``dspy.LM("local/smollm2-135m-instruct")`` and
``litellm.completion(model="local/smollm2-135m-instruct", ...)`` go through the same LiteLLM code
path as a hosted model: no keys, no network, no server process. The model is run by
:class:`~ttc_modules.lm.embedded.engine.LocalEngine`, loaded once per process.

Chat models get their prompt from the chat template stored in the GGUF file. Base models (no
usable template) take the text of the last message as a plain completion prompt, so give them a
few-shot text prompt and stop sequences. Each choice carries vLLM's ``stop_reason`` in its
``provider_specific_fields`` (None where the model ended the text itself), as LiteLLM passes on
vLLM's: step-level search reads it (``ttc_modules/lm/endings.py``).

Example:
    >>> import litellm
    >>> register()
    >>> reply = litellm.completion(model="local/smollm2-135m-instruct", n=2, max_tokens=16,
    ...     messages=[{"role": "user", "content": "What is 2 + 2?"}])  # doctest: +SKIP
    >>> len(reply.choices)  # doctest: +SKIP
    2
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
import uuid
from collections.abc import Mapping

import litellm
from litellm import CustomLLM
from litellm.types.utils import ChatCompletionTokenLogprob, ChoiceLogprobs, Choices, Message, Usage

from ttc_modules.call_context import in_worker_thread
from ttc_modules.lm.custom_providers import registered
from ttc_modules.lm.embedded.catalogue import (
    PROVIDER,
    EmbeddedModel,
    UnknownLocalModelError,
    add_model,
    resolve_model,
)
from ttc_modules.lm.embedded.engine import (
    Completion,
    EngineRequestError,
    LocalEngine,
    RequestCancelled,
    Sample,
)

logger = logging.getLogger(__name__)


def engine_for(name: str, threads: int | None = None) -> tuple[EmbeddedModel, LocalEngine]:
    """Load (once per process) and return the engine of an embedded model."""
    model = resolve_model(name)
    return model, LocalEngine.load(model.locate(), n_ctx=model.n_ctx, threads=threads, slots=model.slots)


def register(local_models: Mapping[str, object] | None = None, threads: int | None = None) -> None:
    """Register the ``local/`` provider with LiteLLM (idempotent, loads no model).

    Args:
        local_models: extra GGUF files by name, as ``config.LocalModelConfig`` objects (or any
            object with ``path``, ``chat``, ``n_ctx``, ``slots`` and ``params`` attributes).
        threads: llama.cpp threads; None uses every core.
    """
    for name, spec in (local_models or {}).items():
        add_model(name, spec.path, chat=spec.chat, params=spec.params, n_ctx=spec.n_ctx, slots=spec.slots)
    ensure_registered().threads = threads


def ensure_registered() -> LocalProvider:
    """The ``local/`` provider registered with LiteLLM, registering it (threads: every core) if it is not yet."""
    return registered(PROVIDER, LocalProvider)


def _text(message: dict) -> str:
    content = message.get("content") or ""
    if isinstance(content, list):  # OpenAI content parts: keep the text ones
        return "".join(part.get("text", "") for part in content if isinstance(part, dict))
    return str(content)


def build_request(model: EmbeddedModel, messages: list[dict], params: dict) -> dict:
    """The llama.cpp request for ``messages``: the chat itself for chat models, the last message's text
    as a plain completion prompt for base ones, with the sampling options of ``params``.

    A chat model's prompt is made by the engine from the chat template stored in the GGUF file
    (``chat_template.py``). A chat ending with an assistant message is continued, not answered anew
    (llama.cpp's assistant prefill, what vLLM calls ``continue_final_message``): step-level search
    extends partial solutions this way.
    """
    if model.chat:
        body = {"messages": [{"role": m["role"], "content": _text(m)} for m in messages]}
    else:
        body = {"prompt": _text(messages[-1]) if messages else ""}
    return {**body, **_generation_options(params)}


def _generation_options(params: dict) -> dict:
    """OpenAI sampling options as llama.cpp takes them: plain temperature and top-p sampling, as a
    hosted API does (llama.cpp's own top-k 40 and min-p 0.05 defaults are turned off)."""
    stop = params.get("stop")
    options = {
        "n": int(params.get("n") or 1),
        "max_tokens": int(params.get("max_tokens") or params.get("max_completion_tokens") or 256),
        "temperature": float(params["temperature"]) if params.get("temperature") is not None else 1.0,
        "top_p": float(params["top_p"]) if params.get("top_p") is not None else 1.0,
        "top_k": 0, "min_p": 0.0,
        "stop": [stop] if isinstance(stop, str) else list(stop or []),
    }
    if params.get("seed") is not None:
        options["seed"] = int(params["seed"])
    if params.get("logprobs"):
        top = int(params.get("top_logprobs") or 0)
        options["logprobs"] = max(1, top)  # llama.cpp reports nothing for no alternatives: one, trimmed in _logprobs
    return options


def _logprobs(sample: Sample, top: int) -> ChoiceLogprobs | None:
    if sample.logprobs is None:
        return None

    def entry(item: dict) -> dict:
        return {"token": item["token"], "logprob": item["logprob"], "bytes": item.get("bytes")}
    return ChoiceLogprobs(content=[ChatCompletionTokenLogprob(
        **entry(t), top_logprobs=[entry(alt) for alt in (t.get("top_logprobs") or [])[:top]])
        for t in sample.logprobs])


def _response(model_response, model_name: str, done: Completion, top_logprobs: int):
    model_response.choices = [
        Choices(index=i, finish_reason=s.finish_reason, logprobs=_logprobs(s, top_logprobs),
                message=Message(role="assistant", content=s.text),
                provider_specific_fields={"stop_reason": s.stop_reason})  # as LiteLLM passes on vLLM's
        for i, s in enumerate(done.samples)]
    completion = sum(s.completion_tokens for s in done.samples)
    model_response.usage = Usage(prompt_tokens=done.prompt_tokens, completion_tokens=completion,
                                 total_tokens=done.prompt_tokens + completion)
    model_response.model = f"{PROVIDER}/{model_name}"
    model_response.id = f"local-{uuid.uuid4().hex}"
    model_response.created = int(time.time())
    return model_response


def _litellm_error(exc: Exception, model: str) -> Exception:
    """Map our errors to LiteLLM's classes so callers see 'not found', 'context too long', 'bad request' or
    'timeout', not a retryable 500."""
    if isinstance(exc, EngineRequestError) and exc.kind == "exceed_context_size_error":
        return litellm.ContextWindowExceededError(message=f"{exc}; shorten the prompt or raise n_ctx in "
                                                  "local_models.<name>", model=model, llm_provider=PROVIDER)
    if isinstance(exc, EngineRequestError):
        return litellm.BadRequestError(message=str(exc), model=model, llm_provider=PROVIDER)
    if isinstance(exc, RequestCancelled):
        return litellm.Timeout(message=str(exc), model=model, llm_provider=PROVIDER)
    if isinstance(exc, (UnknownLocalModelError, FileNotFoundError)):
        return litellm.NotFoundError(message=str(exc), model=model, llm_provider=PROVIDER)
    return exc


def _seconds(timeout) -> float | None:
    """LiteLLM's ``timeout`` (seconds, or an httpx.Timeout) as seconds; None for no limit."""
    if timeout is None or isinstance(timeout, int | float):
        return timeout
    return getattr(timeout, "read", None)


class LocalProvider(CustomLLM):
    """LiteLLM custom provider running :class:`LocalEngine` in process."""

    threads: int | None = None

    def completion(self, model: str, messages: list, model_response=None, optional_params=None, timeout=None,
                   cancelled: threading.Event | None = None, **_):
        params = optional_params or {}
        spec, [done] = self._run(model, [messages], params, timeout, cancelled)
        return _response(model_response, spec.name, done, int(params.get("top_logprobs") or 0))

    def complete_prompts(self, model: str, chats: list[list[dict]], optional_params: dict | None = None,
                         timeout=None) -> list:
        """One response per chat of ``chats``, all run at once on the engine's slots (a search round in one
        request: ``ttc_modules/lm/prompt_lists.py``), each the response :meth:`completion` gives that chat
        alone. LiteLLM has no route for a list of prompts to a custom provider, so this is called directly."""
        params = optional_params or {}
        spec, done = self._run(model, chats, params, timeout)
        top = int(params.get("top_logprobs") or 0)
        return [_response(litellm.ModelResponse(), spec.name, completion, top) for completion in done]

    def _run(self, model: str, chats: list[list[dict]], params: dict, timeout,
             cancelled: threading.Event | None = None) -> tuple[EmbeddedModel, list[Completion]]:
        """The engine's completions of ``chats`` (together), with its errors as LiteLLM's."""
        try:
            spec, engine = engine_for(model, self.threads)
            return spec, engine.complete_many([build_request(spec, messages, params) for messages in chats],
                                              chat=spec.chat, timeout=_seconds(timeout), cancelled=cancelled)
        except (EngineRequestError, RequestCancelled, UnknownLocalModelError, FileNotFoundError) as exc:
            raise _litellm_error(exc, model) from exc

    def embedding(self, model: str, input: list, model_response=None, optional_params=None, **_):
        """``litellm.embedding(model="local/<name>", input=[...])``: mean-pooled embeddings of each text."""
        try:
            _, engine = engine_for(model, self.threads)
            vectors = engine.embed([str(text) for text in input])
        except (EngineRequestError, UnknownLocalModelError, FileNotFoundError) as exc:
            raise _litellm_error(exc, model) from exc
        model_response.data = [{"object": "embedding", "index": i, "embedding": v} for i, v in enumerate(vectors)]
        model_response.model = model
        return model_response

    async def aembedding(self, *args, **kwargs):
        return await in_worker_thread(self.embedding, *args, **kwargs)

    async def acompletion(self, *args, **kwargs):
        cancelled = threading.Event()  # a cancelled task stops its request at the next token
        try:
            return await in_worker_thread(self.completion, *args, cancelled=cancelled, **kwargs)
        except asyncio.CancelledError:
            cancelled.set()
            raise
