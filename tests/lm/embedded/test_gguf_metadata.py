"""The GGUF header reader and the chat template read from it, on files written here byte by byte (no model)."""

import struct

import pytest

from ttc_modules.lm.embedded.chat_template import ChatTemplate, TemplateError
from ttc_modules.lm.embedded.gguf_metadata import GGUFFormatError, read_metadata


def _string(text: str) -> bytes:
    data = text.encode()
    return struct.pack("<Q", len(data)) + data


def _gguf(entries: list[tuple[str, int, bytes]], version: int = 3) -> bytes:
    header = b"GGUF" + struct.pack("<IQQ", version, 0, len(entries))
    return header + b"".join(_string(key) + struct.pack("<I", kind) + value for key, kind, value in entries)


def _strings(*items: str) -> bytes:
    return struct.pack("<IQ", 8, len(items)) + b"".join(_string(item) for item in items)


TEMPLATE = "{% for m in messages %}[{{ m.role }}]{{ m.content }}{{ eos_token }}{% endfor %}" \
           "{% if add_generation_prompt %}[assistant]{% endif %}"
FILE = _gguf([
    ("general.name", 8, _string("tiny")),
    ("tokenizer.ggml.scores", 9, struct.pack("<IQ", 6, 3) + struct.pack("<3f", 0.0, -1.0, -2.0)),
    ("tokenizer.ggml.tokens", 9, _strings("<unk>", "<s>", "</s>")),
    ("tokenizer.ggml.bos_token_id", 4, struct.pack("<I", 1)),
    ("tokenizer.ggml.eos_token_id", 4, struct.pack("<I", 2)),
    ("tokenizer.ggml.add_bos_token", 7, struct.pack("<?", False)),
    ("tokenizer.chat_template", 8, _string(TEMPLATE)),
])


def test_scalars_and_strings_are_read_and_arrays_only_when_asked(tmp_path):
    path = tmp_path / "tiny.gguf"
    path.write_bytes(FILE)
    meta = read_metadata(path)
    assert meta["general.name"] == "tiny" and meta["tokenizer.ggml.eos_token_id"] == 2
    assert meta["tokenizer.ggml.add_bos_token"] is False and "tokenizer.ggml.tokens" not in meta
    assert read_metadata(path, arrays={"tokenizer.ggml.tokens"})["tokenizer.ggml.tokens"] == ["<unk>", "<s>", "</s>"]


def test_a_chat_template_from_the_file_renders_with_its_special_tokens_and_continues_a_prefill(tmp_path):
    path = tmp_path / "tiny.gguf"
    path.write_bytes(FILE)
    template = ChatTemplate.from_gguf(path)
    assert (template.bos_token, template.eos_token) == ("<s>", "</s>")
    assert template.render([{"role": "user", "content": "hi"}]) == "[user]hi</s>[assistant]"
    assert template.render([{"role": "user", "content": "hi"}, {"role": "assistant", "content": "Hel"}]) == \
        "[user]hi</s>[assistant]Hel"


def test_a_file_without_a_template_has_none(tmp_path):
    path = tmp_path / "base.gguf"
    path.write_bytes(_gguf([("general.name", 8, _string("base"))]))
    assert ChatTemplate.from_gguf(path) is None


@pytest.mark.parametrize("content, message", [(b"GGML" + bytes(20), "not a GGUF file"),
                                              (b"GGUF" + struct.pack("<IQQ", 1, 0, 0), "GGUF version 1")])
def test_other_files_are_refused_with_what_they_are(tmp_path, content, message):
    path = tmp_path / "other.bin"
    path.write_bytes(content)
    with pytest.raises(GGUFFormatError, match=message):
        read_metadata(path)


def test_a_template_that_refuses_the_chat_says_why():
    template = ChatTemplate("{% if messages[0].role != 'user' %}{{ raise_exception('user first') }}{% endif %}ok")
    assert template.render([{"role": "user", "content": "hi"}]) == "ok"
    with pytest.raises(TemplateError, match="user first"):
        template.render([{"role": "system", "content": "be brief"}, {"role": "user", "content": "hi"}])
