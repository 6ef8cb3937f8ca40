"""A real reward model server on 127.0.0.1 for tests: our JSON contract and vLLM's pooling API.

It scores with the :class:`~ttc_modules.verifiers.ArithmeticChecker`, so its answers are known in
advance, and it speaks both formats :class:`~ttc_modules.verifiers.RemotePRM` reads:
``POST /score`` with ``{"question", "steps"}`` answers ``{"step_scores": [...]}``; ``POST /pooling``
with a Qwen-PRM chat (steps ended by ``<extra_0>``), or with TRL's plain text (``separator``), answers ``{"data": [{"data": [[p_wrong, p_right],
...]}]}``. It can fail the first requests with given status codes; ``bodies`` holds every request.

Example:
    >>> from ttc_modules.verifiers import RemotePRM
    >>> with PRMStubServer() as server:
    ...     RemotePRM(server.url + "/score").score({"question": "1 + 1?"}, ["1 + 1 = 2.", "The answer is 2."])
    [1.0, 1.0]
"""

from __future__ import annotations

import threading

from ttc_modules.testing.faults import Faults
from ttc_modules.testing.loopback import JSONHandler, LoopbackServer
from ttc_modules.verifiers.arithmetic import ArithmeticChecker
from ttc_modules.verifiers.remote_prm import STEP_SEPARATOR


class PRMStubServer(LoopbackServer):
    """The server (see the module docstring); ``failures`` are status codes for the first requests (its
    :class:`~ttc_modules.testing.faults.Faults`)."""

    def __init__(self, failures: tuple[int, ...] | list[int] = (), port: int = 0, separator: str = "\n"):
        self.faults, self.bodies, self.separator = Faults(queued=list(failures)), [], separator
        self.checker = ArithmeticChecker()
        self._lock = threading.Lock()  # the faults and the bodies are shared by the server's request threads
        super().__init__(PRMStubHandler, port)

    def answer(self, path: str, body: dict) -> tuple[int, dict]:
        """The status and JSON answer for a request to ``path``."""
        with self._lock:
            self.bodies.append(body)
            fault = self.faults.next()
        if fault is not None:
            return fault.code, {"error": "injected"}
        if path == "/score":
            return 200, {"step_scores": self.checker.score(body, body["steps"])}
        question, steps = self._pooled_solution(body)
        scores = self.checker.score({"question": question}, steps)
        return 200, {"data": [{"data": [[1 - s, s] for s in scores]}]}

    def _pooled_solution(self, body: dict) -> tuple[str, list[str]]:
        """The question and steps of a pooling request: a Qwen-PRM chat, or TRL's plain text (the
        question ends at its ``?``; every step ends with ``self.separator``)."""
        if "messages" in body:
            return body["messages"][1]["content"], [s for s in body["messages"][2]["content"].split(STEP_SEPARATOR) if s]
        question, _, solution = body["input"].partition("?")
        return question + "?", [s for s in solution.split(self.separator) if s]


class PRMStubHandler(JSONHandler):
    """Answers each request as its :class:`PRMStubServer` (``self.owner``) says."""

    def do_POST(self):  # noqa: N802 - http.server's naming
        self.send_json(*self.owner.answer(self.path, self.read_json() or {}))
