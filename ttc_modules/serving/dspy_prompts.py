"""Requests written by DSPy's chat adapter: the client's own program, read back and answered in its fields.

A DSPy program pointed at ``ttc serve`` (``dspy.LM("openai/ttc", api_base=...)``) sends its signature in
the system message (its input and output fields with their types and descriptions, and its
instructions), its demos as earlier turns, and its inputs as ``[[ ## field ## ]]`` sections. The
server reads all of it back (:meth:`DSPyForm.read`) into a signature and a predictor with those
demos, searches that program with the served strategy, and answers with the chosen candidate's
fields in the adapter's format (:meth:`DSPyForm.reply`), so the client's adapter parses them with
its own types (a ``Literal`` as a literal, code byte for byte). Types are read from a small safe
grammar (``str``, ``int``, ``float``, ``bool``, ``Literal[...]``, ``list[...]``, ``dict[...]``;
anything else is text), never evaluated.

Example:
    >>> import dspy
    >>> from typing import Literal
    >>> class Sentiment(dspy.Signature):
    ...     \"\"\"Classify the review.\"\"\"
    ...     review: str = dspy.InputField()
    ...     label: Literal["pos", "neg"] = dspy.OutputField()
    >>> form = DSPyForm.read(dspy.ChatAdapter().format(Sentiment, [], {"review": "Dull."}))
    >>> form.inputs, list(form.signature.output_fields), form.signature.instructions
    ({'review': 'Dull.'}, ['label'], 'Classify the review.')
    >>> print(form.reply({"label": "neg"}))
    [[ ## label ## ]]
    neg
    <BLANKLINE>
    [[ ## completed ## ]]
"""

from __future__ import annotations

import ast
import re
import textwrap
from dataclasses import dataclass
from typing import Any, Literal

import dspy
import pydantic

from ttc_modules.lm.errors import first_line
from ttc_modules.serving.protocol import ServerError

_SECTION = re.compile(r"Your (input|output) fields are:\n((?:\d+\. `\w+`.*\n?)+)")
_FIELD = re.compile(r"^\d+\. `(\w+)` \((.*?)\):[ \t]?(.*)$", re.M)
_OBJECTIVE = re.compile(r"your objective is:\s*\n(.*)\Z", re.S)
_VALUE = re.compile(r"\[\[ ## (\w+) ## \]\]\n(.*?)(?=\n\n\[\[ ## |\n\nRespond with |\Z)", re.S)
MAX_TYPE_LENGTH = 200  # characters of a field's type read; a longer one is text
_NAMES = {"str": str, "int": int, "float": float, "bool": bool, "list": list, "dict": dict, "Any": Any}


@dataclass(frozen=True)
class DSPyForm:
    """A chat-adapter request read back: the client's signature, demos and inputs."""

    signature: type[dspy.Signature]
    demos: list[dict]
    inputs: dict

    @classmethod
    def read(cls, messages: list[dict]) -> DSPyForm | None:
        """The program a chat-adapter request stands for, or None when it is not one."""
        system = next((str(m.get("content") or "") for m in messages if m.get("role") == "system"), "")
        sections = {kind: _FIELD.findall(block) for kind, block in _SECTION.findall(system)}
        turns = [m for m in messages if m.get("role") in ("user", "assistant")]
        if "output" not in sections or not turns or turns[-1].get("role") != "user":
            return None
        inputs = dict(_VALUE.findall(str(turns[-1].get("content") or "")))
        if not inputs:
            return None
        objective = _OBJECTIVE.search(system)
        instructions = textwrap.dedent(objective.group(1)).strip() if objective else ""
        try:
            signature = _signature(sections.get("input", []), sections["output"], instructions)
        except (TypeError, ValueError, pydantic.PydanticUserError) as error:  # a field name it cannot take (_x...)
            raise ServerError(400, f"the DSPy program in the system message cannot be searched: {first_line(error)}; "
                                   "rename the field", param="messages") from None
        demos = [{k: v for k, v in demo.items() if k in signature.fields} for demo in _demos(turns[:-1])]
        return cls(signature, demos, {name: value.strip() for name, value in inputs.items() if name in signature.fields})

    def predictor(self) -> dspy.Predict:
        """The client's program as a predictor, its demos included."""
        predictor = dspy.Predict(self.signature)
        predictor.demos = [dspy.Example(**demo) for demo in self.demos]
        return predictor

    def reply(self, outputs: dict) -> str:
        """``outputs`` in the adapter's fields (what its parser reads back)."""
        return dspy.ChatAdapter().format_assistant_message_content(self.signature, outputs).rstrip("\n")


def _signature(inputs: list[tuple], outputs: list[tuple], instructions: str) -> type[dspy.Signature]:
    fields = {name: (str, dspy.InputField(desc=desc.strip())) for name, _, desc in inputs}
    fields.update({name: (annotation(kind), dspy.OutputField(desc=desc.strip())) for name, kind, desc in outputs})
    return dspy.Signature(fields, instructions or None)


def _demos(turns: list[dict]) -> list[dict]:
    """Earlier user/assistant pairs (the client's demos and history) as examples of its fields."""
    pairs = zip(turns[::2], turns[1::2], strict=False)
    return [{**dict(_VALUE.findall(str(asked.get("content")))), **dict(_VALUE.findall(str(answered.get("content"))))}
            for asked, answered in pairs if asked.get("role") == "user" and answered.get("role") == "assistant"]


def annotation(text: str):
    """The type named by ``text`` in the adapter's words (``Literal['pos', 'neg']``, ``list[str]``), read from
    a small grammar; ``str`` for anything outside it."""
    if len(text) > MAX_TYPE_LENGTH:
        return str
    try:
        kind = _read(ast.parse(text.strip(), mode="eval").body)
        pydantic.TypeAdapter(kind)  # a type pydantic cannot build (dict[str], Literal[()]) is text
    except (SyntaxError, ValueError, TypeError, KeyError, AssertionError, RecursionError, pydantic.PydanticUserError):
        return str
    return kind


def _read(node: ast.AST):
    if isinstance(node, ast.Name):
        return _NAMES[node.id]
    if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name):
        items = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
        if node.value.id == "Literal":
            return Literal[tuple(ast.literal_eval(item) for item in items)]
        return _NAMES[node.value.id][tuple(_read(item) for item in items) if len(items) > 1 else _read(items[0])]
    raise ValueError(f"not a type the adapter writes: {ast.dump(node)[:60]}")
