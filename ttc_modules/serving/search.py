"""One served request's search: admitted, run with ``acall`` under a meter of its own, answered, counted.

The search runs as a task beside a watch on the client's connection: a client that leaves (streamed
or not) cancels it, so its LM requests in flight are cancelled and no new ones are sent; it is counted
with status 499. Every failure comes out as a :class:`ServerError`: 502 naming the served model and the
kind of backend failure (the backend's address and text go to the log only), 504 past the timeout,
and 500, logged once, for a failure of the server's own.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time

from fastapi.responses import JSONResponse, Response
from starlette.requests import Request

from ttc_modules.budget import BudgetExceeded, BudgetMeter
from ttc_modules.lm.errors import BackendError, failure_kind, first_line
from ttc_modules.serving.admission import Admission
from ttc_modules.serving.asked import asked
from ttc_modules.serving.metrics import ServerMetrics
from ttc_modules.serving.protocol import CLIENT_LEFT, ChatRequest, ServerError
from ttc_modules.serving.replies import Content, chunks, completion
from ttc_modules.serving.served_models import ServedModel

logger = logging.getLogger(__name__)
PROGRESS_EVERY = 1.0  # seconds between a stream's progress comments while its search runs


def internal_error(error: Exception) -> ServerError:
    """An unexpected failure as a 500 in OpenAI's error JSON (logged once, with its traceback)."""
    logger.error("request failed", exc_info=error)
    return ServerError(500, f"the server failed: {type(error).__name__}: {error}", kind="server_error")


class Search:
    """One request's search (see the module docstring)."""

    def __init__(self, model: ServedModel, chat: ChatRequest, admission: Admission, metrics: ServerMetrics,
                 timeout: float):
        self.model, self.chat, self.admission, self.metrics, self.timeout = model, chat, admission, metrics, timeout
        # a bad request fails here, not mid-stream
        self.asked = asked([message.model_dump() for message in chat.messages], model.served_fields())
        self.program = model.program(chat.ttc, chat.seed, self.asked.program)
        self.content = Content(self.program.module.generator.fields, self.asked.form)
        self.meter = BudgetMeter()

    async def reply(self, request: Request) -> Response:
        """The ``ChatCompletion`` as JSON; the search cancelled when the client leaves first."""
        search = asyncio.ensure_future(self.run())
        left = asyncio.ensure_future(client_left(request))
        try:
            await asyncio.wait({search, left}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            left.cancel()
            if not search.done():
                search.cancel()  # the client went away (or the server is stopping): the search stops now
                with contextlib.suppress(asyncio.CancelledError):
                    await search
        if search.cancelled():
            return Response(status_code=CLIENT_LEFT)
        return JSONResponse(search.result())

    async def run(self) -> dict:
        """The ``ChatCompletion``, or a :class:`ServerError`; the request counted in the metrics either way."""
        arrived, admitted, spent, status = time.monotonic(), None, None, 500
        try:
            async with self.admission.admit():
                admitted = time.monotonic()
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
            status = CLIENT_LEFT
            raise
        except Exception as error:
            raise internal_error(error) from None
        finally:
            ended = time.monotonic()
            self.metrics.finished(self.model.name, status, None if admitted is None else ended - admitted,
                                  spent if spent is not None else (self.meter.spent() if status != 429 else None),
                                  queued=(admitted or ended) - arrived)

    async def _search(self):
        with self.meter.active():  # the run's meter nests in it: progress and spend are read here
            try:
                call = self.program.module.acall(**self.asked.inputs, **self.program.call_options)
                return await asyncio.wait_for(call, self.timeout)
            except TimeoutError as error:
                raise ServerError(504, f"the search took longer than {self.timeout:g} s and was stopped; ask for a "
                                       "smaller ttc.budget or raise serve.request_timeout", kind="timeout_error") from error
            except BackendError as error:
                logger.warning("the backend of %s failed: %s", self.model.name, error)
                raise ServerError(502, f"the backend of {self.model.name} failed ({failure_kind(error)}); the "
                                       "server's log has the details", kind="backend_error") from None
            except BudgetExceeded as error:
                raise ServerError(400, f"{error}", param="ttc.budget") from None
            except ValueError as error:  # what the program made of the request's inputs (a field it lacks...)
                logger.info("a search refused its request", exc_info=error)
                raise ServerError(400, first_line(error)) from None

    async def events(self):
        """Server-sent events: progress comments while the search runs, then the answer's chunks and ``[DONE]``."""
        task = asyncio.ensure_future(self.run())
        try:
            while not task.done():
                done, _ = await asyncio.wait({task}, timeout=PROGRESS_EVERY)
                if not done:  # what came back so far (generations are reserved before they are asked for)
                    spent = self.meter.spent()
                    yield (f": searching: {spent['lm_calls']} LM calls answered, "
                           f"{spent['prompt_tokens'] + spent['completion_tokens']} tokens\n\n")
            include_usage = bool(self.chat.stream_options and self.chat.stream_options.include_usage)
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


async def client_left(request: Request) -> None:
    """Returns once the client of ``request`` (its body read) has disconnected."""
    while (await request.receive())["type"] != "http.disconnect":
        pass
