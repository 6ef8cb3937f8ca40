"""An adapter that makes one unreadable sample a failed candidate instead of an error for every sample.

DSPy's adapters parse each completion of a call and raise ``AdapterParseError`` when one cannot be
read, so with ``n`` samples in one call a single bad one loses the other ``n - 1`` (and ends the
run), and a small model writes such samples often. :func:`lenient` turns any ``dspy.Adapter`` into
one that reads each completion on its own, tries JSON where its own format fails (as DSPy's chat
adapter falls back to JSON, but without a new call), then the chat format again with each
``Literal`` field's value matched regardless of case and of quotes or punctuation around it
(``Yes.`` for ``Literal['yes', 'no']``: :func:`literals_matched`), and returns a completion it still
cannot read as :class:`Unparsed` text in the signature's first output field (the other fields
None), counted in the active budget meter's ``unparsed``.

Example:
    >>> import dspy
    >>> from ttc_modules.testing import scripted_lm
    >>> lm = scripted_lm(lambda prompt, seed: "no field markers at all")
    >>> with dspy.context(lm=lm, adapter=lenient(dspy.ChatAdapter())):
    ...     prediction = dspy.Predict("question -> answer")(question="What is 2 + 2?")
    >>> isinstance(prediction.answer, Unparsed), str(prediction.answer)
    (True, 'no field markers at all')
"""

from __future__ import annotations

import functools
import re
import typing

import dspy
from dspy.utils.exceptions import AdapterParseError

from ttc_modules.budget import current_meter


class Unparsed(str):
    """The raw text of a completion the adapter could not parse."""


class _Lenient:
    """Mixed into an adapter's class: parses completions one at a time and keeps the ones it cannot read."""

    def _call_postprocess(self, processed_signature, original_signature, outputs, lm, lm_kwargs):
        values = []
        for output in outputs:
            try:
                values += super()._call_postprocess(processed_signature, original_signature, [output], lm, lm_kwargs)
            except AdapterParseError:
                values.append(_as_json(processed_signature, original_signature, output, lm, lm_kwargs)
                              or _matched(original_signature, output) or _unparsed(original_signature, output))
        return values


def literals_matched(signature, text: str) -> str:
    """``text`` (in the chat adapter's fields) with each ``Literal`` field's value written as the allowed
    value it matches regardless of case, quotes and punctuation around it (``Yes.`` -> ``yes``).

    Example:
        >>> from typing import Literal
        >>> signature = dspy.Signature({"verdict": (Literal["yes", "no"], dspy.OutputField())})
        >>> literals_matched(signature, "[[ ## verdict ## ]]\\n**Yes.**\\n\\n[[ ## completed ## ]]")
        '[[ ## verdict ## ]]\\nyes\\n\\n[[ ## completed ## ]]'
    """
    for name, field in signature.output_fields.items():
        if typing.get_origin(field.annotation) is not typing.Literal:
            continue
        allowed = {str(value).lower(): str(value) for value in typing.get_args(field.annotation)}

        def matched(found, allowed=allowed):
            key = found.group(2).strip().strip("*_`'\".!?,;: ").lower()
            return found.group(1) + allowed.get(key, found.group(2))

        text = re.sub(rf"(\[\[ ## {name} ## \]\]\n)(.*?)(?=\n\n\[\[ ## |\n*\Z)", matched, text, flags=re.S)
    return text


def _matched(signature, output) -> dict | None:
    """The output read in the chat format with its ``Literal`` values matched (:func:`literals_matched`), or None."""
    text = output.get("text") if isinstance(output, dict) else output
    try:
        return dspy.ChatAdapter().parse(signature, literals_matched(signature, text or ""))
    except (AdapterParseError, ValueError, TypeError):
        return None


def _as_json(processed_signature, original_signature, output, lm, lm_kwargs) -> dict | None:
    """The output read as JSON (a model may answer so whatever the prompt asked), or None."""
    try:
        return dspy.JSONAdapter()._call_postprocess(processed_signature, original_signature, [output], lm,
                                                    lm_kwargs)[0]
    except (AdapterParseError, ValueError, TypeError):
        return None


def _unparsed(signature, output) -> dict:
    text = output.get("text") if isinstance(output, dict) else output
    meter = current_meter()
    if meter is not None:
        meter.record_unparsed()
    fields = list(signature.output_fields)
    return {name: (Unparsed(text or "") if i == 0 else None) for i, name in enumerate(fields)}


@functools.cache
def _lenient_class(adapter_class: type) -> type:
    return type(f"Lenient{adapter_class.__name__}", (_Lenient, adapter_class), {})


def lenient(adapter: dspy.Adapter | None = None) -> dspy.Adapter:
    """``adapter`` (DSPy's configured one, else a ``ChatAdapter``) with lenient parsing; its settings kept."""
    adapter = adapter or dspy.settings.adapter or dspy.ChatAdapter()
    if isinstance(adapter, _Lenient):
        return adapter
    copy = object.__new__(_lenient_class(type(adapter)))
    copy.__dict__.update(vars(adapter))
    return copy
