"""Which backend answered: the identity every cache and stored result is keyed by, never a secret.

Two servers may serve the same model name (``openai/stub`` on two ports, a replica with other
weights, a quantised copy): an answer cached from one must never be served for the other. DSPy's
response cache leaves ``api_base``, ``base_url`` and ``api_key`` out of its key, so :class:`TTCLM`
adds :func:`backend_identity` to the key of every call (:func:`keyed_by_backend`), and the sample
bank, the result rows and the LLM judge's score cache carry it too.

The identity is the model, the endpoint (``api_base`` or ``base_url``, without a trailing ``/``),
the kind of endpoint (chat or text), how the model is prompted, the LM's default request
settings (temperature, max_tokens, ...), for an embedded model the engine's version, and for a
backend at several endpoints every deployment's model and endpoint (``router.py``); never a key, a
header or a client setting such as the timeout. :data:`CACHE_FORMAT` is part of it, so entries written before the identity was part of
the key are never read back under it.

Example:
    >>> import dspy
    >>> a = dspy.LM("openai/stub", api_base="http://127.0.0.1:8001/v1/", api_key="sk-secret", temperature=0.8)
    >>> b = dspy.LM("openai/stub", api_base="http://127.0.0.1:8002/v1", api_key="sk-secret", temperature=0.8)
    >>> backend_identity(a)["api_base"], backend_identity(a) == backend_identity(b)
    ('http://127.0.0.1:8001/v1', False)
    >>> "sk-secret" in str(backend_identity(a))
    False
"""

from __future__ import annotations

import dataclasses
import hashlib
import json

from ttc_modules.lm.dspy_compat import PreparedCall
from ttc_modules.lm.embedded.catalogue import engine_version, is_embedded

CACHE_FORMAT = 3  # 3: responses say where each sample ended (vLLM's stop_reason; endings.py)
"""The version of every cache key and row fingerprint the project writes; raised when what they mean changes."""

# Request settings that do not change what the model answers, or must never be stored.
_NOT_IDENTITY = frozenset({"api_key", "api_base", "base_url", "api_version", "extra_headers", "headers", "timeout",
                           "num_retries", "cache", "rollout_id", "max_retries", "organization"})


def backend_identity(lm) -> dict:
    """What answers ``lm``'s requests (see the module docstring): JSON-able, free of secrets."""
    kwargs = dict(getattr(lm, "kwargs", None) or {})
    endpoint = kwargs.get("api_base") or kwargs.get("base_url")
    defaults = {key: value for key, value in kwargs.items() if key not in _NOT_IDENTITY and "key" not in key.lower()}
    identity = {"format": CACHE_FORMAT, "model": lm.model,
                "api_base": str(endpoint).rstrip("/") if endpoint else None,
                "model_type": getattr(lm, "model_type", None), "prompt_style": getattr(lm, "prompt_style", None),
                "defaults": json.loads(json.dumps(defaults, sort_keys=True, default=str))}
    if is_embedded(lm.model):  # another llama.cpp build samples other tokens
        identity["engine"] = engine_version()
    router = getattr(lm, "router", None)
    if router is not None:  # many endpoints: ``model`` names the spec, these name what answers
        identity["deployments"] = router.identity()
    return identity


def backend_id(lm) -> str:
    """A short stable hash of :func:`backend_identity`, for names such as a verifier's cache id.

    Example:
        >>> import dspy
        >>> len(backend_id(dspy.LM("openai/stub", api_base="http://127.0.0.1:8001/v1")))
        16
    """
    return hashlib.sha256(json.dumps(backend_identity(lm), sort_keys=True).encode()).hexdigest()[:16]


@dataclasses.dataclass
class BackendKeyedCall(PreparedCall):
    """DSPy's prepared call whose cache key also names the backend that answers it, and is the same for
    ``acall`` as for a call (DSPy keys them apart; the same request has the same answer either way)."""

    backend: dict | None = None

    def key(self, lm, asynchronous):
        return {**super().key(lm, False), "ttc_backend": self.backend}


def keyed_by_backend(call: PreparedCall, lm) -> BackendKeyedCall:
    """``call`` with :func:`backend_identity` of ``lm`` in its cache key (and in the usage ledger's)."""
    fields = {field.name: getattr(call, field.name) for field in dataclasses.fields(PreparedCall)}
    return BackendKeyedCall(**fields, backend=backend_identity(lm))
