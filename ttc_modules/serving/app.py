"""``ttc serve``'s ASGI app: compute-optimal answers behind OpenAI's chat-completions API.

Routes: ``POST /v1/chat/completions`` (plain or ``stream: true``), ``GET /v1/models``, ``GET /health``
and ``GET /metrics`` (Prometheus). Each request is read for the program and inputs it asks for
(``asked.py``: the whole conversation, or a DSPy client's own program), is admitted
(``admission.py``), runs its strategy (``served_models.py``) with ``acall`` under a meter of its own, so its LM requests are coroutines on
the server's event loop, and is answered in OpenAI's shapes (``replies.py``) or OpenAI's error JSON
(``protocol.py``): 400 for a bad request, 401 without a configured bearer key, 404 for an unknown
model, 413 for a body over ``serve.max_body_bytes``, 429 when the line is full, 502 when the backend
fails, 504 when the search outlasts ``serve.request_timeout``.

Example:
    >>> from fastapi.testclient import TestClient
    >>> from ttc_modules.config import load_settings
    >>> client = TestClient(create_app(load_settings()))
    >>> client.get("/v1/models").json()["data"][0]["id"], client.get("/health").json()["status"]
    ('ttc', 'ok')
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import os
import time

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse
from pydantic import ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

from ttc_modules.budget import BudgetExceeded, BudgetMeter
from ttc_modules.config import ConfigError, Settings
from ttc_modules.lm.errors import BackendError
from ttc_modules.serving.admission import Admission
from ttc_modules.serving.asked import asked
from ttc_modules.serving.metrics import CONTENT_TYPE, ServerMetrics
from ttc_modules.serving.protocol import ChatRequest, ServerError, validation_error
from ttc_modules.serving.replies import Content, chunks, completion
from ttc_modules.serving.served_models import PolicyProgram, ServedModel, ServedModels

logger = logging.getLogger(__name__)
PROGRESS_EVERY = 1.0  # seconds between a stream's progress comments while its search runs


def create_app(settings: Settings, policy_program: PolicyProgram | None = None) -> FastAPI:
    """The app serving ``settings.served_models`` (or the default model) on ``settings``' backends."""
    served = ServedModels.from_settings(settings, policy_program)
    served.check()  # a bad served model fails here, naming it
    metrics = ServerMetrics()
    admission = Admission(settings.serve.max_concurrency, settings.serve.max_queue,
                          on_change=lambda running, waiting: (metrics.running.set(running), metrics.waiting.set(waiting)))
    keys = bearer_keys(settings.serve.api_keys_env)
    app = FastAPI(title="dspy-ttc", docs_url=None, redoc_url=None)
    app.state.served, app.state.metrics, app.state.admission = served, metrics, admission

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
        asked = None
        try:
            authorize(request, keys)
            chat = await read_request(request, settings.serve.max_body_bytes)
            asked = chat.model
            search = Search(served.get(chat.model), chat, admission, metrics, settings.serve.request_timeout)
        except ServerError as refused:  # counted under its model when it names a served one
            metrics.finished(asked if asked in served.models else "unknown", refused.status, 0.0, None)
            raise
        if chat.stream:
            return StreamingResponse(search.events(), media_type="text/event-stream",
                                     headers={"Cache-Control": "no-cache"})
        return await search.reply()

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


async def read_request(request: Request, max_bytes: int) -> ChatRequest:
    """The request body as a :class:`ChatRequest`, or a 413 or 400 saying what is wrong with it."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > max_bytes:
        raise _too_large(int(declared), max_bytes)
    body = await request.body()
    if len(body) > max_bytes:
        raise _too_large(len(body), max_bytes)
    try:
        data = json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise ServerError(400, f"the body is not JSON ({error}); send a chat-completions request as JSON") from error
    if not isinstance(data, dict):
        raise ServerError(400, "the body must be a JSON object (a chat-completions request)")
    try:
        return ChatRequest.model_validate(data)
    except ValidationError as error:
        raise validation_error(error) from error


def internal_error(error: Exception) -> ServerError:
    """An unexpected failure as a 500 in OpenAI's error JSON (logged with its traceback)."""
    logger.error("request failed", exc_info=error)
    return ServerError(500, f"the server failed: {type(error).__name__}: {error}", kind="server_error")


