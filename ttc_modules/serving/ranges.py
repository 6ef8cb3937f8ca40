"""What a request option may be, said in one line: its type and range, read from the pydantic field.

:func:`invalid_option` turns pydantic's first error into the 400 a client sees: the option's name,
the value sent, what was wrong, and the values it takes.

Example:
    >>> from pydantic import BaseModel, Field
    >>> class Sampling(BaseModel):
    ...     temperature: float | None = Field(None, ge=0, le=2)
    >>> valid_values(Sampling.model_fields["temperature"])
    'a number from 0 to 2'
    >>> from pydantic import ValidationError
    >>> try:
    ...     Sampling(temperature="hot")
    ... except ValidationError as error:
    ...     print(invalid_option(error, Sampling).message)
    temperature='hot' is not valid (Input should be a valid number, unable to parse string as a number); temperature takes a number from 0 to 2
"""

from __future__ import annotations

import types
import typing
from typing import Any, Literal

import annotated_types
from pydantic import BaseModel, ValidationError
from pydantic.fields import FieldInfo

from ttc_modules.serving.protocol import ServerError

_KIND_OF_VALUE = {int: "an integer", float: "a number", bool: "true or false", str: "a string"}


def valid_values(field: FieldInfo, upper: int | None = None) -> str:
    """The values ``field`` takes, in words (``upper`` lowers its maximum, e.g. to a request's budget)."""
    annotation = field.annotation
    kinds = [kind for kind in _members(annotation) if kind is not type(None)]
    literals = [value for kind in kinds if typing.get_origin(kind) is Literal for value in typing.get_args(kind)]
    if literals:
        return "one of " + ", ".join(repr(value) for value in literals)
    words = " or ".join(dict.fromkeys(_kind_in_words(kind) for kind in kinds))
    low, high = _bounds(field)
    if upper is not None:
        high = upper if high is None else min(high, upper)
    if low is not None and high is not None:
        return f"{words} from {_number(low)} to {_number(high)}"
    if low is not None:
        return f"{words} of at least {_number(low)}"
    return f"{words} of at most {_number(high)}" if high is not None else words


def _kind_in_words(kind) -> str:
    if typing.get_origin(kind) is typing.Annotated:
        kind = typing.get_args(kind)[0]
    if isinstance(kind, type) and issubclass(kind, BaseModel):
        return "an object"
    if kind is list or typing.get_origin(kind) is list:
        return "a list"
    if kind is dict or typing.get_origin(kind) is dict:
        return "an object"
    return _KIND_OF_VALUE.get(kind, getattr(kind, "__name__", str(kind)))


def _number(value) -> str:
    return str(value) if isinstance(value, int) else f"{value:g}"


def invalid_option(error: ValidationError, model: type[BaseModel], prefix: str = "") -> ServerError:
    """pydantic's first error of ``model`` as a 400 naming the option, the value sent and the values it takes."""
    first = error.errors()[0]
    name = ".".join(str(part) for part in first["loc"] if not _is_type_name(part))
    option = prefix + name if name else prefix.rstrip(".") or "body"
    message = str(first["msg"]).removeprefix("Value error, ")
    field = _field_at(model, [part for part in first["loc"] if not _is_type_name(part)])
    takes = f"; {option} takes {valid_values(field)}" if field is not None else ""
    if not name:  # a rule across options (beam_width dividing n...)
        where = f"the {option} options are not valid together" if prefix else "invalid request"
        return ServerError(400, f"{where}: {message}", param=option if prefix else None)
    if first["type"] == "missing":
        return ServerError(400, f"{option} is missing; send it{takes}", param=option)
    sent = shown(first.get("input"))
    return ServerError(400, f"{option}={sent} is not valid ({message}){takes}", param=option)


def _field_at(model: type[BaseModel], path: list) -> FieldInfo | None:
    """The field at ``path`` (names through nested models), or None where the path leaves them."""
    field = None
    for part in path:
        nested = [kind for kind in _members(field.annotation) if isinstance(kind, type) and issubclass(kind, BaseModel)] \
            if field is not None else [model]
        if not nested or str(part) not in nested[0].model_fields:
            return None
        field = nested[0].model_fields[str(part)]
    return field


def _members(annotation) -> tuple:
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        return tuple(member for arg in typing.get_args(annotation) for member in _members(arg))
    return (annotation,)


def _bounds(field: FieldInfo) -> tuple[Any, Any]:
    low = high = None
    for rule in field.metadata:
        if isinstance(rule, (annotated_types.Ge, annotated_types.Gt)):
            low = getattr(rule, "ge", None) if isinstance(rule, annotated_types.Ge) else rule.gt
        if isinstance(rule, (annotated_types.Le, annotated_types.Lt)):
            high = getattr(rule, "le", None) if isinstance(rule, annotated_types.Le) else rule.lt
    return low, high


def shown(value: Any, limit: int = 60) -> str:
    """``value`` as a client sent it (its ``repr``), cut to ``limit`` characters: never echoed whole."""
    return clipped(repr(value), limit)


def clipped(text: str, limit: int = 60) -> str:
    """``text`` cut to ``limit`` characters, marked where cut."""
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _is_type_name(part) -> bool:
    """pydantic's name of a union member in an error's location (``str``, ``list[...]``), not a field."""
    return isinstance(part, str) and (part in ("str", "int", "float", "bool") or "[" in part)
