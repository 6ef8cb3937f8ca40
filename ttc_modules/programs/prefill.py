"""A one-predictor program's prompt in DSPy's chat format, with the assistant's reply already begun.

Models prompted with few-shot text (the embedded ones, base models) follow DSPy's field markers far
better when the reply is begun for them: the messages are the ``ChatAdapter``'s (system message with
the fields, the program's demos as earlier turns, the inputs) and the reply starts at the first
output field's marker (``[[ ## reasoning ## ]]``), or further on, after the reasoning written so far:
that is how step-level search grows a program's reasoning. A chat model continues the reply as a
prefilled assistant turn; a base model continues one plain text. What comes back is read by the
``ChatAdapter`` (the begun reply included); text it cannot read is None.

Example:
    >>> import dspy
    >>> prompt = PrefilledPrompt(dspy.ChainOfThought("question -> answer").predict.signature, [], {"question": "Hi?"})
    >>> prompt.begin(["First, greet."], "\\n\\n")
    '[[ ## reasoning ## ]]\\nFirst, greet.\\n\\n'
    >>> prompt.messages("[[ ## reasoning ## ]]\\n")[-1]
    {'role': 'assistant', 'content': '[[ ## reasoning ## ]]\\n'}
    >>> prompt.parse("[[ ## reasoning ## ]]\\nFirst, greet.\\n\\n[[ ## answer ## ]]\\nHello\\n\\n[[ ## completed ## ]]")
    {'reasoning': 'First, greet.', 'answer': 'Hello'}
"""

from __future__ import annotations

from dataclasses import dataclass, field

import dspy
from dspy.utils.exceptions import AdapterParseError

from ttc_modules.lenient_adapter import literals_matched

COMPLETED = "[[ ## completed ## ]]"


def marker(name: str) -> str:
    """The ChatAdapter's marker for the field ``name``."""
    return f"[[ ## {name} ## ]]"


def begins_a_field(text: str) -> bool:
    """True when ``text`` starts with a field marker: the reasoning has ended and the output fields begin."""
    return text.lstrip().startswith("[[ ##")


@dataclass
class PrefilledPrompt:
    """The prompt of ``signature`` on ``inputs`` with ``demos`` (see the module docstring); ``text`` makes
    it one plain text for a base model."""

    signature: type[dspy.Signature]
    demos: list = field(default_factory=list)
    inputs: dict = field(default_factory=dict)
    text: bool = False

    def begin(self, steps: list[str], delimiter: str) -> str:
        """The reply begun at the first output field, with ``steps`` of reasoning written (and a delimiter
        after them, so the next step starts afresh)."""
        first = next(iter(self.signature.output_fields))
        partial = delimiter.join(steps)
        return f"{marker(first)}\n{partial}{delimiter if partial else ''}"

    def messages(self, begun: str) -> list[dict]:
        """The messages to send: the adapter's, then the reply begun as ``begun``."""
        formatted = dspy.ChatAdapter().format(self.signature, [dict(d) for d in self.demos], self.inputs)
        if self.text:
            return [{"role": "user", "content": "\n\n".join(str(m["content"]) for m in formatted) + "\n\n" + begun}]
        return [*formatted, {"role": "assistant", "content": begun}]

    def parse(self, reply: str) -> dict | None:
        """The output fields of a whole reply (the begun part included), or None when they cannot be read:
        read as the lenient adapter reads (``lenient_adapter.py``)."""
        attempts = ((dspy.ChatAdapter(), reply), (dspy.JSONAdapter(), reply),
                    (dspy.ChatAdapter(), literals_matched(self.signature, reply)))
        for adapter, text in attempts:
            try:
                return adapter.parse(self.signature, text)
            except (AdapterParseError, ValueError, TypeError):
                continue
        return None
