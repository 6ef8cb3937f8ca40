"""Whether a sample ended at the model's own end of text: what step-level search needs to know.

A next step is asked for with the step delimiter as a stop string, so ``finish_reason == "stop"``
means either that the model wrote the delimiter (more steps follow) or that it ended its text (the
solution is over, whatever its last step says). OpenAI's reply does not tell the two apart; vLLM's
``stop_reason`` does (None at the end of the text, the stop string otherwise), LiteLLM passes it
on (in a chat choice's ``provider_specific_fields``, on a text choice itself), and the embedded
engine reports it the same way. Where a backend does not report it the ending is unknown, and a
search takes the step as ending at the delimiter.

Example:
    >>> from litellm.types.utils import Choices
    >>> ended_at_end_of_text(Choices(finish_reason="stop", provider_specific_fields={"stop_reason": None}))
    True
    >>> ended_at_end_of_text(Choices(finish_reason="stop", provider_specific_fields={"stop_reason": "\\n\\n"}))
    False
    >>> ended_at_end_of_text(Choices(finish_reason="stop"))  # an OpenAI-style reply: unknown
    False
    >>> with_endings(["4", {"text": "5"}], None)
    [{'text': '4', 'ended': False}, {'text': '5', 'ended': False}]
"""

from __future__ import annotations

from collections.abc import Mapping


def _field(item, name: str, default=None):
    return item.get(name, default) if isinstance(item, Mapping) else getattr(item, name, default)


_UNSAID = object()


def ended_at_end_of_text(choice) -> bool:
    """True when the backend says this choice ended at the model's end-of-text token."""
    fields = _field(choice, "provider_specific_fields") or {}
    # LiteLLM keeps a chat choice's extra fields in provider_specific_fields, a text choice's on itself
    stop_reason = fields["stop_reason"] if "stop_reason" in fields else _field(choice, "stop_reason", _UNSAID)
    return _field(choice, "finish_reason") == "stop" and stop_reason is None


def with_endings(outputs: list, response) -> list[dict]:
    """DSPy's ``outputs`` of ``response`` as dicts whose ``ended`` says :func:`ended_at_end_of_text`."""
    choices = list(_field(response, "choices") or [])
    ended = [ended_at_end_of_text(choice) for choice in choices]
    return [{**(output if isinstance(output, dict) else {"text": output}), "ended": i < len(ended) and ended[i]}
            for i, output in enumerate(outputs)]
