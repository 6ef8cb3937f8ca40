"""Backend failures: which ones are worth a retry, and one line naming the model and the fix for the rest.

DSPy 3.4 turns LiteLLM's exceptions into typed ``LMError`` classes; this file decides on them.
Transient: rate limits (429), server errors (5xx), timeouts, dropped or refused connections.
Permanent: authentication (401/403), bad requests (400), context too long, unknown model.

Example:
    >>> from dspy.utils.exceptions import LMRateLimitError
    >>> is_transient(LMRateLimitError("slow down"))
    True
"""

from __future__ import annotations

import re

from dspy.utils.exceptions import (
    ContextWindowExceededError,
    LMAuthError,
    LMBillingError,
    LMInvalidRequestError,
    LMProviderError,
    LMRateLimitError,
    LMTimeoutError,
    LMTransportError,
    LMUnsupportedFeatureError,
    LMUnsupportedModelError,
    is_retryable_lm_error,
)


class BackendError(RuntimeError):
    """A backend call failed for good; the message names the model and the fix (one line)."""


def is_transient(exc: BaseException) -> bool:
    """True for failures a retry may cure (429, 5xx, timeouts, connection trouble)."""
    if _no_key(str(exc)) or _option_not_taken(str(exc)):  # the client refused to send it: LiteLLM says 500
        return False
    if isinstance(exc, Exception) and is_retryable_lm_error(exc):
        return True
    status = getattr(exc, "status", None) or getattr(exc, "status_code", None)
    return isinstance(status, int) and (status == 429 or status >= 500)


def refused_request(error: BackendError) -> bool:
    """True when the backend refused the request itself (400, 422, or an option it does not support):
    the same request will never succeed, a different one may."""
    cause = error.__cause__
    if cause is None:
        return False
    if _option_not_taken(str(cause)):
        return True
    return isinstance(cause, (LMInvalidRequestError, LMUnsupportedFeatureError)) or any(
        code in _status(cause) for code in ("400", "422"))


def rejects_n(error: BackendError) -> bool:
    """True when a backend refused a request for asking several samples at once (llama.cpp's server
    answers 400 "Only one completion choice is allowed")."""
    if not refused_request(error):
        return False
    return bool(re.search(r"\bchoices?\b|\bn\b", str(error.__cause__), flags=re.IGNORECASE))


def _option_not_taken(message: str) -> bool:
    """The client library's refusal of an option its endpoint does not take (``top_logprobs`` on text)."""
    return "unexpected keyword argument" in message


def _no_key(message: str) -> bool:
    """The ``openai`` client's refusal to send a request without a key."""
    return "Missing credentials" in message or "api_key client option must be set" in message


def _status(exc: BaseException) -> str:
    status = getattr(exc, "status", None) or getattr(exc, "status_code", None)
    return f" ({status})" if status else ""


