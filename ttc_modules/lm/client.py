"""``TTCLM``: a ``dspy.LM`` with one retry layer, usage that survives the cache, budgets checked first.

:class:`TTCLM` is a ``dspy.LM`` (``engine="litellm"``), so DSPy modules, adapters, optimizers and
DSPy's cache work with it unchanged. It runs DSPy's own prepare -> execute -> finalize steps
(``dspy_compat.py``) and adds what test-time compute needs:

- **answers keyed by the backend**: the cache key names the endpoint that answered, not only the
  model name (``identity.py``), so two servers behind one name never share answers;
- **one retry layer** around execute (``retries.py``; DSPy's and LiteLLM's are off);
- **usage that survives the cache**: every call reports prompt and completion tokens to the active
  :class:`~ttc_modules.budget.BudgetMeter`, cache hits included (``usage.py``), and a meter's token
  and FLOPs limits are checked *before* the call, against the call's worst case
  (:func:`samples_that_fit` says how many samples of a prompt still fit);
- **a search round in one request**: ``batch_prompts`` says whether a list of prompts may go in one
  request (``prompt_lists.py``; None: where the backend takes it);
- **LiteLLM's per-call waste cut** (``switches.py``): no price lookup for models it cannot price, one
  HTTP session for text completions;
- **how each sample ended**: ``lm(..., endings=True)`` marks the samples the model ended itself, where
  the backend says so (vLLM's ``stop_reason``; the embedded engine gives it too: ``endings.py``);
- **a concurrency limit** per LM across threads (and per event loop for ``acall``, whose requests are
  coroutines on the caller's loop);
- **what the LM is**: ``params`` (for FLOPs), whether one request may carry ``n`` samples
  (``takes_n``) and its :data:`PromptStyle`, which decides how strategies prompt it; for an
  embedded model these come from its catalogue entry unless given.

Example:
    >>> lm = TTCLM("openai/gpt-4o-mini")
    >>> lm.takes_n, lm.prompt_style, prompt_style(TTCLM("hosted_vllm/base", model_type="text"))
    (True, 'signature', 'few_shot_text')
    >>> embedded = TTCLM("local/smollm2-135m-instruct")
    >>> embedded.params, embedded.prompt_style, embedded.takes_n
    (135000000.0, 'few_shot_chat', True)
"""

from __future__ import annotations

import asyncio
import functools
import threading
import weakref
from dataclasses import dataclass
from typing import get_args

import dspy
from dspy.utils.callback import with_callbacks

from ttc_modules.budget import current_meter
from ttc_modules.config import PromptStyle
from ttc_modules.lm.api_keys import PLACEHOLDER_KEY, key_for_request, needs_placeholder_key, remember
from ttc_modules.lm.dspy_compat import aexecute, execute, finalize, prepare
from ttc_modules.lm.embedded.catalogue import is_embedded, lm_options
from ttc_modules.lm.embedded.provider import ensure_registered
from ttc_modules.lm.endings import with_endings
from ttc_modules.lm.errors import BackendError, rejects_n
from ttc_modules.lm.identity import keyed_by_backend
from ttc_modules.lm.retries import awith_retries, with_retries
from ttc_modules.lm.router import RouterSpec, text_route_model
from ttc_modules.lm.switches import price_unknown_at_zero, share_text_route_session
from ttc_modules.lm.usage import heard, usage_of

# Providers whose chat endpoint returns several choices for one request with ``n``.
N_CAPABLE_PROVIDERS = ("openai", "hosted_vllm", "azure", "together_ai", "fireworks_ai", "deepseek")
# Providers that take OpenAI's sampling options (seed, logprobs, n) as they are. To any other, LiteLLM is
# told to drop the options it does not take (Anthropic refuses ``seed``), instead of refusing the call.
OPENAI_LIKE_PROVIDERS = (*N_CAPABLE_PROVIDERS, "local", "text-completion-openai", "fake")


