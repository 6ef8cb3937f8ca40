"""A search round in one request: many prompts, each with its ``n`` samples, sent as one list of prompts.

A round of step-level search asks for the next steps of many prefixes at once (beam search with
N=256 and M=4 has 64). vLLM's, SGLang's and llama.cpp's ``/v1/completions`` take a list of prompts
in one request, ``n`` applied to each, as search-and-learn hands vLLM a round in one ``generate``
call; the embedded engine takes the same list and queues it on its slots. :func:`sample_prompts`
sends a round this way where the LM takes it (:func:`takes_prompt_lists`), and otherwise as
concurrent requests, one per prompt (chat endpoints, hosted APIs).

Either way each prompt is the request it would be alone (:func:`~ttc_modules.lm.sampling.sample`
with the round's seed), cached under that request's own key: a rerun of a round whose prompts
are half cached sends only the other half, and the one-prompt path reads what the list path wrote.
Usage is recorded per prompt (the backend reports one total for the list: its prompt tokens are
shared by prompt length, its completion tokens by text length, summing to the reported totals).

Which path each backend takes:

- the embedded model (``local/``): one call of the engine with the list (LiteLLM has no route for a
  list of prompts to a custom provider, so the provider is called directly, in process);
- a text endpoint (``model_type: text``: vLLM, SGLang, llama.cpp's server): one
  ``litellm.text_completion`` with the list (LiteLLM's ``text-completion-openai`` route carries it to
  ``/v1/completions`` as it is);
- anything else: one request per prompt, concurrently: chat endpoints and hosted APIs, and a backend
  on several deployments (LiteLLM's ``Router.text_completion`` does not resolve a model group, it
  hands the group's name to the provider lookup; so its rounds go one prompt per request through the
  Router, whose routing and fallbacks apply to each).

Several samples per prompt need a backend that takes ``n`` (llama.cpp's server does not: its
rounds go one request per prompt). A backend that refuses a list (an error status, or a reply
without one choice per sample asked) is noticed once, with a warning, and from then on sent one
prompt per request. Under a token or FLOPs limit each prompt is reserved and sent on its own, so
the limit is checked before each request as everywhere else.

Example:
    >>> from ttc_modules.testing import scripted_lm
    >>> lm = scripted_lm(lambda prompt, seed: f"{prompt[-2:]} {seed}")
    >>> rounds = sample_prompts(lm, [[{"role": "user", "content": "p1"}], [{"role": "user", "content": "p2"}]], n=2)
    >>> [list(samples) for samples in rounds]
    [['p1 0', 'p1 1'], ['p2 0', 'p2 1']]
"""

from __future__ import annotations

import logging

import dspy
import litellm
from litellm.types.utils import TextCompletionResponse, Usage

from ttc_modules.budget import current_meter
from ttc_modules.call_context import fan_out
from ttc_modules.lm.client import TTCLM, release_tokens, reserve_tokens
from ttc_modules.lm.dspy_compat import IGNORED_CACHE_KEYS, CallResult
from ttc_modules.lm.embedded.catalogue import is_embedded
from ttc_modules.lm.embedded.provider import ensure_registered as local_provider
from ttc_modules.lm.errors import BackendError, refused_request
from ttc_modules.lm.retries import with_retries
from ttc_modules.lm.router import text_route_model, text_route_prompt
from ttc_modules.lm.sampling import (
    Samples,
    first_request,
    rollout_options,
    sample,
    samples_of,
    share_by,
    share_tokens,
)
from ttc_modules.lm.usage import collect_usage

logger = logging.getLogger(__name__)

# what DSPy's text route leaves out of a request's options (``dspy.clients.lm.litellm_text_completion``)
_NOT_OPTIONS = ("model", "messages", "rollout_id", "headers", "api_key", "api_base", "cache", "num_retries")


def list_route(lm) -> str | None:
    """How ``lm`` takes a list of prompts in one request: ``embedded``, ``text`` (``/v1/completions``), or
    None (one request per prompt; see the module docstring)."""
    if not isinstance(lm, TTCLM) or lm.router is not None:
        return None
    if is_embedded(lm.model):
        return "embedded"
    return "text" if lm.model_type == "text" else None


def takes_prompt_lists(lm) -> bool:
    """Whether one request of ``lm`` may carry a list of prompts: its ``batch_prompts`` when set (a refusal
    sets it False), else whether it has a :func:`list_route`."""
    if not isinstance(lm, TTCLM) or getattr(lm, "batch_prompts", None) is False:
        return False
    return list_route(lm) is not None


def sample_prompts(lm, prompts: list[list[dict]], n: int, seed: int = 0, **kwargs) -> list[Samples]:
    """``n`` samples of each prompt (a list of chat messages), sample ``i`` of each with rollout id ``i`` and
    seed ``seed + i``: as :func:`~ttc_modules.lm.sampling.sample` of each prompt, in one request where the
    backend takes a list (see the module docstring)."""
    if n < 1:
        raise ValueError(f"n must be >= 1, got {n}; ask for at least one sample")
    if len(prompts) > 1 and _listable(lm, n):
        sent = _sample_as_list(lm, prompts, n, seed, kwargs)
        if sent is not None:
            return sent
    return fan_out(lambda messages: sample(lm, messages, n=n, seed=seed, **kwargs), prompts,
                   getattr(lm, "concurrency", 8))


def _listable(lm, n: int) -> bool:
    meter = current_meter()
    limited = meter is not None and (meter.remaining("tokens") is not None or meter.remaining("flops") is not None)
    return takes_prompt_lists(lm) and (n == 1 or lm.takes_n) and not limited


