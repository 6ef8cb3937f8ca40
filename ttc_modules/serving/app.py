"""``ttc serve``'s ASGI app: compute-optimal answers behind OpenAI's chat-completions API.

Routes: ``POST /v1/chat/completions`` (plain or ``stream: true``), ``GET /v1/models``, ``GET /health``
and ``GET /metrics`` (Prometheus). Each request is read for the program and inputs it asks for
(``asked.py``: the whole conversation, or a DSPy client's own program) and searched (``search.py``:
admitted by ``admission.py``, its strategy from ``served_models.py`` run with ``acall`` under a meter
of its own, so its LM requests are coroutines on the server's event loop). It is answered in
OpenAI's shapes (``replies.py``) or OpenAI's error JSON (``protocol.py``): 400 for a bad request
(every option checked before anything runs: ``protocol.py``, ``option_checks.py``), 401 without a
configured bearer key, 403 from another site (``guard.py``), 404 for an unknown model, 413 for a
body over ``serve.max_body_bytes`` (held while reading: ``body.py``), 415 for a body that is not
JSON, 429 when the line is full, 502 when the backend fails (its kind; the details in the log), 504
when the search outlasts ``serve.request_timeout``, and 500, logged once, for a failure of the
server's own. A client that leaves stops its search (counted as status 499).

Example:
    >>> from fastapi.testclient import TestClient
    >>> from ttc_modules.config import load_settings
    >>> client = TestClient(create_app(load_settings()), base_url="http://localhost")
    >>> client.get("/v1/models").json()["data"][0]["id"], client.get("/health").json()["status"]
    ('ttc', 'ok')
"""

from __future__ import annotations

import hmac
import logging
import os

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse
from pydantic import ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.cors import CORSMiddleware

from ttc_modules.config import ConfigError, Settings
from ttc_modules.serving.admission import Admission
from ttc_modules.serving.body import parsed_json, read_body
from ttc_modules.serving.guard import SameSiteGuard, allowed_hosts
from ttc_modules.serving.metrics import CONTENT_TYPE, ServerMetrics
from ttc_modules.serving.protocol import CLIENT_LEFT, ChatRequest, ServerError
from ttc_modules.serving.ranges import invalid_option
from ttc_modules.serving.search import Search, internal_error
from ttc_modules.serving.served_models import PolicyProgram, ServedModels
from ttc_modules.strategies.registry import register_strategies

logger = logging.getLogger(__name__)


def create_app(settings: Settings, policy_program: PolicyProgram | None = None) -> FastAPI:
    """The app serving ``settings.served_models`` (or the default model) on ``settings``' backends, with the
    user's strategies of ``settings.strategies`` registered first (a served model may use them)."""
    register_strategies(settings.strategies)
    served = ServedModels.from_settings(settings, policy_program)
    served.check()  # a bad served model fails here, naming it
    metrics = ServerMetrics()
    admission = Admission(settings.serve.max_concurrency, settings.serve.max_queue,
                          on_change=lambda running, waiting: (metrics.running.set(running), metrics.waiting.set(waiting)))
    keys = bearer_keys(settings.serve.api_keys_env)
    hosts = allowed_hosts(settings.serve.allowed_hosts, settings.serve.host, keyed=bool(keys))
    app = FastAPI(title="dspy-ttc", docs_url=None, redoc_url=None, openapi_url=None, redirect_slashes=False)
    app.state.served, app.state.metrics, app.state.admission = served, metrics, admission
    if settings.serve.allowed_origins:
        app.add_middleware(CORSMiddleware, allow_origins=settings.serve.allowed_origins,
                           allow_methods=["GET", "POST"], allow_headers=["authorization", "content-type"])
    app.add_middleware(SameSiteGuard, hosts=hosts, origins=settings.serve.allowed_origins)

    _answer_errors_in_openai_json(app)

    @app.get("/health")
    async def health():
        return {"status": "ok", "models": served.names(), "running": admission.running, "waiting": admission.waiting}

    @app.get("/metrics")
    async def prometheus():
        return Response(metrics.exposition(), media_type=CONTENT_TYPE)

    @app.get("/v1/models")
    async def models(request: Request):
        authorize(request, keys)
        return {"object": "list", "data": [{"id": name, "object": "model", "created": 0, "owned_by": "dspy-ttc"}
                                           for name in served.names()]}

    @app.post("/v1/chat/completions")
    async def chat_completions(request: Request):
        named = "unknown"  # the served model the request names, once it names one
        try:
            authorize(request, keys)
            data = parsed_json(await read_body(request, settings.serve.max_body_bytes, settings.serve.read_timeout))
            named = data["model"] if isinstance(data.get("model"), str) and data["model"] in served.models else named
            chat = chat_request(data)
            search = Search(served.get(chat.model), chat, admission, metrics, settings.serve.request_timeout)
        except Exception as error:  # refused before searching: counted here, under its model when it names one
            refused = error if isinstance(error, ServerError) else internal_error(error)
            metrics.finished(named, refused.status, None, None)
            if refused.status == CLIENT_LEFT:
                return Response(status_code=CLIENT_LEFT)  # nobody to read it
            raise refused from None
        if chat.stream:
            return StreamingResponse(search.events(), media_type="text/event-stream",
                                     headers={"Cache-Control": "no-cache"})
        return await search.reply(request)

    return app


def _answer_errors_in_openai_json(app: FastAPI) -> None:
    """Every refusal, unknown route and unexpected failure answered in OpenAI's error JSON."""

    @app.exception_handler(ServerError)
    async def _refused(request: Request, error: ServerError):
        return JSONResponse(error.body(), status_code=error.status, headers=error.headers)

    @app.exception_handler(StarletteHTTPException)
    async def _routing(request: Request, error: StarletteHTTPException):  # unknown route, wrong method
        return await _refused(request, ServerError(error.status_code, f"{request.method} {request.url.path}: "
                                                   f"{error.detail}; the routes are POST /v1/chat/completions, "
                                                   "GET /v1/models, /health and /metrics"))

    @app.exception_handler(Exception)
    async def _failed(request: Request, error: Exception):
        return await _refused(request, internal_error(error))


def bearer_keys(variables: list[str]) -> list[bytes]:
    """The keys clients must send, read from the environment variables named in ``serve.api_keys_env``."""
    missing = [name for name in variables if not os.environ.get(name)]
    if missing:
        raise ConfigError(f"serve.api_keys_env names {', '.join(missing)}, which is not set; export it, or remove "
                          "it from serve.api_keys_env")
    return [os.environ[name].encode() for name in variables]


def authorize(request: Request, keys: list[bytes]) -> None:
    """Nothing when no keys are configured or the request's bearer key is one of them; else 401."""
    if not keys:
        return
    scheme, _, given = request.headers.get("authorization", "").strip().partition(" ")
    if scheme.lower() != "bearer" or not any(hmac.compare_digest(given.strip().encode(), key) for key in keys):
        raise ServerError(401, "missing or wrong API key; send one of the server's keys as 'Authorization: Bearer KEY' "
                               "(the OpenAI client's api_key)", kind="authentication_error", code="invalid_api_key")


def chat_request(data: dict) -> ChatRequest:
    """A request's JSON object as a :class:`ChatRequest`, or a 400 naming the field, the value and its range."""
    try:
        return ChatRequest.model_validate(data, strict=True)  # as OpenAI: "1" or true is not an integer
    except ValidationError as error:
        raise invalid_option(error, ChatRequest) from None
