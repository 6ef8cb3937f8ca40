"""A chat model's prompt made from the chat template its GGUF file carries, as llama.cpp makes it.

The embedded engine sends every request to llama.cpp's text-completion path, chats included, because
only there does the stream say which token ended each sample: the model's end-of-text token, or
the token that completed a stop string (its chat path drops that last token). Step-level search
needs the difference (a solution the model ended is finished, whatever its last step says). So
the chat is rendered here, with the template (Jinja, as Hugging Face and llama.cpp read it: blocks
trimmed, loop controls, ``raise_exception``, ``strftime_now``) and the file's BOS and EOS texts.

A chat that ends with an assistant message is continued, not answered anew (llama.cpp's assistant
prefill, vLLM's ``continue_final_message``): the chat before it is rendered with the generation
prompt, and the message's text follows. ``tests/lm/embedded/test_engine.py`` checks that this gives
the tokens llama.cpp's own chat path gives.

Example:
    >>> template = ChatTemplate("{% for m in messages %}<{{ m.role }}>{{ m.content }}</s>{% endfor %}"
    ...                         "{% if add_generation_prompt %}<assistant>{% endif %}")
    >>> template.render([{"role": "user", "content": "2 + 2?"}, {"role": "assistant", "content": "2 + 2 ="}])
    '<user>2 + 2?</s><assistant>2 + 2 ='
"""

from __future__ import annotations

import datetime
import functools
import json
from dataclasses import dataclass
from pathlib import Path

from ttc_modules.lm.embedded.gguf_metadata import read_metadata

_TEMPLATE_KEY = "tokenizer.chat_template"
_TOKENS_KEY = "tokenizer.ggml.tokens"


class TemplateError(ValueError):
    """The chat template refused the chat (it called ``raise_exception``)."""


def _raise(message: str):
    raise TemplateError(message)


@dataclass(frozen=True)
class ChatTemplate:
    """A Jinja chat template and the special-token texts it may use."""

    source: str
    bos_token: str = ""
    eos_token: str = ""

    @classmethod
    def from_gguf(cls, path: str | Path) -> ChatTemplate | None:
        """The template stored in the GGUF file ``path``, or None when it has none."""
        metadata = read_metadata(path, arrays={_TOKENS_KEY})
        if _TEMPLATE_KEY not in metadata:
            return None
        tokens = metadata.get(_TOKENS_KEY) or []

        def text(key: str) -> str:
            index = metadata.get(f"tokenizer.ggml.{key}_token_id")
            return tokens[index] if isinstance(index, int) and 0 <= index < len(tokens) else ""

        return cls(metadata[_TEMPLATE_KEY], bos_token=text("bos"), eos_token=text("eos"))

    def render(self, messages: list[dict]) -> str:
        """The prompt for ``messages`` (``role`` and text ``content``), ready for the model's answer."""
        prefill = messages[-1]["content"] if messages and messages[-1]["role"] == "assistant" else None
        shown = messages[:-1] if prefill is not None else messages
        return _compile(self.source).render(messages=shown, add_generation_prompt=True, bos_token=self.bos_token,
                                            eos_token=self.eos_token) + (prefill or "")


@functools.lru_cache(maxsize=8)
def _compile(source: str):
    from jinja2.ext import loopcontrols
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    environment = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True, extensions=[loopcontrols])
    environment.globals.update(raise_exception=_raise,
                               strftime_now=lambda fmt: datetime.datetime.now().strftime(fmt))
    environment.filters["tojson"] = lambda value, indent=None: json.dumps(value, ensure_ascii=False, indent=indent)
    return environment.from_string(source)
