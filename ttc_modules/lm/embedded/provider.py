"""The embedded backend served to LiteLLM as the ``local/`` provider: chat templates, options, responses.

After :func:`register`, ``dspy.LM("local/smollm2-135m-instruct")`` and
``litellm.completion(model="local/smollm2-135m-instruct", ...)`` go through the same LiteLLM code
path as a hosted model: no keys, no network, no server process. The model is run by
:class:`~ttc_modules.lm.embedded.engine.LocalEngine`, loaded once per process.

Chat models get their prompt from the chat template stored in the GGUF file. Base models (no
usable template) take the text of the last message as a plain completion prompt, so give them a
few-shot text prompt and stop sequences.

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

from ttc_modules.lm.embedded.catalogue import (
    PROVIDER,
    EmbeddedModel,
    UnknownLocalModelError,
    add_model,
    resolve_model,
)
from ttc_modules.lm.embedded.engine import ContextOverflowError, LocalEngine, Sample

logger = logging.getLogger(__name__)

_register_lock = threading.Lock()


def engine_for(name: str, threads: int | None = None) -> tuple[EmbeddedModel, LocalEngine]:
    """Load (once per process) and return the engine of an embedded model."""
    model = resolve_model(name)
    return model, LocalEngine.load(model.locate(), n_ctx=model.n_ctx, threads=threads)


def register(local_models: Mapping[str, object] | None = None, threads: int | None = None) -> None:
    """Register the ``local/`` provider with LiteLLM (idempotent, loads no model).

    Args:
        local_models: extra GGUF files by name, as ``config.LocalModelConfig`` objects (or any
            object with ``path``, ``chat``, ``n_ctx`` and ``params`` attributes).
        threads: llama.cpp threads; None uses every core.
    """
    for name, spec in (local_models or {}).items():
        add_model(name, spec.path, chat=spec.chat, params=spec.params, n_ctx=spec.n_ctx)
    with _register_lock:
        handler = next((item["custom_handler"] for item in litellm.custom_provider_map
                        if item["provider"] == PROVIDER), None)
        if handler is None:
            handler = LocalProvider()
            litellm.custom_provider_map = [*litellm.custom_provider_map,
                                           {"provider": PROVIDER, "custom_handler": handler}]
            litellm.utils.custom_llm_setup()
        handler.threads = threads


_formatters: dict[str, object] = {}


def _chat_formatter(engine: LocalEngine):
    """The GGUF's chat template, compiled once per model file."""
    from llama_cpp.llama_chat_format import Jinja2ChatFormatter

    key = str(engine.path)
    if key not in _formatters:
        meta = engine.metadata()
        special = {kind: engine.piece(int(meta[f"tokenizer.ggml.{kind}_token_id"])).decode("utf-8", "ignore")
                   for kind in ("bos", "eos") if f"tokenizer.ggml.{kind}_token_id" in meta}
        _formatters[key] = Jinja2ChatFormatter(meta["tokenizer.chat_template"], eos_token=special.get("eos", ""),
                                               bos_token=special.get("bos", ""))
    return _formatters[key]


def _text(message: dict) -> str:
    content = message.get("content") or ""
    if isinstance(content, list):  # OpenAI content parts: keep the text ones
        return "".join(part.get("text", "") for part in content if isinstance(part, dict))
    return str(content)


def render_prompt(model: EmbeddedModel, engine: LocalEngine, messages: list[dict]) -> list[int]:
    """Token ids of the prompt: the chat template for chat models, the last message's text for base ones.

    A chat ending with an assistant message is continued, not answered anew: the template is
    rendered up to the assistant's turn and the partial message follows as is (what vLLM calls
    ``continue_final_message``). Step-level search extends partial solutions this way.
    """
    if model.chat and "tokenizer.chat_template" in engine.metadata():
        prefill = _text(messages[-1]) if messages and messages[-1]["role"] == "assistant" else ""
        turns = messages[:-1] if prefill else messages
        rendered = _chat_formatter(engine)(messages=[{"role": m["role"], "content": _text(m)} for m in turns])
        return engine.tokenize(rendered.prompt + prefill, add_special=False)
    return engine.tokenize(_text(messages[-1]) if messages else "")


def _generation_options(params: dict) -> dict:
    stop = params.get("stop")
    logprobs = params.get("logprobs")
    return {
        "n": int(params.get("n") or 1),
        "max_tokens": int(params.get("max_tokens") or params.get("max_completion_tokens") or 256),
        "temperature": float(params["temperature"]) if params.get("temperature") is not None else 1.0,
        "top_p": float(params["top_p"]) if params.get("top_p") is not None else 1.0,
        "seed": params.get("seed"),
        "stop": [stop] if isinstance(stop, str) else list(stop or []),
        "logprobs": int(params.get("top_logprobs") or 0) if logprobs else None,
    }


def _response(model_response, model_name: str, samples: list[Sample], prompt_tokens: int):
    def logprobs(sample: Sample):
        if sample.logprobs is None:
            return None
        return ChoiceLogprobs(content=[ChatCompletionTokenLogprob(
            token=t.token, logprob=t.logprob, bytes=list(t.token.encode()),
            top_logprobs=[{"token": tok, "logprob": lp, "bytes": list(tok.encode())} for tok, lp in t.top])
            for t in sample.logprobs])

    model_response.choices = [
        Choices(index=i, finish_reason=s.finish_reason, logprobs=logprobs(s),
                message=Message(role="assistant", content=s.text)) for i, s in enumerate(samples)]
    completion = sum(s.completion_tokens for s in samples)
    model_response.usage = Usage(prompt_tokens=prompt_tokens, completion_tokens=completion,
                                 total_tokens=prompt_tokens + completion)
    model_response.model = f"{PROVIDER}/{model_name}"
    model_response.id = f"local-{uuid.uuid4().hex}"
    model_response.created = int(time.time())
    return model_response


def _litellm_error(exc: Exception, model: str) -> Exception:
    """Map our errors to LiteLLM's classes so callers see 'not found' or 'context too long', not a retryable 500."""
    if isinstance(exc, ContextOverflowError):
        return litellm.ContextWindowExceededError(message=str(exc), model=model, llm_provider=PROVIDER)
    if isinstance(exc, (UnknownLocalModelError, FileNotFoundError)):
        return litellm.NotFoundError(message=str(exc), model=model, llm_provider=PROVIDER)
    return exc


class LocalProvider(CustomLLM):
    """LiteLLM custom provider running :class:`LocalEngine` in process."""

    threads: int | None = None

    def completion(self, model: str, messages: list, model_response=None, optional_params=None, **_):
        try:
            spec, engine = engine_for(model, self.threads)
            prompt = render_prompt(spec, engine, messages)
            samples = engine.generate(prompt, **_generation_options(optional_params or {}))
        except (ContextOverflowError, UnknownLocalModelError, FileNotFoundError) as exc:
            raise _litellm_error(exc, model) from exc
        return _response(model_response, spec.name, samples, len(prompt))

    async def acompletion(self, *args, **kwargs):
        return await asyncio.to_thread(self.completion, *args, **kwargs)
