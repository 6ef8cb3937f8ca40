"""Every example config builds its LMs, and each OpenAI-compatible backend in it answers a request.

The example's server is replaced by our loopback server answering to the same model name (with a
key when the example reads one), so what is exercised is the example's own settings: provider,
model type, key handling, concurrency. Embedded backends draw one short sample in process.
Anthropic's and Ollama's backends reach the same server through its ``/v1/messages`` and ``/api/chat``.
"""

import contextlib
from pathlib import Path

import pytest

from ttc_modules.config import load_settings
from ttc_modules.lm import build_lm, sample
from ttc_modules.testing import OpenAIStubServer

pytestmark = pytest.mark.integration

EXAMPLES = sorted((Path(__file__).parents[2] / "examples" / "configs").glob("*.yaml"))
SERVED = ("openai/", "hosted_vllm/", "text-completion-openai/", "anthropic/", "ollama_chat/")
MESSAGES = [{"role": "user", "content": "What is 2 + 3?"}]


def backends(path: Path) -> list[tuple[str | None, str]]:
    settings = load_settings(path)
    return [(None, settings.backend.model)] + [(name, b.model) for name, b in settings.backends.items()]


CASES = [(path, name) for path in EXAMPLES for name, _ in backends(path)]


@pytest.mark.parametrize("path,name", CASES, ids=[f"{p.stem}-{n or 'backend'}" for p, n in CASES])
def test_every_example_backend_builds_and_answers(path, name, monkeypatch):
    settings = load_settings(path)
    config = settings.resolve_backend(name)
    if config.api_key_env:
        monkeypatch.setenv(config.api_key_env, "example-key")
    if config.model.startswith("local/"):
        assert sample(build_lm(settings, name, max_tokens=4), MESSAGES, n=1, seed=0)
        return
    assert config.model.startswith(SERVED), f"no server here speaks {config.model}'s API; add it to the stub"
    served = config.model.split("/", 1)[1]
    if config.deployments:
        return _replicas_answer(settings, name, config, served)
    with OpenAIStubServer(model=served, api_key="example-key" if config.api_key_env else None) as server:
        base = server.url if config.model.startswith(("anthropic/", "ollama_chat/")) else server.base_url
        lm = build_lm(settings, name, api_base=base, max_tokens=16, cache=False)
        texts = sample(lm, MESSAGES, n=2, seed=0)
        assert len(texts) == 2 and server.count >= 1  # keyless examples reach it without a key of the user's


def _replicas_answer(settings, name, config, served: str) -> None:
    """A backend with deployments: each replaced by a loopback server, which all answer through its Router."""
    with contextlib.ExitStack() as stack:
        servers = [stack.enter_context(OpenAIStubServer(model=served)) for _ in config.deployments]
        deployments = [d.model_copy(update={"api_base": s.base_url}) for d, s in zip(config.deployments, servers,
                                                                                      strict=True)]
        routed = config.model_copy(update={"deployments": deployments})
        settings = settings.model_copy(update={"backend": routed} if name is None else
                                       {"backends": {**settings.backends, name: routed}})
        lm = build_lm(settings, name, max_tokens=16, cache=False)
        for i in range(12):
            assert len(sample(lm, [{"role": "user", "content": f"What is {i} + 3?"}], n=2, seed=0)) == 2
        assert sum(server.count for server in servers) == 12  # one request each (least-busy may pick one server)
