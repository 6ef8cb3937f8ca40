"""The embedded backend: GGUF models run in this process, reached through LiteLLM as ``local/<name>``.

- ``catalogue.py``: which models there are, where their files come from, what each is
  (:class:`EmbeddedModel`, :func:`resolve_model`, :func:`lm_options`).
- ``provider.py``: the LiteLLM provider (:func:`register`): requests, options, responses, errors.
- ``engine.py``: llama.cpp's server scheduler in process (xllamacpp): continuous batching of every
  request's samples, embeddings (:class:`LocalEngine`).
- ``chat_template.py``, ``gguf_metadata.py``: a chat rendered with the template the GGUF file carries,
  read from the file's header.
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
from ttc_modules.lm.embedded.provider import LocalProvider, build_request, ensure_registered, register

__all__ = ["DEFAULT_EMBEDDED_MODEL", "EMBEDDED_MODELS", "PROVIDER", "EmbeddedModel", "LocalProvider",
           "UnknownLocalModelError", "add_model", "build_request", "ensure_registered", "is_embedded", "known_models",
           "lm_options", "register", "resolve_model"]