def first_line(exc: BaseException, limit: int = 240) -> str:
    text = " ".join(str(exc).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _connection_failed(exc: BaseException, message: str) -> bool:
    """A request that never reached a server (refused, unreachable, dropped before an answer)."""
    return isinstance(exc, LMTransportError) or "Connection error" in message or "APIConnectionError" in message


def failure_kind(error: BackendError) -> str:
    """What kind of failure ended a backend call, in a few words that name no address and quote no text
    of the backend's (what a server may tell its clients; the log keeps :func:`describe_backend_error`'s line).

    Example:
        >>> failure = BackendError("model 'm' at http://10.0.0.5:8000 did not answer")
        >>> failure.__cause__ = LMTimeoutError("timed out")
        >>> failure_kind(failure)
        'timeout: the backend did not answer in time'
    """
    cause = error.__cause__ or error
    message = str(cause)
    if isinstance(cause, LMTimeoutError) or "Timeout" in type(cause).__name__:
        return "timeout: the backend did not answer in time"
    if _connection_failed(cause, message):
        return "refused: the backend could not be reached"
    if _no_key(message) or isinstance(cause, LMAuthError) or "401" in _status(cause):
        return "bad key: the backend refused the server's credentials"
    if isinstance(cause, LMRateLimitError) or "429" in _status(cause):
        return "rate limited: the backend asked to slow down"
    if refused_request(error) or isinstance(cause, (ContextWindowExceededError, LMInvalidRequestError)):
        return "refused request: the backend would not take the request"
    return "backend failure: the backend kept failing"


def describe_backend_error(exc: BaseException, lm) -> str:
    """One line that names the model, what went wrong and how to fix it."""
    router = getattr(lm, "router", None)
    model = getattr(lm, "label", lm.model)
    if router is not None:  # a routed LM: its deployments, and the settings that list them
        where, endpoint, key = f" at {router.endpoints()}", "backend.deployments", "the deployments' api_key_env"
    else:
        where = f" at {lm.kwargs['api_base']}" if lm.kwargs.get("api_base") else ""
        endpoint, key = "backend.api_base", "backend.api_key_env"
    message = first_line(exc)
    if router is not None and "cooldown" in message.lower():
        return (f"every deployment of model '{model}'{where} failed and is cooled down for "
                f"{router.cooldown_time:g} s (backend.routing.cooldown_time): {message}. Is any of those servers "
                f"running, and is {endpoint} right?")
    if _no_key(message):
        return (f"no key for model '{model}'{where}: set it in an environment variable and name that in "
                f"{key} (or pass api_key=); a local server needs none once {endpoint} is set")
    if isinstance(exc, LMAuthError) or "401" in _status(exc):
        return (f"authentication failed for model '{model}'{where}{_status(exc)}: {message}. "
                f"Set the key in the environment variable named by {key}")
    if isinstance(exc, LMBillingError):
        return f"billing refused for model '{model}'{_status(exc)}: {message}. Check the account's quota"
    if isinstance(exc, ContextWindowExceededError):
        return (f"prompt too long for model '{model}': {message}. Shorten the prompt, lower max_tokens or n, "
                "or use a model with a longer context")
    if "LLM Provider NOT provided" in message:
        return (f"unknown provider in model '{model}': LiteLLM has no provider '{model.split('/', 1)[0]}'. Write the "
                "model as provider/name (openai/..., hosted_vllm/..., ollama_chat/..., or local/<name> for an "
                "embedded model: `ttc models` lists them)")
    if isinstance(exc, LMTimeoutError) or "Timeout" in type(exc).__name__:
        timeout = lm.kwargs.get("timeout")
        limit = f"within {timeout} s" if timeout else "in time"
        return (f"model '{model}'{where} did not answer {limit}, {lm.retry_attempts} attempt(s): {message}. "
                f"Raise backend.timeout (now {timeout or 'not set'}), or lower max_tokens or n")
    if _connection_failed(exc, message):
        return (f"cannot reach model '{model}'{where or ' (no api_base set)'} after {lm.retry_attempts} "
                f"attempt(s): {message}. Is the server running there, and is {endpoint} right?")
    if isinstance(exc, LMUnsupportedModelError) or "NotFound" in type(exc).__name__ or "404" in _status(exc):
        return (f"unknown model '{model}'{where}: {message}. Check backend.model "
                "(`ttc models` lists the embedded models and configured backends)")
    if _option_not_taken(message):
        return f"request option not accepted for model '{model}'{where}: {message}. Leave that option out"
    if isinstance(exc, LMUnsupportedFeatureError):
        return (f"model '{model}'{where} does not support what the request asked: {message}. Leave that option "
                "out, or choose a backend that supports it")
    if isinstance(exc, LMInvalidRequestError):
        return f"request rejected by model '{model}'{where}{_status(exc)}: {message}. Check the request options"
    if is_transient(exc) or isinstance(exc, LMProviderError):
        return (f"model '{model}'{where} kept failing{_status(exc)} after {lm.retry_attempts} attempts: "
                f"{message}. Try again later or raise retry.attempts")
    return f"call to model '{model}'{where} failed: {type(exc).__name__}: {message}"
