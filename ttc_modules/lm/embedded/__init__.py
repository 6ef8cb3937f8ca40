"""The embedded backend: GGUF models run in this process, reached through LiteLLM as ``local/<name>``.

- ``catalogue.py``: which models there are, where their files come from, what each is
  (:class:`EmbeddedModel`, :func:`resolve_model`, :func:`lm_options`).
- ``provider.py``: the LiteLLM provider (:func:`register`): chat templates, options, responses.
- ``engine.py``: llama.cpp in process, batched decoding of several samples (:class:`LocalEngine`).
"""

from ttc_modules.lm.embedded.catalogue import (
    DEFAULT_EMBEDDED_MODEL,
    EMBEDDED_MODELS,
    PROVIDER,
    EmbeddedModel,
    UnknownLocalModelError,
    add_model,
    is_embedded,
    known_models,
    lm_options,
    resolve_model,
)
from ttc_modules.lm.embedded.provider import LocalProvider, register, render_prompt

__all__ = ["DEFAULT_EMBEDDED_MODEL", "EMBEDDED_MODELS", "PROVIDER", "EmbeddedModel", "LocalProvider",
           "UnknownLocalModelError", "add_model", "is_embedded", "known_models", "lm_options", "register",
           "render_prompt", "resolve_model"]