class TTCLM(dspy.LM):
    """``dspy.LM`` with our retries, usage capture (cache hits included) and a concurrency limit.

    Args:
        model: a LiteLLM model string, e.g. ``local/smollm2-135m-instruct`` or ``openai/gpt-4o-mini``.
        params: model size in parameters, for FLOPs estimates (None: known for embedded models, else unknown).
        retry_attempts: total attempts for a transient failure (1 = no retry).
        retry_initial_wait, retry_max_wait: backoff bounds in seconds.
        concurrency: requests in flight at once through this LM, across threads.
        batch_samples: send ``n`` in one request (None: decide from the provider).
        batch_prompts: send a search round's prompts as one list (None: where the backend takes it:
            ``prompt_lists.py``; set False after a backend refused a list).
        prompt_style: how strategies prompt this model (None: ``few_shot_text`` for a text-completion
            endpoint, ``signature`` otherwise).
        api_key: a key, kept in this process's memory only (``api_keys.py``): never pickled or dumped.
        api_key_env: the environment variable holding the key, read when each request is made (use it
            for LMs sent to other processes).
        router: the deployments this LM's requests are routed among (``router.py``; ``build_lm`` makes it
            from a backend's ``deployments``): ``model`` is then ``router.model``, and each deployment
            has its own endpoint and key.
        **kwargs: passed to ``dspy.LM`` (temperature, max_tokens, api_base, cache...).
    """

    def __init__(self, model: str, *, params: float | None = None, retry_attempts: int = 5,
                 retry_initial_wait: float = 0.5, retry_max_wait: float = 20.0, concurrency: int = 8,
                 batch_samples: bool | None = None, batch_prompts: bool | None = None, prompt_style: PromptStyle | None = None,
                 api_key: str | None = None, api_key_env: str | None = None, router: RouterSpec | None = None,
                 **kwargs):
        if router is not None and router.register() != model:  # LiteLLM's ``ttc-router/`` provider reaches them
            raise ValueError(f"a routed LM's model is its router's, {router.model}, not {model}")
        super().__init__(model, engine="litellm", num_retries=0, **kwargs)
        if is_embedded(model):
            ensure_registered()  # LiteLLM's ``local/`` provider (nothing is loaded until the first request)
        self.router = router
        self.api_key_handle, self.api_key_env = remember(api_key), api_key_env
        known = lm_options(model)  # what the catalogue knows of an embedded model
        self.params = params if params is not None else known.get("params")
        self.retry_attempts = retry_attempts
        self.retry_initial_wait = retry_initial_wait
        self.retry_max_wait = retry_max_wait
        self.concurrency = concurrency
        self.batch_samples = batch_samples if batch_samples is not None else known.get("batch_samples")
        self.batch_prompts = batch_prompts
        self.prompt_style: PromptStyle = prompt_style or known.get("prompt_style") or _style_of_endpoint(self.model_type)
        self._make_slots()
        self._use_litellm_switches()

    def _use_litellm_switches(self) -> None:
        """LiteLLM's switches for this LM's requests (``switches.py``): every model string LiteLLM prices for
        them, at zero where it knows no price; one HTTP session for text completions."""
        models = [self.model] + ([text_route_model(self.model)] if self.model_type == "text" else [])
        for model in models + (self.router.priced_models() if self.router is not None else []):
            price_unknown_at_zero(model)
        if self.model_type == "text" or (self.router is not None and self.router.text):
            share_text_route_session()

    def _make_slots(self) -> None:
        self._slots = threading.BoundedSemaphore(self.concurrency)  # across threads
        self._loop_slots: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # per event loop
        self._loop_slots_lock = threading.Lock()

    def __getstate__(self):
        state = super().__getstate__()
        for name in ("_slots", "_loop_slots", "_loop_slots_lock"):
            state.pop(name, None)
        return state

    def __setstate__(self, state):
        super().__setstate__(state)
        self._make_slots()
        self._use_litellm_switches()
        if getattr(self, "router", None) is not None:
            self.router.register()  # unpickled in another process: its Router is built there

    @property
    def label(self) -> str:
        """How messages name this LM: its model, or a routed LM's model and its number of deployments."""
        return self.router.label if getattr(self, "router", None) is not None else self.model

    @property
    def answering_provider(self) -> str:
        """The LiteLLM provider answering: the model string's prefix, or the routed deployments'."""
        return self.router.provider if getattr(self, "router", None) is not None else self.model.split("/", 1)[0]

    @property
    def takes_n(self) -> bool:
        """Whether one request may carry several samples."""
        if self.batch_samples is not None:
            return self.batch_samples
        return self.answering_provider in N_CAPABLE_PROVIDERS

    @functools.cached_property
    def _placeholder_key(self) -> str | None:
        """The key sent to a server at ``api_base`` when none is configured or in the environment (a routed
        LM's deployments have their own keys)."""
        if self.router is not None:
            return None
        needed = needs_placeholder_key(self.model, self.model_type, self.kwargs.get("api_base"))
        return PLACEHOLDER_KEY if needed else None

    @with_callbacks
    def __call__(self, prompt=None, *, messages=None, endings: bool = False, **kwargs):
        """DSPy's call; ``endings=True`` returns each output as a dict whose ``ended`` says whether that
        sample ended at the model's end of text (``endings.py``)."""
        call = self.prepare_call(prompt, messages, kwargs, asynchronous=False)
        reserved = reserve_tokens(self, call)
        try:
            with self._slots:
                result = with_retries(self, lambda: execute(self, call))
        except BaseException as error:
            release_tokens(reserved)
            if self._refused_n(error, kwargs):
                return self(prompt, messages=messages, endings=endings, **{**kwargs, "n": 1})
            raise
        return self.settle(call, result, reserved, endings)

    @with_callbacks
    async def acall(self, prompt=None, *, messages=None, endings: bool = False, **kwargs):
        """:meth:`__call__` under ``asyncio``: the request is a coroutine on the running event loop (LiteLLM's
        async client), with the same cache, retries, budget checks and usage; at most ``concurrency``
        requests of this LM are in flight on one loop."""
        call = self.prepare_call(prompt, messages, kwargs, asynchronous=True)
        reserved = reserve_tokens(self, call)
        try:
            async def attempt():
                return await aexecute(self, call)

            async with self._slots_on_this_loop():
                result = await awith_retries(self, attempt)
        except BaseException as error:
            release_tokens(reserved)
            if self._refused_n(error, kwargs):
                return await self.acall(prompt, messages=messages, endings=endings, **{**kwargs, "n": 1})
            raise
        return self.settle(call, result, reserved, endings)

    def prepare_call(self, prompt, messages, kwargs: dict, asynchronous: bool):
        """DSPy's prepared call, with this request's key and the backend in its cache key."""
        kwargs = dict(kwargs)
        key = key_for_request(self.api_key_handle, self.api_key_env) or self._placeholder_key
        if key and "api_key" not in kwargs:
            kwargs["api_key"] = key  # this request's only: not in self.kwargs, not in the cache key
        if self.answering_provider not in OPENAI_LIKE_PROVIDERS:
            kwargs.setdefault("drop_params", True)
        return keyed_by_backend(prepare(self, prompt, messages, kwargs, asynchronous=asynchronous), self)

    def _refused_n(self, error: BaseException, kwargs: dict) -> bool:
        """Whether ``error`` is the backend refusing ``n`` > 1; if so, from now on one sample per request
        (the caller tops up the samples the retried call does not return)."""
        if isinstance(error, BackendError) and (kwargs.get("n") or 1) > 1 and rejects_n(error):
            self.batch_samples = False
            return True
        return False

    def settle(self, call, result, reserved: _Reservation, endings: bool) -> list:
        """The outputs of ``call`` answered by ``result`` (DSPy's ``CallResult``), its usage reported to the
        meter that ``reserved`` it; with ``endings``, each output says where its sample ended."""
        _report(self, call, result, reserved)
        outputs = finalize(self, call, result)
        return with_endings(outputs, result.raw) if endings else outputs

    def _slots_on_this_loop(self) -> asyncio.Semaphore:
        """The running event loop's limit on this LM's requests in flight."""
        loop = asyncio.get_running_loop()
        with self._loop_slots_lock:
            if loop not in self._loop_slots:
                self._loop_slots[loop] = asyncio.Semaphore(self.concurrency)
            return self._loop_slots[loop]


