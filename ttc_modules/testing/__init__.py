"""Test doubles that users and our tests import: scripted LMs and loopback servers on 127.0.0.1.

- :func:`scripted_lm` (``scripted.py``): a real :class:`~ttc_modules.lm.TTCLM` on an in-process
  LiteLLM provider that answers from a function of the prompt and the seed, never of call order.
- :class:`StepScript`, :func:`v_score` (``step_script.py``): step-level answers and a process
  verifier whose choices the tests can predict.
- :class:`OpenAIStubServer` (``openai_stub_server.py``): an OpenAI-compatible chat and text
  completion server with injectable failures, keys, delays and a concurrency limit; what it answers
  (``responders.py``), the failures it injects (``faults.py``), and Anthropic's and Ollama's APIs
  read as OpenAI's (``api_dialects.py``).
- :class:`StubServerProcess` (``stub_process.py``): that server in a process of its own, to kill.
- :class:`LlamaCppServer` (``llamacpp_server.py``): llama.cpp's own OpenAI-compatible HTTP server,
  serving an embedded model (needs the ``local`` extra).
- :class:`PRMStubServer` (``prm_stub_server.py``): a reward model server in our format and vLLM's.
- :class:`ServeCommand` (``serve_command.py``): ``ttc serve`` as a process of its own.
- ``loopback.py``: what the servers share.
"""

from ttc_modules.testing.llamacpp_server import LlamaCppServer
from ttc_modules.testing.openai_stub_server import OpenAIStubServer, arithmetic_responder
from ttc_modules.testing.prm_stub_server import PRMStubServer
from ttc_modules.testing.scripted import END_OF_TEXT, ScriptedProvider, scripted_lm
from ttc_modules.testing.serve_command import ServeCommand
from ttc_modules.testing.step_script import StepScript, v_score
from ttc_modules.testing.stub_process import StubServerProcess

__all__ = ["END_OF_TEXT", "LlamaCppServer", "OpenAIStubServer", "PRMStubServer", "ScriptedProvider", "ServeCommand",
           "StepScript", "StubServerProcess", "arithmetic_responder", "scripted_lm", "v_score"]
