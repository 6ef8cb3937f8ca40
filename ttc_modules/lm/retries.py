"""The one retry layer of LM calls: tenacity, jittered exponential backoff, ``Retry-After`` honoured.

DSPy's own retry loop and LiteLLM's are switched off (``num_retries=0`` on the LM), so a failure is
retried here and nowhere else. Transient failures (429, 5xx, timeouts, dropped connections) are
retried up to ``lm.retry_attempts`` attempts; anything else, and a transient failure that outlasts
them, ends as a :class:`~ttc_modules.lm.errors.BackendError` whose one line names the model and
the fix.

Example:
    >>> from types import SimpleNamespace
    >>> lm = SimpleNamespace(model="openai/x", kwargs={}, retry_attempts=2, retry_initial_wait=0.0, retry_max_wait=0.0)
    >>> with_retries(lm, lambda: "answer")
    'answer'
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Awaitable, Callable, Iterator

from tenacity import AsyncRetrying, Retrying, retry_if_exception, stop_after_attempt, wait_random_exponential

from ttc_modules.lm.errors import BackendError, describe_backend_error, is_transient

logger = logging.getLogger(__name__)


def with_retries(lm, attempt: Callable):
    """Run ``attempt``, retrying transient errors with jittered exponential backoff (see the module docstring)."""
    with _as_backend_errors(lm):
        return Retrying(**_policy(lm))(attempt)


async def awith_retries(lm, attempt: Callable[[], Awaitable]):
    """:func:`with_retries` for a coroutine function ``attempt``; the waits are ``asyncio`` sleeps."""
    with _as_backend_errors(lm):
        return await AsyncRetrying(**_policy(lm))(attempt)


@contextlib.contextmanager
def _as_backend_errors(lm) -> Iterator[None]:
    """Any failure but a :class:`BackendError` raised as one, its one line naming ``lm`` and the fix."""
    try:
        yield
    except BackendError:
        raise
    except Exception as exc:
        raise BackendError(describe_backend_error(exc, lm)) from exc


def _policy(lm) -> dict:
    """tenacity's settings for ``lm``: which errors, how often, how long between attempts."""
    return dict(
        stop=stop_after_attempt(lm.retry_attempts),
        wait=_wait_honouring_retry_after(wait_random_exponential(multiplier=lm.retry_initial_wait,
                                                                 max=lm.retry_max_wait)),
        retry=retry_if_exception(is_transient),
        before_sleep=lambda state: logger.warning(
            "%s: %s; retry %d of %d", getattr(lm, "label", lm.model), type(state.outcome.exception()).__name__,
            state.attempt_number, lm.retry_attempts - 1),
        reraise=True)


def _wait_honouring_retry_after(fallback):
    def wait(state):
        hint = getattr(state.outcome.exception(), "retry_after", None)
        try:
            return min(float(hint), 60.0) if hint is not None else fallback(state)
        except (TypeError, ValueError):
            return fallback(state)

    return wait
