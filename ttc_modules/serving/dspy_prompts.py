"""Requests written by DSPy's chat adapter, read and answered in its field format.

A DSPy program pointed at ``ttc serve`` (``dspy.LM("openai/ttc", api_base=...)``) sends its inputs as
``[[ ## question ## ]]`` fields and names the output fields it expects in the system message. The
server searches on the question itself (not on the adapter's scaffolding) and answers in those
fields: the answer field (``answer``, else the last one) gets the answer, every other field the
chosen solution, so the adapter parses the reply.

Example:
    >>> messages = [{"role": "system", "content": "Your output fields are:\\n1. `reasoning` (str): \\n2. `answer` (str):"},
    ...             {"role": "user", "content": "[[ ## question ## ]]\\nWhat is 2 + 2?\\n\\nRespond with the ..."}]
    >>> form = DSPyForm.read(messages)
    >>> form.question, form.outputs
    ('What is 2 + 2?', ['reasoning', 'answer'])
    >>> print(form.reply("2 + 2 = 4.", "4"))
    [[ ## reasoning ## ]]
    2 + 2 = 4.
    <BLANKLINE>
    [[ ## answer ## ]]
    4
    <BLANKLINE>
    [[ ## completed ## ]]
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_OUTPUTS = re.compile(r"Your output fields are:\n((?:\d+\. `\w+`.*\n?)+)")
_FIELD_NAME = re.compile(r"^\d+\. `(\w+)`", re.M)
_INPUT = re.compile(r"\[\[ ## (\w+) ## \]\]\n(.*?)(?=\n\n\[\[ ## |\n\nRespond with |\Z)", re.S)


@dataclass(frozen=True)
class DSPyForm:
    question: str
    outputs: list[str]

    @classmethod
    def read(cls, messages: list[dict]) -> DSPyForm | None:
        """The question and output fields of a chat-adapter request, or None when it is not one."""
        system = next((str(m.get("content") or "") for m in messages if m.get("role") == "system"), "")
        users = [str(m.get("content") or "") for m in messages if m.get("role") == "user"]
        found = _OUTPUTS.search(system)
        inputs = dict(_INPUT.findall(users[-1])) if users else {}
        if found is None or not inputs:
            return None
        question = inputs.get("question") or next(iter(inputs.values()))
        return cls(question.strip(), _FIELD_NAME.findall(found.group(1)))

    def reply(self, solution: str, answer: str | None) -> str:
        """``solution`` and ``answer`` in the adapter's fields."""
        answer_field = "answer" if "answer" in self.outputs else self.outputs[-1]
        parts = [f"[[ ## {name} ## ]]\n{(answer or '') if name == answer_field else solution}" for name in self.outputs]
        return "\n\n".join([*parts, "[[ ## completed ## ]]"])
