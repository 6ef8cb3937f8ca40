"""Providers of our own registered with LiteLLM (``local/``, ``ttc-router/``), each once per process.

Example:
    >>> from litellm import CustomLLM
    >>> first = registered("example-provider", CustomLLM)
    >>> registered("example-provider", CustomLLM) is first
    True
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import litellm
from litellm import CustomLLM

_lock = threading.Lock()


def registered(provider: str, make: Callable[[], CustomLLM]) -> CustomLLM:
    """The handler LiteLLM calls for ``provider/...`` models: the one registered, else ``make()``, registered now."""
    with _lock:
        handler = next((item["custom_handler"] for item in litellm.custom_provider_map
                        if item["provider"] == provider), None)
        if handler is None:
            handler = make()
            litellm.custom_provider_map = [*litellm.custom_provider_map,
                                           {"provider": provider, "custom_handler": handler}]
            litellm.utils.custom_llm_setup()
        return handler
