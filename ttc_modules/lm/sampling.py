"""Drawing n samples of one prompt: rollout ids, seeds, one request or several, tokens per sample.

:func:`sample` draws ``n`` samples: sample ``i`` uses rollout id ``i`` and seed ``seed + i``, so a
rerun is a cache hit while distinct samples stay distinct. Where the LM takes ``n`` (``lm.takes_n``)
one request carries them all (the backend batches them); otherwise they are separate requests run
concurrently (as coroutines on the caller's event loop under ``acall``). A backend that returns
fewer choices than asked (some servers ignore ``n``) is topped up with further requests
(:func:`draw_with_top_up`, which the signature path of the generator uses too).

Example:
    >>> from ttc_modules.testing import scripted_lm
    >>> lm = scripted_lm(lambda prompt, seed: f"sample {seed}")
    >>> texts = sample(lm, [{"role": "user", "content": "hi"}], n=3, seed=10)
    >>> list(texts), sum(texts.tokens) == texts.completion_tokens
    (['sample 10', 'sample 11', 'sample 12'], True)
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from ttc_modules.call_context import fan_out
from ttc_modules.lm.client import TTCLM, samples_that_fit
from ttc_modules.lm.usage import collect_usage, total


class Samples(list):
    """The texts of :func:`sample`, with the tokens they took (cache hits included).

    ``tokens[i]`` is sample i's share of the completion tokens, split in proportion to text
    length (usage is reported per request, not per choice); the shares add up to the exact total.
    ``ended[i]`` is True when the backend said sample i ended at the model's end of text, not at a
    stop string (``endings.py``; False where it cannot say).
    """

    prompt_tokens: int = 0
    completion_tokens: int = 0
    tokens: list[int]
    ended: list[bool]


def sample(lm, messages: list[dict], n: int, seed: int = 0, **kwargs) -> Samples:
    """Draw ``n`` samples of one prompt; sample ``i`` has rollout id ``i`` and seed ``seed + i``. Under a
    token or FLOPs limit that cannot hold ``n`` samples at their worst case, as many as it holds."""
    if n < 1:
        raise ValueError(f"n must be >= 1, got {n}; ask for at least one sample")
    # fewer samples when a token or FLOPs limit cannot hold them all; when not even one fits, the call
    # itself refuses (BudgetExceeded, saying why) before anything is sent
    n = max(1, samples_that_fit(lm, messages, n, **kwargs))
    with collect_usage() as usages:
        outputs, per_call = _draw(lm, messages, n, seed, kwargs)
    return samples_of(outputs, usages, per_call)


def samples_of(outputs: list, usages: list[dict], per_call: list[int] | None = None) -> Samples:
    """:class:`Samples` of a prompt's ``outputs`` (texts, or dicts with ``text`` and ``ended``), given the
    ``usages`` of the calls that returned them and how many each returned (one call: all of them)."""
    texts = [o["text"] if isinstance(o, dict) else str(o) for o in outputs]
    samples = Samples(texts)
    samples.ended = [bool(isinstance(o, dict) and o.get("ended")) for o in outputs]
    spent = total(usages)
    samples.prompt_tokens, samples.completion_tokens = spent["prompt_tokens"], spent["completion_tokens"]
    samples.tokens = _split_tokens(texts, per_call if per_call is not None else [len(texts)], usages)
    return samples


def _draw(lm, messages: list[dict], n: int, seed: int, kwargs: dict) -> tuple[list, list[int]]:
    """The outputs (texts, or dicts with ``text`` and ``ended`` from a TTCLM), and how many each call
    returned (in order)."""
    if isinstance(lm, TTCLM):  # any dspy.LM works; a TTCLM also says how each sample ended
        kwargs = {**kwargs, "endings": True}
    return draw_with_top_up(lambda options: lm(messages=messages, **options, **kwargs),
                            lambda options: lm.acall(messages=messages, **options, **kwargs),
                            n, seed, rollout_options(lm, kwargs.get("temperature")),
                            batched=getattr(lm, "takes_n", False),  # only a TTCLM knows whether to batch
                            max_workers=getattr(lm, "concurrency", 8))


def draw_with_top_up(call: Callable[[dict], list], acall: Callable[[dict], Awaitable[list]], n: int, seed: int,
                     rollout: Callable[[int], dict], batched: bool, max_workers: int) -> tuple[list, list[int]]:
    """``n`` samples from ``call(options)`` (a list of outputs per request), and how many each request returned.

    Where ``batched``, one request asks for all ``n`` (``n``, ``seed``, ``rollout(0)``); every sample it does
    not return (all of them when not batched) is one more request, ``seed + i`` and ``rollout(i)`` for
    sample ``i``, up to ``max_workers`` at once: coroutines ``acall(options)`` under ``acall`` of a strategy,
    threads otherwise (:func:`~ttc_modules.call_context.fan_out`).
    """
    outputs: list = []
    per_call: list[int] = []
    if batched:
        outputs = list(fan_out(call, [first_request(n, seed, rollout, True)], max_workers=1, acall=acall)[0])[:n]
        per_call.append(len(outputs))
    singles = [{"seed": seed + i, **rollout(i)} for i in range(len(outputs), n)]
    for returned in fan_out(call, singles, max_workers, acall=acall):
        outputs += list(returned)[:1]
        per_call.append(len(returned[:1]))
    return outputs, per_call


def first_request(n: int, seed: int, rollout: Callable[[int], dict], batched: bool) -> dict:
    """The options of the request for a prompt's first samples: all ``n`` in one where ``batched``, else
    sample 0 alone (its options are a request's cache key: every path that asks for these samples uses them)."""
    return {"n": n, "seed": seed, **rollout(0)} if batched else {"seed": seed, **rollout(0)}


def rollout_options(lm, temperature: float | None = None) -> Callable[[int], dict]:
    """``i -> {"rollout_id": i}``, or ``i -> {}`` when sampling is greedy (all greedy samples are one)."""
    greedy = (temperature if temperature is not None else lm.kwargs.get("temperature")) == 0
    return (lambda i: {}) if greedy else (lambda i: {"rollout_id": i})


def share_tokens(total_tokens: int, texts: list[str]) -> list[int]:
    """Split ``total_tokens`` among ``texts`` in proportion to their length; the shares add up to it."""
    return share_by(total_tokens, [len(t) + 1 for t in texts])


def share_by(total_tokens: int, weights: list[int]) -> list[int]:
    """Split ``total_tokens`` in proportion to ``weights`` (positive); the shares add up to it."""
    if not weights:
        return []
    shares = [total_tokens * w // sum(weights) for w in weights]
    shares[-1] += total_tokens - sum(shares)
    return shares


def _split_tokens(texts: list[str], per_call: list[int], usages: list[dict]) -> list[int]:
    """Each text's completion tokens: each call's total shared among the texts it returned."""
    if len(usages) != len(per_call):  # calls ran concurrently: usages arrive in completion order
        per_call, usages = [len(texts)], [{"completion_tokens": total(usages)["completion_tokens"]}]
    shares, start = [], 0
    for count, usage in zip(per_call, usages, strict=True):
        shares += share_tokens(int(usage.get("completion_tokens") or 0), texts[start:start + count])
        start += count
    return shares