def prompt_style(lm) -> PromptStyle:
    """How to prompt ``lm``: its own :data:`PromptStyle`, or, for any other ``dspy.LM``, the one its endpoint implies."""
    return getattr(lm, "prompt_style", None) or _style_of_endpoint(lm.model_type)


def checked_prompt_style(style: str) -> str:
    """``style`` if it is ``auto`` or a :data:`PromptStyle`, else one line naming the choices.

    Example:
        >>> checked_prompt_style("few_shot_chat")
        'few_shot_chat'
        >>> checked_prompt_style("text")
        Traceback (most recent call last):
        ValueError: unknown prompt style 'text'; use auto, signature, few_shot_chat or few_shot_text
    """
    if style != "auto" and style not in get_args(PromptStyle):
        raise ValueError(f"unknown prompt style {style!r}; use auto, {', '.join(get_args(PromptStyle)[:-1])} "
                         f"or {get_args(PromptStyle)[-1]}")
    return style


def _style_of_endpoint(model_type: str) -> PromptStyle:
    return "few_shot_text" if model_type == "text" else "signature"


# ---------------------------------------------------------------------------- budget hooks
@dataclass(frozen=True)
class _Reservation:
    meter: object = None
    tokens: int = 0
    flops: float = 0.0


def request_bound(messages: list[dict], n: int, max_tokens: int | None) -> int:
    """An upper bound on a request's tokens: one token per prompt byte plus template overhead, and
    ``n x max_tokens`` for the completions (4096 each when ``max_tokens`` is not set)."""
    prompt = sum(len(str(m.get("content", "")).encode()) + 8 for m in messages)
    return prompt + 64 + n * int(max_tokens or 4096)


