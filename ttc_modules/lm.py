"""The one boundary to ``dspy.LM`` and LiteLLM: building LMs from config, rollout ids, retries,
concurrency and usage capture.

:class:`TTCLM` is a ``dspy.LM`` (``engine="litellm"``), so DSPy modules, adapters, optimizers and
DSPy's disk cache work with it unchanged. It adds what test-time compute needs:

- **One retry layer.** DSPy's own retry loop and LiteLLM's are switched off (``num_retries=0``);
  transient failures (429, 5xx, timeouts, dropped connections) are retried here with tenacity,
  exponential backoff with jitter, honouring ``Retry-After``. Permanent ones (401, 400, context too
  long, unknown model) fail at once as a :class:`BackendError` that names the model and the fix.
- **Usage that survives the cache.** Every call reports prompt and completion tokens to the active
  :class:`~ttc_modules.budget.BudgetMeter`, cache hits included (their usage is read back from the
  cached response), and checks the meter's token limit *before* the call.
- **A concurrency limit** per LM across threads.

:func:`sample` draws ``n`` samples of one prompt: sample ``i`` uses rollout id ``i`` and seed
``seed + i``, so a rerun is a cache hit while distinct samples stay distinct. Where the backend
takes ``n``, one request carries several samples.

Example:
    >>> from ttc_modules.config import load_settings
    >>> lm = build_lm(load_settings())  # the embedded model, nothing loaded yet
    >>> lm.model
    'local/smollm2-135m-instruct'
    >>> texts = sample(lm, [{"role": "user", "content": "2 + 2 = ?"}], n=4, seed=0)  # doctest: +SKIP
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import logging
import os
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor

import dspy
from dspy.utils.callback import with_callbacks

from ttc_modules.budget import current_meter

logger = logging.getLogger(__name__)

# Providers whose chat endpoint returns several choices for one request with ``n``.
N_CAPABLE_PROVIDERS = ("local", "openai", "hosted_vllm", "azure", "together_ai", "fireworks_ai", "deepseek")


class BackendError(RuntimeError):
    """A backend call failed for good; the message names the model and the fix (one line)."""


class TTCLM(dspy.LM):
    """``dspy.LM`` with our retries, usage capture (cache hits included) and a concurrency limit.

    Args:
        model: a LiteLLM model string, e.g. ``local/smollm2-135m-instruct`` or ``openai/gpt-4o-mini``.
        params: model size in parameters, for FLOPs estimates (None: unknown).
        retry_attempts: total attempts for a transient failure (1 = no retry).
        retry_initial_wait, retry_max_wait: backoff bounds in seconds.
        concurrency: requests in flight at once through this LM, across threads.
        batch_samples: send ``n`` in one request (None: decide from the provider).
        base_model: the model is a base model wanting plain few-shot text (None: decide from the model).
        **kwargs: passed to ``dspy.LM`` (temperature, max_tokens, api_base, api_key, cache...).
    """

    def __init__(self, model: str, *, params: float | None = None, retry_attempts: int = 5,
                 retry_initial_wait: float = 0.5, retry_max_wait: float = 20.0, concurrency: int = 8,
                 batch_samples: bool | None = None, base_model: bool | None = None, **kwargs):
        super().__init__(model, engine="litellm", num_retries=0, **kwargs)
        self.params = params if params is not None else _known_params(model)
        self.retry_attempts = retry_attempts
        self.retry_initial_wait = retry_initial_wait
        self.retry_max_wait = retry_max_wait
        self.concurrency = concurrency
        self.batch_samples = batch_samples
        self.base_model = base_model
        self._slots = threading.BoundedSemaphore(concurrency)

    def __getstate__(self):
        state = super().__getstate__()
        state.pop("_slots", None)
        return state

    def __setstate__(self, state):
        super().__setstate__(state)
        self._slots = threading.BoundedSemaphore(self.concurrency)

    @property
    def takes_n(self) -> bool:
        """Whether one request may carry several samples."""
        if self.batch_samples is not None:
            return self.batch_samples
        return self.model.split("/", 1)[0] in N_CAPABLE_PROVIDERS

    @with_callbacks
    def __call__(self, prompt=None, *, messages=None, **kwargs):
        from ttc_modules.dspy_compat import execute, finalize, prepare

        call = prepare(self, prompt, messages, kwargs)
        reserved = _reserve_tokens(call)
        try:
            with self._slots:
                result = _with_retries(self, lambda: execute(self, call))
        except BaseException:
            _release(reserved)
            raise
        _report(self, call, result, reserved)
        return finalize(self, call, result)

    async def acall(self, prompt=None, *, messages=None, **kwargs):
        import asyncio

        return await asyncio.to_thread(self.__call__, prompt, messages=messages, **kwargs)


# ---------------------------------------------------------------------------- budget hooks
def _token_bound(call) -> int:
    """An upper bound on a call's tokens: one token per prompt byte plus template overhead,
    and ``n x max_tokens`` for the completions."""
    prompt = sum(len(str(m.get("content", "")).encode()) + 8 for m in call.legacy.get("messages", []))
    max_tokens = call.legacy.get("max_tokens") or call.legacy.get("max_completion_tokens") or 4096
    return prompt + 64 + call.n * int(max_tokens)


def _reserve_tokens(call) -> tuple:
    meter = current_meter()
    if meter is None or meter.remaining("tokens") is None:  # no limit here nor in an outer meter
        return (meter, 0)
    bound = _token_bound(call)
    meter.reserve(tokens=bound)
    return (meter, bound)


def _release(reserved: tuple) -> None:
    meter, tokens = reserved
    if meter is not None and tokens:
        meter.release_tokens(tokens)


def _usage_of(lm: TTCLM, call, result) -> dict:
    """The call's usage; for a cache hit (DSPy empties its usage) the one recorded when it was made."""
    import dspy

    from ttc_modules.dspy_compat import IGNORED_CACHE_KEYS
    from ttc_modules.usage_ledger import ledger_for_dspy_cache

    if not call.cache:
        return dict(result.usage or {})
    key = dspy.cache.cache_key(call.key(lm, False), IGNORED_CACHE_KEYS)
    ledger = ledger_for_dspy_cache()
    if result.cache_hit:
        return ledger.get(key) or {}
    usage = dict(result.usage or {})
    ledger.put(key, usage)
    return usage


