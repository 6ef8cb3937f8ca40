"""API keys held in memory only: never pickled, never in ``repr``, a state dump, a cache key or a log.

An LM is pickled by multiprocessing and Ray, deep-copied by DSPy, and dumped with its program's
state. So :class:`~ttc_modules.lm.TTCLM` keeps no key in its attributes: a key given directly is
kept here, in this process, under a random handle (which is all the LM holds, so in-process copies
still find it, and an LM unpickled in another process has none); a key named by ``api_key_env`` is
read from the environment when each request is made (so workers read their own environment).

Example:
    >>> handle = remember("sk-secret")
    >>> recall(handle), "sk-secret" in repr(handle)
    ('sk-secret', False)
    >>> recall(None) is None
    True
"""

from __future__ import annotations

import os
import secrets
import threading

from pydantic import SecretStr

_KEYS: dict[str, SecretStr] = {}
_LOCK = threading.Lock()


def remember(key: str | None) -> str | None:
    """A handle for ``key`` (None for no key); the key stays in this process's memory."""
    if not key:
        return None
    handle = f"key-{secrets.token_hex(8)}"
    with _LOCK:
        _KEYS[handle] = SecretStr(key)
    return handle


def recall(handle: str | None) -> str | None:
    """The key behind ``handle`` in this process (None when there is none here)."""
    with _LOCK:
        secret = _KEYS.get(handle) if handle else None
    return secret.get_secret_value() if secret is not None else None


PLACEHOLDER_KEY = "EMPTY"  # what vLLM's documentation sends to a server started without --api-key


def needs_placeholder_key(model: str, model_type: str, api_base: str | None) -> bool:
    """True when a request to the server at ``api_base`` would carry no key at all.

    A local server started without a key (llama.cpp's, vLLM's, SGLang's) accepts any, but the
    ``openai`` client under LiteLLM refuses to send a request without one. The key LiteLLM or DSPy
    would find in the environment (``OPENAI_API_KEY`` and the like) is never replaced.

    Example (with ``OPENAI_API_KEY`` unset, ``openai/smollm2`` at ``http://127.0.0.1:8080/v1`` gets
    the placeholder; ``tests/lm/test_openai_backend.py`` covers each provider):
        >>> needs_placeholder_key("openai/gpt-4o-mini", "chat", None)  # a hosted API: its own key is needed
        False
    """
    if not api_base:
        return False
    provider = model.split("/", 1)[0]
    if model_type == "text":  # DSPy's text route: {provider}_API_KEY, then the openai client's own variable
        return not any(os.environ.get(name) for name in (f"{provider}_API_KEY", f"{provider.upper()}_API_KEY",
                                                         "OPENAI_API_KEY"))
    import litellm

    return not litellm.validate_environment(model, api_base=api_base)["keys_in_environment"]


def key_for_request(handle: str | None, env: str | None) -> str | None:
    """The key to send now: the one remembered under ``handle``, else the variable ``env`` names."""
    return recall(handle) or (os.environ.get(env) or None if env else None)
