"""``ttc serve``'s app on a real uvicorn server on 127.0.0.1, backed by our loopback OpenAI server."""

import threading
import time

import pytest
import uvicorn
import yaml

from ttc_modules.config import load_settings
from ttc_modules.lm.cache import configure_cache
from ttc_modules.serving import create_app
from ttc_modules.testing import OpenAIStubServer, ServeCommand

pytestmark = pytest.mark.integration


class RunningApp:
    """An ASGI app served by uvicorn in a thread on a free port of 127.0.0.1."""

    def __init__(self, app):
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self):
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            assert time.monotonic() < deadline and self.thread.is_alive(), "uvicorn did not start"
            time.sleep(0.02)
        port = self.server.servers[0].sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"
        self.base_url = self.url + "/v1"
        return self

    def __exit__(self, *exc):
        self.server.should_exit = True
        self.thread.join(timeout=30)


@pytest.fixture
def backend():
    with OpenAIStubServer() as server:
        yield server


def settings_for(backend, tmp_path, **more):
    """Settings whose backend is ``backend`` (chat, DSPy's adapter format) and whose cache is in ``tmp_path``."""
    settings = load_settings(overrides={
        "backend": {"model": "openai/stub-model", "api_base": backend.base_url, "max_tokens": 64},
        "cache.dir": str(tmp_path / "cache"), "retry.initial_wait": 0.01, "retry.max_wait": 0.05, **more})
    configure_cache(settings)
    return settings


@pytest.fixture
def serve(backend, tmp_path):
    """``serve(**settings)``: a running ``ttc serve`` app over ``backend`` with those settings."""
    running = []

    def start(policy_program=None, **more):
        app = RunningApp(create_app(settings_for(backend, tmp_path, **more), policy_program=policy_program))
        running.append(app)
        return app.__enter__()

    yield start
    for app in running:
        app.__exit__()


@pytest.fixture(scope="module")
def command(tmp_path_factory):
    """``ttc serve`` in a process of its own (its memory measured apart from the tests'), over a loopback
    backend, serving ``bo8``: best-of-N at a budget of 8 generations, at most 16."""
    tmp = tmp_path_factory.mktemp("served")
    with OpenAIStubServer() as backend:
        config = tmp / "ttc.yaml"
        config.write_text(yaml.safe_dump({
            "backend": {"model": "openai/stub-model", "api_base": backend.base_url, "max_tokens": 32},
            "cache": {"dir": str(tmp / "cache")}, "serve": {"max_body_bytes": 1_000_000},
            "served_models": {"bo8": {"budget": 8, "max_budget": 16}}}))
        with ServeCommand(config) as server:
            yield server
