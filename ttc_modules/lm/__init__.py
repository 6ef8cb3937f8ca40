"""The one boundary to ``dspy.LM`` and LiteLLM (as ``dspy/clients/`` is DSPy's).

- ``client.py``: :class:`TTCLM`, a ``dspy.LM`` with one retry layer, usage that survives the
  cache, token budgets checked before the call, a concurrency limit, and what the model is
  (size, ``n`` support, :data:`PromptStyle`).
- ``build.py``: :func:`build_lm` from settings, :func:`resolve_lm` ("the LM to use").
- ``sampling.py``: :func:`sample`, n samples of one prompt with rollout ids and seeds.
- ``endings.py``: whether a sample ended at the model's end of text or at a stop string.
- ``usage.py``: usage per call, cache hits included; :func:`collect_usage`.
- ``retries.py``, ``errors.py``: the retry layer and :class:`BackendError`'s one-line messages.
- ``cache.py``: where DSPy caches LM calls, and our caches beside it.
- ``listing.py``: the embedded models and the configured backends, as ``ttc models`` lists them.
- ``identity.py``: :func:`backend_identity`, what every cache key and stored result names (never a secret).
- ``api_keys.py``: API keys in memory only, never pickled, dumped or logged.
- ``router.py``: one model at several endpoints, through LiteLLM's Router as the ``ttc-router/`` provider.
- ``embedded/``: GGUF models in process as the ``local/`` LiteLLM provider.
- ``custom_providers.py``: registering those providers with LiteLLM, once per process.
- ``dspy_compat.py``: the DSPy internals the client builds on, imported in one place.

Example:
    >>> from ttc_modules.config import load_settings
    >>> lm = build_lm(load_settings())  # the embedded model, nothing loaded yet
    >>> lm.model
    'local/smollm2-135m-instruct'
    >>> texts = sample(lm, [{"role": "user", "content": "2 + 2 = ?"}], n=4, seed=0)  # doctest: +SKIP
"""

from ttc_modules.lm.build import build_lm, default_lm, resolve_lm
from ttc_modules.lm.cache import beside_dspy_cache, configure_cache
from ttc_modules.lm.client import TTCLM, PromptStyle, prompt_style
from ttc_modules.lm.errors import BackendError
from ttc_modules.lm.identity import CACHE_FORMAT, backend_identity
from ttc_modules.lm.sampling import Samples, rollout_options, sample, share_tokens
from ttc_modules.lm.usage import collect_usage

__all__ = ["CACHE_FORMAT", "TTCLM", "BackendError", "backend_identity", "PromptStyle", "Samples", "beside_dspy_cache", "build_lm", "collect_usage",
           "configure_cache", "default_lm", "prompt_style", "resolve_lm", "rollout_options", "sample",
           "share_tokens"]
