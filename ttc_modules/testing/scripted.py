"""A scripted LM: an in-process LiteLLM provider answering from a function of the prompt and the seed.

As a server does, it cuts each answer before the first of the request's ``stop`` strings.

:class:`ScriptedProvider` is registered with LiteLLM as ``fake/``, so a :class:`~ttc_modules.lm.TTCLM`
built on it runs the real path (DSPy, LiteLLM, the cache, our retries and usage capture) with
answers chosen by a function of the prompt and the sample's seed, never of the call order.

Example:
    >>> from ttc_modules.testing import scripted_lm
    >>> lm = scripted_lm(lambda prompt, seed: f"The answer is {len(prompt) % 7}.", cache=False)
    >>> lm(messages=[{"role": "user", "content": "hello"}], seed=1)
    ['The answer is 5.']
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import litellm
from litellm import CustomLLM
from litellm.types.utils import Choices, Message, Usage

from ttc_modules.lm.client import TTCLM
from ttc_modules.testing.loopback import cut_at_stop

Responder = Callable[[str, int], str]  # (last message text, seed of this sample) -> completion

END_OF_TEXT = "<|end-of-text|>"
"""End a scripted completion with this to say the model ended its text there: the provider strips it
and reports vLLM's ``stop_reason`` None, as the embedded engine does (``ttc_modules/lm/endings.py``).
Completions without it report no stop reason, as a hosted API does."""


class ScriptedProvider:
    """LiteLLM custom provider whose answers come from ``responder(prompt, seed)``.

    Sample ``i`` of a request with seed ``s`` is answered for seed ``s + i``, as the embedded model
    does. ``calls`` counts the requests that reached the provider (cache hits never do), ``samples``
    the samples they asked for, ``tokens`` the prompt and completion tokens it reported;
    ``async_threads`` holds, for each request that came through LiteLLM's async client (``acall``), the
    thread it ran on (an event loop's).
    """

    def __init__(self, responder: Responder):
        self.responder = responder
        self.calls = self.samples = self.tokens = 0
        self.async_threads: list[int] = []
        self._lock = threading.Lock()

    def completion(self, model: str, messages: list, model_response=None, optional_params=None, **_):
        params = optional_params or {}
        prompt = str(messages[-1].get("content", "")) if messages else ""
        seed = int(params.get("seed") or 0)
        texts = [cut_at_stop(self.responder(prompt, seed + i), params.get("stop")) for i in range(int(params.get("n") or 1))]
        ended = [stop is None and t.endswith(END_OF_TEXT) for t, stop in texts]
        texts = [t.removesuffix(END_OF_TEXT) for t, _ in texts]
        model_response.choices = [
            Choices(index=i, finish_reason="stop", message=Message(role="assistant", content=t),
                    provider_specific_fields={"stop_reason": None} if end else None)
            for i, (t, end) in enumerate(zip(texts, ended, strict=True))]
        completion = sum(len(t.split()) for t in texts)
        prompt_tokens = sum(len(str(m.get("content", "")).split()) for m in messages)
        with self._lock:
            self.calls += 1
            self.samples += len(texts)
            self.tokens += prompt_tokens + completion
        model_response.usage = Usage(prompt_tokens=prompt_tokens, completion_tokens=completion,
                                     total_tokens=prompt_tokens + completion)
        model_response.created = int(time.time())
        return model_response

    async def acompletion(self, *args, **kwargs):
        with self._lock:
            self.async_threads.append(threading.get_ident())
        return self.completion(*args, **kwargs)


def _register(provider: ScriptedProvider, name: str) -> None:
    handler = type("ScriptedHandler", (CustomLLM,), {
        "completion": lambda self, *a, **k: provider.completion(*a, **k),
        "acompletion": lambda self, *a, **k: provider.acompletion(*a, **k)})()
    litellm.custom_provider_map = [item for item in litellm.custom_provider_map if item["provider"] != name]
    litellm.custom_provider_map.append({"provider": name, "custom_handler": handler})
    litellm.utils.custom_llm_setup()


def scripted_lm(responder: Responder, provider: str = "fake", base: bool = False, name: str = "scripted",
                **kwargs) -> TTCLM:
    """A :class:`TTCLM` named ``provider/name`` on a freshly registered :class:`ScriptedProvider`
    (``lm.provider_fake`` holds it; the newest registration answers for every LM of ``provider``).

    It is prompted as the embedded chat models are (``few_shot_chat``); ``base=True`` makes it behave as
    a base model, prompted with plain few-shot text (``few_shot_text``).
    """
    fake = ScriptedProvider(responder)
    _register(fake, provider)
    kwargs.setdefault("batch_samples", True)
    kwargs.setdefault("prompt_style", "few_shot_text" if base else "few_shot_chat")
    lm = TTCLM(f"{provider}/{name}", **kwargs)
    lm.provider_fake = fake
    return lm