def _sample_as_list(lm: TTCLM, prompts: list[list[dict]], n: int, seed: int, kwargs: dict) -> list[Samples] | None:
    """The samples of every prompt, the uncached ones asked in one request; None when the backend refused
    the list (noticed: ``lm.batch_prompts`` is then False)."""
    options = {**first_request(n, seed, rollout_options(lm, kwargs.get("temperature")), lm.takes_n), **kwargs}
    calls = [lm.prepare_call(None, messages, options, asynchronous=False) for messages in prompts]
    missing = [i for i, call in enumerate(calls) if not _in_cache(lm, call)]
    answered: dict[int, tuple[list, list[dict]]] = {}
    if len(missing) > 1:
        fresh = _ask_once(lm, [calls[i] for i in missing], n)
        if fresh is None:
            return None
        answered.update(zip(missing, fresh, strict=True))
    for i, messages in enumerate(prompts):  # cache hits (and a lone miss) as the one-prompt path reads them
        if i not in answered:
            answered[i] = _heard(lambda m=messages: lm(messages=m, endings=True, **options))
    return [samples_of(*answered[i]) for i in range(len(prompts))]


def _in_cache(lm: TTCLM, call) -> bool:
    return bool(call.cache) and dspy.cache.get(call.key(lm, False), IGNORED_CACHE_KEYS) is not None


def _heard(call) -> tuple[list, list[dict]]:
    """``call()``'s outputs, and the usage of the LM calls it made."""
    with collect_usage() as usages:
        outputs = call()
    return outputs, usages


def _ask_once(lm: TTCLM, calls: list, n: int) -> list[list] | None:
    """One request for ``calls`` (each a prepared one-prompt call); per call its outputs and usage, each
    recorded and cached as that call's own. None when the backend refused the list."""
    reservations = [reserve_tokens(lm, call) for call in calls]
    refusal = None
    try:
        with lm._slots:
            responses = with_retries(lm, lambda: _SENDERS[list_route(lm)](lm, calls, n))
    except BackendError as error:
        if not refused_request(error):
            _release_all(reservations)
            raise
        responses, refusal = None, error
    except BaseException:
        _release_all(reservations)
        raise
    if responses is None:
        _release_all(reservations)
        return _refused(lm, refusal)
    return [_recorded(lm, call, response, reserved)
            for call, response, reserved in zip(calls, responses, reservations, strict=True)]


def _release_all(reservations: list) -> None:
    for reserved in reservations:
        release_tokens(reserved)


def _refused(lm: TTCLM, error: BackendError | None) -> None:
    lm.batch_prompts = False
    why = str(error).splitlines()[0] if error is not None else "its reply did not have one choice per sample asked"
    logger.warning("%s did not take a list of prompts in one request (%s); from now on one prompt per request "
                   "(set batch_prompts: false in its backend config to skip the attempt)", lm.label, why)


def _recorded(lm: TTCLM, call, response, reserved) -> tuple[list, list[dict]]:
    """``response`` as the answer of ``call`` alone: cached under its key, its usage recorded, its outputs."""
    result = CallResult.legacy(lm, response, kwargs=call.legacy)
    if call.cache:
        dspy.cache.put(call.key(lm, False), response, IGNORED_CACHE_KEYS)
    return _heard(lambda: lm.settle(call, result, reserved, endings=True))


# ---------------------------------------------------------------------------- the routes
def _send_embedded(lm: TTCLM, calls: list, n: int) -> list:
    return local_provider().complete_prompts(lm.model, [call.legacy["messages"] for call in calls], _options(calls),
                                             timeout=calls[0].legacy.get("timeout"))


def _send_text(lm: TTCLM, calls: list, n: int) -> list | None:
    legacy = calls[0].legacy
    prompts = [text_route_prompt(call.legacy["messages"]) for call in calls]
    reply = litellm.text_completion(model=text_route_model(lm.model), prompt=prompts, api_key=legacy.get("api_key"),
                                    api_base=legacy.get("api_base"), **_options(calls))
    return _split(reply, prompts, n)


def _options(calls: list) -> dict:
    """The round's request options (its calls differ only in their messages), as DSPy's text route sends them."""
    return {key: value for key, value in calls[0].legacy.items() if key not in _NOT_OPTIONS}


_SENDERS = {"embedded": _send_embedded, "text": _send_text}


def _split(reply, prompts: list[str], n: int) -> list | None:
    """One response per prompt from a list request's reply (choice ``p x n + j`` is prompt ``p``'s sample
    ``j``, as vLLM numbers them), shaped as the one-prompt request's with its share of the usage; None when
    the reply does not hold ``n`` choices per prompt."""
    choices = sorted(reply.choices, key=lambda choice: choice.index)
    if len(choices) != n * len(prompts):
        return None
    usage = reply.usage
    groups = [choices[p * n:(p + 1) * n] for p in range(len(prompts))]
    prompt_shares = share_tokens(int(getattr(usage, "prompt_tokens", 0) or 0), prompts)
    completion_shares = share_by(int(getattr(usage, "completion_tokens", 0) or 0),
                                [sum(len(c.text or "") + 1 for c in group) for group in groups])
    return [_response(group, prompt, completion, getattr(reply, "model", None))
            for group, prompt, completion in zip(groups, prompt_shares, completion_shares, strict=True)]


def _response(choices: list, prompt_tokens: int, completion_tokens: int, model) -> TextCompletionResponse:
    for j, choice in enumerate(choices):
        choice.index = j
    usage = Usage(prompt_tokens=prompt_tokens, completion_tokens=completion_tokens,
                  total_tokens=prompt_tokens + completion_tokens)
    return TextCompletionResponse(choices=choices, usage=usage, model=model)