_USAGE_SINK: contextvars.ContextVar[list | None] = contextvars.ContextVar("ttc_usage_sink", default=None)


def _report(lm: TTCLM, call, result, reserved: tuple) -> None:
    meter, tokens = reserved
    usage = _usage_of(lm, call, result)
    sink = _USAGE_SINK.get()
    if sink is not None:
        sink.append(usage)
    meter = meter or current_meter()
    if meter is None:
        return
    meter.record_call(prompt_tokens=int(usage.get("prompt_tokens") or 0),
                      completion_tokens=int(usage.get("completion_tokens") or 0),
                      cache_hit=bool(getattr(result, "cache_hit", False)),
                      cost=None if result.cache_hit else result.cost, reserved_tokens=tokens, params=lm.params)


# ---------------------------------------------------------------------------- retries
def _with_retries(lm: TTCLM, attempt: Callable):
    """Run ``attempt`` with tenacity: transient errors retried with jittered exponential backoff."""
    from tenacity import Retrying, retry_if_exception, stop_after_attempt, wait_random_exponential

    from ttc_modules.errors import describe_backend_error, is_transient

    retrying = Retrying(
        stop=stop_after_attempt(lm.retry_attempts),
        wait=_wait_honouring_retry_after(wait_random_exponential(multiplier=lm.retry_initial_wait,
                                                                 max=lm.retry_max_wait)),
        retry=retry_if_exception(is_transient),
        before_sleep=lambda state: logger.warning(
            "%s: %s; retry %d of %d", lm.model, type(state.outcome.exception()).__name__,
            state.attempt_number, lm.retry_attempts - 1),
        reraise=True)
    try:
        return retrying(attempt)
    except Exception as exc:
        if isinstance(exc, BackendError):
            raise
        raise BackendError(describe_backend_error(exc, lm)) from exc