def _too_large(size: int, max_bytes: int) -> ServerError:
    return ServerError(413, f"the body has {size:,} bytes, more than this server takes ({max_bytes:,}); send a "
                            "shorter request or raise serve.max_body_bytes")


class Search:
    """One request's search: admitted, run with ``acall`` under its own meter, timed, counted."""

    def __init__(self, model: ServedModel, chat: ChatRequest, admission: Admission, metrics: ServerMetrics,
                 timeout: float):
        self.model, self.chat, self.admission, self.metrics, self.timeout = model, chat, admission, metrics, timeout
        # a bad request fails here, not mid-stream
        self.asked = asked([message.model_dump() for message in chat.messages], model.served_fields())
        self.program = model.program(chat.ttc, chat.seed, self.asked.program)
        self.content = Content(self.program.module.generator.fields, self.asked.form)
        self.meter = BudgetMeter()

    async def reply(self) -> JSONResponse:
        return JSONResponse(await self.run())

    async def run(self) -> dict:
        """The ``ChatCompletion``, or a :class:`ServerError`; the request counted in the metrics either way."""
        started, spent, status = time.monotonic(), None, 500
        try:
            async with self.admission.admit():
                prediction = await self._search()
            spent = dict(prediction.spent)
            if spent["generations"] == 0 and spent.get("exhausted"):
                raise ServerError(400, f"a budget of {self.program.budget} generations is too small for "
                                       f"{self.program.label}: not one generation fitted; ask for a larger "
                                       "ttc.budget or another strategy", param="ttc.budget")
            status = 200
            return completion(prediction, self.model.name, self.chat.n, self.program.label, self.content)
        except ServerError as error:
            status = error.status
            raise
        except asyncio.CancelledError:
            status = 499  # the client went away
            raise
        finally:
            self.metrics.finished(self.model.name, status, time.monotonic() - started,
                                  spent if spent is not None else (self.meter.spent() if status != 429 else None))

    async def _search(self):
        with self.meter.active():  # the run's meter nests in it: progress and spend are read here
            try:
                call = self.program.module.acall(**self.asked.inputs, **self.program.call_options)
                return await asyncio.wait_for(call, self.timeout)
            except TimeoutError as error:
                raise ServerError(504, f"the search took longer than {self.timeout:g} s and was stopped; ask for a "
                                       "smaller ttc.budget or raise serve.request_timeout", kind="timeout_error") from error
            except BackendError as error:
                raise ServerError(502, f"the backend of {self.model.name} ({self.model.lm.model}) failed: {error}",
                                  kind="backend_error") from error
            except (BudgetExceeded, ValueError) as error:
                raise ServerError(400, f"{error}", param="ttc") from error

    async def events(self):
        """Server-sent events: progress comments while the search runs, then the answer's chunks and ``[DONE]``."""
        task = asyncio.ensure_future(self.run())
        try:
            while not task.done():
                done, _ = await asyncio.wait({task}, timeout=PROGRESS_EVERY)
                if not done:  # what came back so far (generations are charged before they are asked for)
                    spent = self.meter.spent()
                    yield (f": searching: {spent['lm_calls']} LM calls answered, "
                           f"{spent['prompt_tokens'] + spent['completion_tokens']} tokens\n\n")
            include_usage = bool((self.chat.stream_options or {}).get("include_usage"))
            for chunk in chunks(task.result(), include_usage):
                yield f"data: {json.dumps(chunk)}\n\n"
            yield "data: [DONE]\n\n"
        except Exception as error:  # the status line is sent already: the error is the stream's last event
            refused = error if isinstance(error, ServerError) else internal_error(error)
            yield f"data: {json.dumps(refused.body())}\n\n"
            yield "data: [DONE]\n\n"
        finally:
            if not task.done():
                task.cancel()  # the client went away: the search stops at its next request
