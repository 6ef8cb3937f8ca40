"""What a client sends to ``ttc serve`` and what it gets back on failure: OpenAI's shapes.

:class:`ChatRequest` is the part of OpenAI's chat-completions request the server acts on or checks:
the sampling options a client may send are checked by type and range as OpenAI's API checks them (a
400 naming the option, the value and its range), though the search sets its own sampling (each
generation at the served backend's ``max_tokens`` and the strategy's temperature); fields OpenAI's API
does not define are ignored, as it ignores them. What the messages ask for
is read by ``asked.py``. ``ttc`` (the OpenAI client's ``extra_body={"ttc": {...}}``) may ask for another
strategy, budget or strategy options; :class:`ServerError` carries an HTTP status and OpenAI's error
JSON, one line saying what was wrong and how to fix it.

Example:
    >>> request = ChatRequest.model_validate({"model": "ttc", "messages": [{"role": "user", "content": "2 + 2?"}],
    ...                                       "ttc": {"strategy": "beam_search", "budget": 8, "beam_width": 2}})
    >>> request.messages[-1].text(), request.ttc.strategy, request.ttc.options()
    ('2 + 2?', 'beam_search', {'beam_width': 2})
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StrictBool, field_validator, model_validator

CLIENT_LEFT = 499
"""The status a request is counted with when its client went away (nginx's "client closed request")."""


class ServerError(Exception):
    """A request the server answers with ``status`` and OpenAI's error JSON."""

    def __init__(self, status: int, message: str, kind: str = "invalid_request_error", param: str | None = None,
                 code: str | None = None, headers: dict[str, str] | None = None):
        super().__init__(message)
        self.status, self.message, self.kind, self.param, self.code = status, message, kind, param, code
        self.headers = headers or {}

    def body(self) -> dict:
        return {"error": {"message": self.message, "type": self.kind, "param": self.param, "code": self.code}}


class Message(BaseModel):
    model_config = ConfigDict(extra="allow")

    role: str
    content: str | list[dict[str, Any]] | None = None

    @field_validator("content")
    @classmethod
    def _text_parts_are_text(cls, content):
        for part in content if isinstance(content, list) else ():
            if part.get("type") == "text" and not isinstance(part.get("text"), str):
                raise ValueError("a text part's text must be a string")
        return content

    def text(self) -> str:
        """The message's text: its string, or its text parts joined."""
        if isinstance(self.content, list):
            return "\n".join(str(part.get("text", "")) for part in self.content if part.get("type") == "text")
        return self.content or ""


RESERVED_OPTIONS = {"kind": "ttc.strategy", "n": "ttc.budget", "seed": "the request's seed"}
"""Strategy options a request sets otherwise, and where."""


class TTCOptions(BaseModel):
    """A request's own choice of strategy (a registry name), budget (generations) and strategy options."""

    model_config = ConfigDict(extra="allow")

    strategy: str | None = None
    budget: int | None = Field(None, ge=1)

    def options(self) -> dict[str, Any]:
        """The strategy options given beside ``strategy`` and ``budget``."""
        options = dict(self.model_extra or {})
        for name, instead in RESERVED_OPTIONS.items():
            if name in options:
                raise ServerError(400, f"ttc.{name} is not an option a request sets; use {instead}",
                                  param=f"ttc.{name}")
        return options


SEED_RANGE = {"ge": -(2**63), "le": 2**63 - 1}


class StreamOptions(BaseModel):
    include_usage: StrictBool = False


class ChatRequest(BaseModel):
    model_config = ConfigDict(extra="allow")

    model: str
    messages: list[Message] = Field(min_length=1)
    n: int = Field(1, ge=1, le=16)  # choices: the best distinct answers, fewer when the search found fewer
    stream: StrictBool = False
    stream_options: StreamOptions | None = None
    seed: int | None = Field(None, **SEED_RANGE)
    ttc: TTCOptions = Field(default_factory=TTCOptions)
    # checked as OpenAI's API checks them; the search samples with its own settings
    max_tokens: int | None = Field(None, ge=1)
    max_completion_tokens: int | None = Field(None, ge=1)
    temperature: float | None = Field(None, ge=0, le=2, allow_inf_nan=False)
    top_p: float | None = Field(None, ge=0, le=1, allow_inf_nan=False)
    presence_penalty: float | None = Field(None, ge=-2, le=2, allow_inf_nan=False)
    frequency_penalty: float | None = Field(None, ge=-2, le=2, allow_inf_nan=False)
    stop: str | Annotated[list[str], Field(max_length=4)] | None = None
    logprobs: StrictBool | None = None
    top_logprobs: int | None = Field(None, ge=0, le=20)

    @model_validator(mode="after")
    def _stream_options_need_a_stream(self):
        if self.stream_options is not None and not self.stream:
            raise ValueError("stream_options is only allowed with stream: true")
        return self
