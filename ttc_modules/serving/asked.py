"""What a chat request asks the server to search: which program, on which inputs.

- A request written by DSPy's chat adapter carries the client's own program (``dspy_prompts.py``): that
  program is searched, on the inputs it sent, and answered in its fields. A served model with a
  program of its own takes only requests of that program's fields (searched as the served program,
  its types and demos), and refuses others with a 400 naming both.
- A plain chat to a served model with a program of its own (``served_models.<name>.program``, of one
  text input) puts the conversation in that input.
- A plain chat to the math word-problem program (the default) puts the conversation in its question.

The conversation is the last user message alone when that is the whole request (so a plain question
asks what ``ttc solve`` asks); otherwise every message, system messages and earlier turns included,
each under its role, so all of it reaches the backend.

Example:
    >>> conversation_text([{"role": "user", "content": "What is 2 + 2?"}])
    'What is 2 + 2?'
    >>> print(conversation_text([{"role": "system", "content": "Answer in German."},
    ...                          {"role": "user", "content": "What is 2 + 2?"}]))
    System: Answer in German.
    <BLANKLINE>
    User: What is 2 + 2?
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ttc_modules.programs import ProgramFields
from ttc_modules.serving.dspy_prompts import DSPyForm
from ttc_modules.serving.protocol import ServerError

ROLES = {"system": "System", "developer": "System", "user": "User", "assistant": "Assistant"}


@dataclass(frozen=True)
class Asked:
    """What to search: ``program`` (None: the served model's own), its ``inputs``, and the DSPy ``form`` the
    request was written in (None for a plain chat)."""

    program: Any
    inputs: dict
    form: DSPyForm | None = None


def asked(messages: list[dict], fields: ProgramFields) -> Asked:
    """What ``messages`` ask of a served model whose program has ``fields``."""
    form = DSPyForm.read(messages)
    if form is not None:
        return _of_form(form, fields)
    text = conversation_text(messages)
    if len(fields.inputs) != 1:
        raise ServerError(400, f"{fields.name} takes {', '.join(fields.inputs)}; a plain chat fills one input: send "
                               "the request from a DSPy program (dspy.LM pointed at this server), whose adapter "
                               "writes each field", param="messages")
    return Asked(None, {fields.inputs[0]: text})


def _of_form(form: DSPyForm, fields: ProgramFields) -> Asked:
    """A DSPy client's request: its own program, or the served one where that is the same program."""
    if fields.answer_in_text:  # the default math program takes any DSPy client's program
        return Asked(form.predictor(), form.inputs, form)
    theirs = (sorted(form.signature.input_fields), list(form.signature.output_fields))
    if theirs != (sorted(fields.inputs), fields.outputs):
        raise ServerError(400, f"this model serves {fields.name} ({', '.join(fields.inputs)} -> "
                               f"{', '.join(fields.outputs)}), and the request's program takes {', '.join(theirs[0])} "
                               f"-> {', '.join(theirs[1])}; ask a model served for that program, or one served "
                               "without a program", param="messages")
    return Asked(None, form.inputs, form)


def conversation_text(messages: list[dict]) -> str:
    """The conversation as one text (see the module docstring), or a 400 when it has no user message."""
    spoken = [(m.get("role"), _text(m.get("content"))) for m in messages]
    if not any(role == "user" and text.strip() for role, text in spoken):
        raise ServerError(400, "the request has no user message with text; send the question as "
                               '{"role": "user", "content": "..."}', param="messages")
    if len(spoken) == 1:
        return spoken[0][1].strip()
    return "\n\n".join(f"{ROLES.get(role, str(role).title())}: {text.strip()}" for role, text in spoken if text.strip())


def _text(content) -> str:
    """A message's text: its string, or its text parts joined."""
    if isinstance(content, list):
        return "\n".join(str(part.get("text", "")) for part in content if part.get("type") == "text")
    return str(content or "")
