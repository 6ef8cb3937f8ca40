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


def key_for_request(handle: str | None, env: str | None) -> str | None:
    """The key to send now: the one remembered under ``handle``, else the variable ``env`` names."""
    return recall(handle) or (os.environ.get(env) or None if env else None)
