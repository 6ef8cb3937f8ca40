"""The APIs the OpenAI stub server speaks, each by path, as translations to and from OpenAI's.

OpenAI's chat and text completions are answered as they are; Anthropic's ``/v1/messages`` and
Ollama's ``/api/chat`` are read as the OpenAI chat request they stand for (one sample per request, as
those APIs give) and answered in their own shape, so configs for those providers run against the stub.

Example:
    >>> dialect = DIALECTS["/v1/messages"]
    >>> request = dialect.request({"model": "m", "system": "Be brief.", "max_tokens": 8,
    ...                            "messages": [{"role": "user", "content": [{"type": "text", "text": "hi"}]}]})
    >>> request["messages"], request["n"]
    ([{'role': 'system', 'content': 'Be brief.'}, {'role': 'user', 'content': 'hi'}], 1)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


def _as_is(body: dict) -> dict:
    return body


@dataclass(frozen=True)
class Dialect:
    """One API the stub answers.

    Attributes:
        chat: whether its requests are chat completions (else text completions).
        request: its request body as the OpenAI request it stands for.
        response: the OpenAI response body in its shape.
    """

    chat: bool
    request: Callable[[dict], dict] = _as_is
    response: Callable[[dict], dict] = _as_is


def anthropic_request(body: dict) -> dict:
    """An Anthropic Messages request as an OpenAI chat request (its system prompt a system message)."""
    system = [{"role": "system", "content": _text_of(body["system"])}] if body.get("system") else []
    messages = [{"role": m.get("role"), "content": _text_of(m.get("content"))} for m in body.get("messages", [])]
    return {**body, "messages": system + messages, "n": 1, "stop": body.get("stop_sequences")}


def anthropic_response(payload: dict) -> dict:
    """An OpenAI chat completion of one choice as Anthropic's Messages response."""
    choice = payload["choices"][0]
    return {"id": f"msg_{payload['id']}", "type": "message", "role": "assistant", "model": payload["model"],
            "content": [{"type": "text", "text": choice["message"]["content"]}],
            "stop_reason": "max_tokens" if choice["finish_reason"] == "length" else "end_turn", "stop_sequence": None,
            "usage": {"input_tokens": payload["usage"]["prompt_tokens"],
                      "output_tokens": payload["usage"]["completion_tokens"]}}


def ollama_request(body: dict) -> dict:
    """An Ollama chat request as an OpenAI chat request (its sampling options as OpenAI's fields)."""
    options = body.get("options") or {}
    return {"model": body.get("model"), "messages": body.get("messages", []), "n": 1, "seed": options.get("seed"),
            "temperature": options.get("temperature", 0.8), "max_tokens": options.get("num_predict"),
            "stop": options.get("stop")}


def ollama_response(payload: dict) -> dict:
    """An OpenAI chat completion of one choice as Ollama's chat response (not streamed)."""
    choice = payload["choices"][0]
    return {"model": payload["model"], "created_at": "2026-01-01T00:00:00Z",
            "message": {"role": "assistant", "content": choice["message"]["content"]}, "done": True,
            "done_reason": "length" if choice["finish_reason"] == "length" else "stop",
            "prompt_eval_count": payload["usage"]["prompt_tokens"], "eval_count": payload["usage"]["completion_tokens"]}


def _text_of(content) -> str:
    """A message's content as text (Anthropic's may be a list of blocks)."""
    if isinstance(content, list):
        return "".join(str(block.get("text", "")) for block in content if isinstance(block, dict))
    return str(content or "")


DIALECTS = {"/v1/chat/completions": Dialect(chat=True), "/v1/completions": Dialect(chat=False),
            "/v1/messages": Dialect(True, anthropic_request, anthropic_response),
            "/api/chat": Dialect(True, ollama_request, ollama_response)}
"""Path -> the API answered there: OpenAI's, then Anthropic's and Ollama's."""