def _wait_honouring_retry_after(fallback):
    def wait(state):
        hint = getattr(state.outcome.exception(), "retry_after", None)
        try:
            return min(float(hint), 60.0) if hint is not None else fallback(state)
        except (TypeError, ValueError):
            return fallback(state)

    return wait


# ---------------------------------------------------------------------------- sampling
@contextlib.contextmanager
def collect_usage() -> Iterator[list[dict]]:
    """Collect the usage of every LM call made in this context (threads started by us included)."""
    usages: list[dict] = []
    token = _USAGE_SINK.set(usages)
    try:
        yield usages
    finally:
        _USAGE_SINK.reset(token)


class Samples(list):
    """The texts of :func:`sample`, with the tokens they took (cache hits included).

    ``tokens[i]`` is sample i's share of the completion tokens, split in proportion to text
    length (usage is reported per request, not per choice); the shares add up to the exact total.
    """

    prompt_tokens: int = 0
    completion_tokens: int = 0
    tokens: list[int]


def sample(lm: TTCLM, messages: list[dict], n: int, seed: int = 0, **kwargs) -> Samples:
    """Draw ``n`` samples of one prompt; sample ``i`` has rollout id ``i`` and seed ``seed + i``.

    Where the backend takes ``n`` the samples share one request (the backend batches them);
    otherwise they are separate requests run concurrently. Either way a rerun with the same seed
    is answered from the cache, and a backend that returns fewer choices than asked (some servers
    ignore ``n``) is topped up with further requests.
    """
    if n < 1:
        raise ValueError(f"n must be >= 1, got {n}; ask for at least one sample")
    with collect_usage() as usages:
        texts, per_call = _draw(lm, messages, n, seed, kwargs)
    samples = Samples(texts)
    samples.prompt_tokens = sum(int(u.get("prompt_tokens") or 0) for u in usages)
    samples.completion_tokens = sum(int(u.get("completion_tokens") or 0) for u in usages)
    samples.tokens = _split_tokens(texts, per_call, usages)
    return samples


def _draw(lm: TTCLM, messages: list[dict], n: int, seed: int, kwargs: dict) -> tuple[list[str], list[int]]:
    """The texts, and how many texts each call returned (in order)."""
    texts: list[str] = []
    per_call: list[int] = []
    rollout = rollout_options(lm, kwargs.get("temperature"))
    if getattr(lm, "takes_n", False):  # any dspy.LM works; only a TTCLM knows whether to batch
        texts = _texts(lm(messages=messages, n=n, seed=seed, **rollout(0), **kwargs))[:n]
        per_call.append(len(texts))
    missing = range(len(texts), n)
    if missing:
        with ThreadPoolExecutor(max_workers=max(1, min(getattr(lm, "concurrency", 8), len(missing)))) as pool:
            one = lambda i: _texts(lm(messages=messages, seed=seed + i, **rollout(i), **kwargs))[0]  # noqa: E731
            texts += list(pool.map(in_context(one), missing))
        per_call += [1] * len(missing)
    return texts, per_call


def rollout_options(lm, temperature: float | None = None) -> Callable[[int], dict]:
    """``i -> {"rollout_id": i}``, or ``i -> {}`` when sampling is greedy (all greedy samples are one)."""
    greedy = (temperature if temperature is not None else lm.kwargs.get("temperature")) == 0
    return (lambda i: {}) if greedy else (lambda i: {"rollout_id": i})


