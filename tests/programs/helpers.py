"""Replies in DSPy's chat format, for scripted LMs standing in for a model that follows it."""

import re


def fields_reply(**fields) -> str:
    """A whole reply in the ChatAdapter's format: each field's marker and value, then the completed marker."""
    return "".join(f"[[ ## {name} ## ]]\n{value}\n\n" for name, value in fields.items()) + "[[ ## completed ## ]]"


def field_of(prompt: str, name: str) -> str | None:
    """The value of the input field ``name`` in a user message the ChatAdapter formatted."""
    found = re.search(rf"\[\[ ## {name} ## \]\]\n(.*?)(?=\n\n\[\[ ## |\n\nRespond with|\Z)", prompt, re.S)
    return found.group(1) if found else None