def _max_tokens(lm, kwargs: dict) -> int | None:
    for source in (kwargs, lm.kwargs):
        if source.get("max_tokens") or source.get("max_completion_tokens"):
            return source.get("max_tokens") or source.get("max_completion_tokens")
    return None


def _bound_of(lm, call) -> int:
    return request_bound(call.legacy.get("messages", []), call.n, _max_tokens(lm, call.legacy))


def _limits(lm, meter) -> tuple[bool, bool]:
    """Whether ``meter`` limits tokens, and FLOPs (which need the model size)."""
    flops = meter.remaining("flops") is not None
    if flops and not lm.params:
        raise ValueError(f"a FLOPs budget needs the size of {lm.model}; set params (backend.params in the config, "
                         "or TTCLM(params=...)), or limit tokens instead")
    return meter.remaining("tokens") is not None, flops


def reserve_tokens(lm, call) -> _Reservation:
    """Hold the call's worst case on the active meter's token and FLOPs limits, or raise BudgetExceeded."""
    meter = current_meter()
    if meter is None:
        return _Reservation()
    tokens_limited, flops_limited = _limits(lm, meter)
    if not (tokens_limited or flops_limited):
        return _Reservation(meter)
    bound = _bound_of(lm, call)
    reservation = _Reservation(meter, bound if tokens_limited else 0, 2.0 * lm.params * bound if flops_limited else 0.0)
    meter.reserve(tokens=reservation.tokens, flops=reservation.flops,
                  hint=f"one request of {call.n} sample(s) to {lm.model} may take {bound:,} tokens (its prompt, "
                       f"plus {call.n} x max_tokens {_max_tokens(lm, call.legacy) or 4096}); raise the budget, or "
                       "lower max_tokens or the number of samples")
    return reservation


def samples_that_fit(lm, messages: list[dict], n: int, **kwargs) -> int:
    """How many of ``n`` samples of ``messages`` the active meter's token and FLOPs limits allow at their
    worst case: in one request where ``lm`` takes ``n``, else one request each (0 when not even one fits)."""
    meter = current_meter()
    if meter is None or not isinstance(lm, TTCLM):
        return n
    tokens_limited, flops_limited = _limits(lm, meter)
    if not (tokens_limited or flops_limited):
        return n
    tokens_left = meter.remaining("tokens") if tokens_limited else float("inf")
    if flops_limited:
        tokens_left = min(tokens_left, meter.remaining("flops") / (2.0 * lm.params))
    max_tokens = _max_tokens(lm, kwargs)
    if lm.takes_n:
        return next((k for k in range(n, 0, -1) if request_bound(messages, k, max_tokens) <= tokens_left), 0)
    return min(n, int(tokens_left // request_bound(messages, 1, max_tokens)))


def release_tokens(reserved: _Reservation) -> None:
    """Give back what :func:`reserve_tokens` held, for a call that was not made."""
    if reserved.meter is not None and (reserved.tokens or reserved.flops):
        reserved.meter.release(tokens=reserved.tokens, flops=reserved.flops)


def _report(lm: TTCLM, call, result, reserved: _Reservation) -> None:
    usage = usage_of(lm, call, result)
    heard(usage)
    meter = reserved.meter or current_meter()
    if meter is None:
        return
    meter.record_call(prompt_tokens=int(usage.get("prompt_tokens") or 0),
                      completion_tokens=int(usage.get("completion_tokens") or 0),
                      cache_hit=bool(getattr(result, "cache_hit", False)),
                      cost=None if result.cache_hit else result.cost, reserved_tokens=reserved.tokens,
                      reserved_flops=reserved.flops, params=lm.params)