def share_tokens(total: int, texts: list[str]) -> list[int]:
    """Split ``total`` tokens among ``texts`` in proportion to their length; the shares add up to ``total``."""
    if not texts:
        return []
    weights = [len(t) + 1 for t in texts]
    shares = [total * w // sum(weights) for w in weights]
    shares[-1] += total - sum(shares)
    return shares


def _split_tokens(texts: list[str], per_call: list[int], usages: list[dict]) -> list[int]:
    """Each text's completion tokens: each call's total shared among the texts it returned."""
    if len(usages) != len(per_call):  # calls ran concurrently: usages arrive in completion order
        total = sum(int(u.get("completion_tokens") or 0) for u in usages)
        per_call, usages = [len(texts)], [{"completion_tokens": total}]
    shares, start = [], 0
    for count, usage in zip(per_call, usages, strict=True):
        shares += share_tokens(int(usage.get("completion_tokens") or 0), texts[start:start + count])
        start += count
    return shares


def in_context(fn: Callable) -> Callable:
    """Wrap ``fn`` so it runs in a copy of the caller's context (the active meter, DSPy settings)."""
    import contextvars

    context = contextvars.copy_context()
    return lambda *args: context.copy().run(fn, *args)


def _texts(outputs: list) -> list[str]:
    return [o["text"] if isinstance(o, dict) else str(o) for o in outputs]


def is_base_model(lm) -> bool:
    """True when the model wants a plain few-shot text prompt rather than a chat.

    An LM may say so itself (``lm.base_model``); otherwise embedded models know, and other models
    are base models when they are reached through a text-completion endpoint (``model_type="text"``).
    """
    from ttc_modules import local

    if getattr(lm, "base_model", None) is not None:
        return lm.base_model
    if lm.model.startswith(f"{local.PROVIDER}/"):
        return not local.resolve_model(lm.model).chat
    return lm.model_type == "text"


# ---------------------------------------------------------------------------- construction
def resolve_lm(lm=None):
    """``lm`` if given, else the LM set with ``dspy.configure``, else the configured default backend."""
    if lm is not None:
        return lm
    if dspy.settings.lm is not None:
        return dspy.settings.lm
    return default_lm()


@functools.cache
def default_lm() -> TTCLM:
    """The configured default backend (the embedded model out of the box), built once per process."""
    from ttc_modules.config import load_settings

    return build_lm(load_settings())


def build_lm(settings, backend: str | None = None, **overrides) -> TTCLM:
    """Build the :class:`TTCLM` of a configured backend.

    Args:
        settings: a :class:`ttc_modules.config.Settings`.
        backend: a name from ``settings.backends``, a model string, or None for ``settings.backend``.
        **overrides: keyword arguments for :class:`TTCLM` that win over the config.
    """
    from ttc_modules import local

    config = settings.resolve_backend(backend)
    local.register(settings.local_models, threads=settings.threads)
    configure_cache(settings)
    model_type = config.model_type
    if config.model.startswith(f"{local.PROVIDER}/"):
        local.resolve_model(config.model)  # an unknown embedded model fails now, by name
        model_type = "chat"  # DSPy's "text" route is HTTP-only; the provider itself runs base models as text
    kwargs = dict(temperature=config.temperature, max_tokens=config.max_tokens, timeout=config.timeout,
                  cache=settings.cache.enabled, params=config.params,
                  retry_attempts=settings.retry.attempts, retry_initial_wait=settings.retry.initial_wait,
                  retry_max_wait=settings.retry.max_wait, concurrency=settings.concurrency,
                  model_type=model_type, **config.extra)
    if config.api_base:
        kwargs["api_base"] = config.api_base
    key = config.api_key()
    if key:
        kwargs["api_key"] = key
    kwargs.update(overrides)
    return TTCLM(config.model, **kwargs)


def _known_params(model: str) -> float | None:
    """The size of an embedded model (None for other models, or an embedded one not known yet)."""
    from ttc_modules import local

    if not model.startswith(f"{local.PROVIDER}/"):
        return None
    try:
        return local.resolve_model(model).params
    except local.UnknownLocalModelError:
        return None


_cache_dir: str | None = None


def configure_cache(settings) -> None:
    """Point DSPy's disk cache at ``settings.cache.dir`` (once per directory per process)."""
    global _cache_dir
    directory = str(settings.cache.dir)
    if directory == _cache_dir:
        return
    dspy.configure_cache(enable_disk_cache=settings.cache.enabled, enable_memory_cache=True,
                         disk_cache_dir=os.path.join(directory, "lm"))
    _cache_dir = directory
