"""A process reward model behind HTTP: our JSON contract, or vLLM's pooling API.

**Our contract** (``format="ttc"``): ``POST <url>`` with JSON
``{"question": str, "steps": [str, ...], "model": str | null}``; the answer is
``{"step_scores": [float, ...]}``, one score in [0, 1] per step. Any server that speaks this works.

**vLLM** (``format="vllm"``): a PRM such as Qwen2.5-Math-PRM-7B served with
``vllm serve Qwen/Qwen2.5-Math-PRM-7B --task reward`` answers ``POST /pooling``. The steps are
sent as one chat (system prompt, the question, then the steps, each ended by the ``<extra_0>``
step separator); the answer's ``data[0].data`` holds one ``[p_wrong, p_right]`` pair per
separator, and the score of a step is ``p_right``. A PRM trained with TRL's ``PRMTrainer`` reads
plain text, not a chat: the prompt, then each step followed by the trainer's ``step_separator``;
``chat=False, separator=...`` sends exactly that (``docs/verifiers.md`` has the whole route).

Transient failures (connection errors, timeouts, 429, 5xx) are retried with tenacity (jittered
exponential backoff); others fail at once with the URL and the status in the message.

Example:
    >>> prm = RemotePRM("http://127.0.0.1:8001/score")
    >>> prm.score({"question": "5 + 3?"}, ["5 + 3 = 8.", "The answer is 8."])  # doctest: +SKIP
    [0.97, 0.95]
"""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
from typing import Literal

from tenacity import Retrying, retry_if_exception_type, stop_after_attempt, wait_random_exponential

from ttc_modules.verifiers.base import VerifierError

QWEN_PRM_SYSTEM = "Please reason step by step, and put your final answer within \\boxed{}."
STEP_SEPARATOR = "<extra_0>"


class RemotePRMError(VerifierError):
    """The reward model server failed for good, or answered something that is not scores."""


class _Transient(Exception):
    """A failure worth retrying."""


class RemotePRM:
    """Process verifier calling a reward model server (see the module docstring)."""

    process = True
    oracle = False

    def __init__(self, url: str, format: Literal["ttc", "vllm"] = "ttc", model: str | None = None,  # noqa: A002
                 api_key_env: str | None = None, timeout: float = 60.0, attempts: int = 4,
                 max_wait: float = 10.0, separator: str = STEP_SEPARATOR, chat: bool = True):
        if format not in ("ttc", "vllm"):
            raise ValueError(f"format must be 'ttc' or 'vllm', got {format!r}")
        if not separator:
            raise ValueError("separator must be the step separator the PRM was trained with, such as '<extra_0>'")
        self.url, self.format, self.model, self.api_key_env = url.rstrip("/"), format, model, api_key_env
        self.separator, self.chat = separator, chat
        self.timeout, self.attempts, self.max_wait = timeout, attempts, max_wait
        self.name = f"prm({model or url})"

    @property
    def cache_id(self) -> str:
        layout = "" if (self.separator, self.chat) == (STEP_SEPARATOR, True) else f":{self.separator!r}:{self.chat}"
        return f"remote-prm-v1:{self.url}:{self.format}:{self.model}{layout}"  # never the key

    def score(self, inputs: dict, steps: list[str]) -> list[float]:
        question = str(inputs.get("question", ""))
        body = self._vllm_body(question, steps) if self.format == "vllm" else \
            {"question": question, "steps": steps, "model": self.model}
        reply = self._post(body)
        scores = self._vllm_scores(reply) if self.format == "vllm" else reply.get("step_scores")
        if not isinstance(scores, list) or len(scores) != len(steps):
            raise RemotePRMError(f"reward model at {self.url} answered {str(reply)[:120]!r}; expected "
                                 f"{len(steps)} step scores")
        return [float(s) for s in scores]

    def _vllm_body(self, question: str, steps: list[str]) -> dict:
        solution = "".join(step + self.separator for step in steps)
        if not self.chat:  # as TRL's PRMTrainer lays out a row: the prompt, then each step and its separator
            return {"model": self.model, "input": question + solution}
        return {"model": self.model, "messages": [
            {"role": "system", "content": QWEN_PRM_SYSTEM}, {"role": "user", "content": question},
            {"role": "assistant", "content": solution}]}

    def _vllm_scores(self, reply: dict) -> list[float]:
        try:
            return [pair[1] for pair in reply["data"][0]["data"]]
        except (KeyError, IndexError, TypeError):
            raise RemotePRMError(f"vLLM pooling answer from {self.url} has no data[0].data pairs: "
                                 f"{str(reply)[:120]!r}") from None

    def _post(self, body: dict) -> dict:
        retrying = Retrying(stop=stop_after_attempt(self.attempts), reraise=True,
                            wait=wait_random_exponential(multiplier=0.2, max=self.max_wait),
                            retry=retry_if_exception_type(_Transient))
        try:
            return retrying(self._post_once, body)
        except _Transient as exc:
            raise RemotePRMError(f"reward model at {self.url} kept failing after {self.attempts} attempts: "
                                 f"{exc}; is the server running?") from None

    def _post_once(self, body: dict) -> dict:
        headers = {"Content-Type": "application/json"}
        if self.api_key_env:
            headers["Authorization"] = f"Bearer {os.environ.get(self.api_key_env, '')}"
        request = urllib.request.Request(self.url, json.dumps(body).encode(), headers)
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                return json.load(response)
        except urllib.error.HTTPError as exc:
            if exc.code == 429 or exc.code >= 500:
                raise _Transient(f"HTTP {exc.code}") from None
            raise RemotePRMError(f"reward model at {self.url} refused the request (HTTP {exc.code}): "
                                 f"{exc.read()[:200].decode('utf-8', 'replace')}") from None
        except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
            raise _Transient(str(getattr(exc, "reason", exc))) from None
        except json.JSONDecodeError:
            raise RemotePRMError(f"reward model at {self.url} did not answer JSON") from None
