"""LMs from settings: :func:`build_lm` for a configured backend, :func:`resolve_lm` for "the LM to use".

Building an LM changes nothing global but what the model needs to be reached at all: an embedded
model registers the ``local/`` LiteLLM provider. Where LM calls are cached is DSPy's setting
(``dspy.configure_cache``, or :func:`~ttc_modules.lm.cache.configure_cache` for the configured
``cache.dir``), never moved by building an LM.

Example:
    >>> from ttc_modules.config import load_settings
    >>> lm = build_lm(load_settings())  # the embedded model, nothing loaded yet
    >>> lm.model, lm.prompt_style, lm.params
    ('local/smollm2-135m-instruct', 'few_shot_chat', 135000000.0)
    >>> build_lm(load_settings(), "openai/gpt-4o-mini").prompt_style
    'signature'
"""

from __future__ import annotations

import threading

import dspy

from ttc_modules.config import BackendConfig, ConfigError, Settings, load_settings, settings_sources
from ttc_modules.lm import embedded
from ttc_modules.lm.adopt import adopt
from ttc_modules.lm.client import TTCLM
from ttc_modules.lm.router import RouterSpec


def build_lm(settings: Settings, backend: str | None = None, **overrides) -> TTCLM:
    """Build the :class:`TTCLM` of a configured backend.

    Args:
        settings: a :class:`ttc_modules.config.Settings`.
        backend: a name from ``settings.backends``, a model string, or None for ``settings.backend``.
        **overrides: keyword arguments for :class:`TTCLM` that win over the config.
    """
    config = settings.resolve_backend(backend)
    kwargs = dict(temperature=config.temperature, max_tokens=config.max_tokens, timeout=config.timeout,
                  cache=settings.cache.enabled, params=config.params, model_type=config.model_type,
                  retry_attempts=settings.retry.attempts, retry_initial_wait=settings.retry.initial_wait,
                  retry_max_wait=settings.retry.max_wait, concurrency=settings.concurrency,
                  batch_prompts=config.batch_prompts, **config.extra)
    if settings.local_models or embedded.is_embedded(config.model):
        embedded.register(settings.local_models, threads=settings.threads)
    kwargs.update(_routed(settings, config) if config.routed else _one_endpoint(config))
    if config.prompt_style:
        kwargs["prompt_style"] = config.prompt_style
    kwargs.update(overrides)
    return TTCLM(kwargs.pop("model", config.model), **kwargs)


def _one_endpoint(config: BackendConfig) -> dict:
    """TTCLM arguments reaching a backend's one endpoint (or the embedded model)."""
    kwargs = {}
    if embedded.is_embedded(config.model):
        embedded.resolve_model(config.model)  # an unknown embedded model fails here, by name
        kwargs["model_type"] = "chat"  # DSPy's text route is HTTP-only; the provider prompts base models as text
    if config.api_base:
        kwargs["api_base"] = config.api_base
    if config.api_key():  # fails here, by name, when the variable is not set
        kwargs["api_key_env"] = config.api_key_env  # read again for each request: the LM holds no key
    return kwargs


def _routed(settings: Settings, config: BackendConfig) -> dict:
    """TTCLM arguments sending a backend's requests through LiteLLM's Router (``router.py``): to its
    deployments, then to the backends of ``routing.fallbacks``."""
    try:
        fallbacks = {name: settings.resolve_backend(name) for name in config.routing.fallbacks}
    except ConfigError as error:
        raise ConfigError(f"routing.fallbacks of '{config.model}': {error}") from error
    spec = RouterSpec.from_config(config, fallbacks)
    text = {"prompt_style": "few_shot_text"} if spec.text else {}
    return {"model": spec.model, "router": spec, "model_type": "chat", **text}  # the provider takes the text route


def resolve_lm(lm=None):
    """``lm`` if given, else the LM set with ``dspy.configure``, else the configured default backend; a
    plain ``dspy.LM`` taken in as a TTCLM (``adopt.py``), so budgets and accounting hold for it."""
    if lm is not None:
        return adopt(lm)
    if dspy.settings.lm is not None:
        return adopt(dspy.settings.lm)
    return default_lm()


_DEFAULTS: dict[tuple, TTCLM] = {}
_DEFAULTS_LOCK = threading.Lock()


def default_lm() -> TTCLM:
    """The configured default backend (the embedded model out of the box), built once per distinct settings
    sources (the ``TTC_`` variables and the config file: :func:`~ttc_modules.config.settings_sources`), so a
    changed setting takes effect while every request of unchanged settings shares one LM (its engine, slots
    and connections) without parsing the settings again."""
    key = settings_sources()
    with _DEFAULTS_LOCK:
        if key not in _DEFAULTS:
            _DEFAULTS[key] = build_lm(load_settings())
        return _DEFAULTS[key]
