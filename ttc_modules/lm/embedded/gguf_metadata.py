"""The key-value header of a GGUF file: a model's chat template and special tokens, without loading it.

GGUF (llama.cpp's model format) starts with its metadata: ``kv_count`` keys, each with a typed value
(numbers, strings, arrays). This reads that header and stops before the tensors. llama.cpp's own
``gguf`` package reads the same, but builds an object for every element of every array first: it
took 6.5 s on SmolLM2's file (a 49k-token vocabulary), this 0.1 s. An engine reads it at its first
chat.

Example:
    >>> from ttc_modules.lm.embedded.catalogue import resolve_model
    >>> meta = read_metadata(resolve_model("smollm2-135m-instruct").locate(), arrays={"tokenizer.ggml.tokens"})  # doctest: +SKIP
    >>> meta["tokenizer.ggml.tokens"][meta["tokenizer.ggml.eos_token_id"]]  # doctest: +SKIP
    '<|im_end|>'
"""

from __future__ import annotations

import mmap
import struct
from pathlib import Path

_SCALARS = {0: "<B", 1: "<b", 2: "<H", 3: "<h", 4: "<I", 5: "<i", 6: "<f", 7: "<?", 10: "<Q", 11: "<q", 12: "<d"}
_STRING, _ARRAY = 8, 9


class GGUFFormatError(ValueError):
    """The file is not a GGUF file this reader understands."""


class _Cursor:
    """Reads little-endian values from a buffer, front to back."""

    def __init__(self, buffer):
        self.buffer, self.at = buffer, 0

    def scalar(self, kind: int):
        fmt = _SCALARS[kind]
        (value,) = struct.unpack_from(fmt, self.buffer, self.at)
        self.at += struct.calcsize(fmt)
        return value

    def string(self, keep: bool = True) -> str | None:
        length = self.scalar(10)
        start, self.at = self.at, self.at + length
        return bytes(self.buffer[start:self.at]).decode("utf-8", errors="replace") if keep else None

    def value(self, kind: int, keep: bool):
        if kind == _STRING:
            return self.string(keep)
        if kind == _ARRAY:
            item_kind, count = self.scalar(4), self.scalar(10)
            if item_kind in _SCALARS and not keep:  # skipped in one step
                self.at += count * struct.calcsize(_SCALARS[item_kind])
                return None
            items = [self.value(item_kind, keep) for _ in range(count)]
            return items if keep else None
        if kind not in _SCALARS:
            raise GGUFFormatError(f"unknown GGUF value type {kind}")
        return self.scalar(kind)


def read_metadata(path: str | Path, arrays: set[str] = frozenset()) -> dict:
    """The header's keys and values: every scalar and string, and the arrays named in ``arrays``
    (others are skipped). Raises :class:`GGUFFormatError` for a file that is not GGUF v2 or v3."""
    with open(path, "rb") as file, mmap.mmap(file.fileno(), 0, access=mmap.ACCESS_READ) as buffer:
        if buffer[:4] != b"GGUF":
            raise GGUFFormatError(f"{path} is not a GGUF file (it does not start with 'GGUF')")
        cursor = _Cursor(buffer)
        cursor.at = 4
        version = cursor.scalar(4)
        if version not in (2, 3):
            raise GGUFFormatError(f"{path} is GGUF version {version}; versions 2 and 3 are read")
        cursor.scalar(10)  # tensor count
        metadata = {}
        for _ in range(cursor.scalar(10)):
            key, kind = cursor.string(), cursor.scalar(4)
            value = cursor.value(kind, keep=kind != _ARRAY or key in arrays)
            if value is not None:
                metadata[key] = value
        return metadata
