"""LiteLLM's switches for what a request's path does not need: each found by profiling one call.

**A zero price for each model LiteLLM cannot price.** After each response LiteLLM works out what it
cost (``response_cost`` in its hidden params), even for a model it has no price for: for a served
model it does not know (``openai/my-model`` at a vLLM ``api_base``, ``hosted_vllm/...``, the embedded
``local/`` models, ``ttc-router/...``) it searches its cost map about a dozen ways before giving up,
about a fifth of its own time per request. LiteLLM has no switch to skip this, so each such model is
entered in its cost map (``litellm.model_cost``) at zero, once per process
(:func:`price_unknown_at_zero`): the lookup then ends at its first try, and the cost is what LiteLLM
would report anyway (nothing). A model LiteLLM prices (``openai/gpt-4o-mini``) is left as it is, so
budgets in money still see real prices. Nothing is fetched: the cost map stays LiteLLM's local copy
(``LITELLM_LOCAL_MODEL_COST_MAP``, set when ``ttc_modules`` is imported).

**One HTTP session for text completions.** LiteLLM keeps its OpenAI clients for chat requests, but
builds a new one for every text completion (``/v1/completions``, the route of ``model_type: text``
and of a search round's list of prompts), and with it a new TLS context: about 20 ms per request
on this machine, loopback or not. Its own switch for that, ``litellm.client_session``, is an
``httpx.Client`` the new clients share; :func:`share_text_route_session` sets one (keeping its
connections to each endpoint open) unless the user set their own.

Example:
    >>> price_unknown_at_zero("hosted_vllm/my-served-model")
    True
    >>> litellm.model_cost["hosted_vllm/my-served-model"]["input_cost_per_token"]
    0.0
    >>> price_unknown_at_zero("openai/gpt-4o-mini")  # priced by LiteLLM: left as it is
    False
    >>> share_text_route_session() is litellm.client_session
    True
"""

from __future__ import annotations

import threading

import httpx
import litellm

_lock = threading.Lock()
_seen: dict[str, bool] = {}


def price_unknown_at_zero(model: str) -> bool:
    """Enter ``model`` (a LiteLLM model string) in LiteLLM's cost map at zero if LiteLLM cannot price it;
    True when it was entered (now or before)."""
    with _lock:
        if model not in _seen:
            _seen[model] = not _priced(model)
            if _seen[model]:
                provider = model.split("/", 1)[0] if "/" in model else "openai"
                litellm.model_cost[model] = {"input_cost_per_token": 0.0, "output_cost_per_token": 0.0,
                                             "litellm_provider": provider, "mode": "chat"}
        return _seen[model]


def _priced(model: str) -> bool:
    """Whether LiteLLM's cost map has ``model``, under its full string or its name without the provider (as
    LiteLLM keys most hosted models); read from the map itself (``litellm.get_model_info`` prints to stdout
    for a provider it does not know)."""
    entry = litellm.model_cost.get(model) or litellm.model_cost.get(model.split("/", 1)[-1]) or {}
    return entry.get("input_cost_per_token") is not None


def share_text_route_session() -> httpx.Client:
    """``litellm.client_session``: the user's, or one set here once (see the module docstring)."""
    with _lock:
        if litellm.client_session is None:
            litellm.client_session = httpx.Client(limits=httpx.Limits(max_connections=None,
                                                                      max_keepalive_connections=64))
        return litellm.client_session
