"""An adapter that adds one input field to every predictor call it formats, as ``dspy.Refine`` adds its
``hint_``: how a program of the user's is shown what it did not ask for (earlier attempts, advice)
without changing its code.

Example:
    >>> import dspy
    >>> adapter = with_input_field(dspy.ChatAdapter(), "hint_", "a hint", lambda signature: "be brief")
    >>> signature, inputs = adapter.added(dspy.Signature("question -> answer"), {"question": "Hi?"})
    >>> "[[ ## hint_ ## ]]\\nbe brief" in adapter.format(signature, [], inputs)[-1]["content"]
    True
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import dspy


class _WithField:
    """Mixed into an adapter's class: every call gets one more input field (``field``, ``description``),
    valued ``value(signature)``."""

    field: str = ""
    description: str = ""
    value: Callable = staticmethod(lambda signature: "")

    def added(self, signature, inputs: dict):
        """``signature`` with the field, and ``inputs`` with its value."""
        extended = signature.append(self.field, dspy.InputField(desc=self.description), type_=str)
        return extended, {**inputs, self.field: self.value(signature)}

    def __call__(self, lm, lm_kwargs, signature, demos, inputs):
        extended, inputs = self.added(signature, inputs)
        return super().__call__(lm, lm_kwargs, extended, demos, inputs)

    async def acall(self, lm, lm_kwargs, signature, demos, inputs):
        extended, inputs = self.added(signature, inputs)
        return await super().acall(lm, lm_kwargs, extended, demos, inputs)


@functools.cache
def _with_field_class(adapter_class: type) -> type:
    return type(f"WithField{adapter_class.__name__}", (_WithField, adapter_class), {})


def with_input_field(adapter: dspy.Adapter, field: str, description: str,
                     value: Callable[[type[dspy.Signature]], str]) -> dspy.Adapter:
    """A copy of ``adapter`` (its settings kept) that adds the input ``field`` to every signature it formats,
    valued ``value(signature)`` (the signature as the predictor has it, before the field is added)."""
    copy = object.__new__(_with_field_class(type(adapter)))
    copy.__dict__.update(vars(adapter))
    copy.field, copy.description, copy.value = field, description, value
    return copy
