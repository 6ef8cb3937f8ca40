"""Reading a request body safely: the size limit held while reading, JSON only, nesting bounded.

A body is read chunk by chunk and refused with 413 as soon as it passes ``serve.max_body_bytes``
(a declared ``Content-Length`` above it is refused before reading), so a chunked or lying upload never
fills memory, and with 408 when it takes longer than ``serve.read_timeout`` to arrive, so a slow one
does not hold its connection. Only ``application/json`` is read (415 otherwise: a browser's cross-site "simple
request" can only send ``text/plain`` or form bodies); JSON nested deeper than :data:`MAX_DEPTH` is a 400.

Example:
    >>> parsed_json(b'{"model": "ttc", "messages": []}')
    {'model': 'ttc', 'messages': []}
    >>> parsed_json(b"[" * 100 + b"]" * 100)
    Traceback (most recent call last):
    ttc_modules.serving.protocol.ServerError: the body's JSON is nested deeper than 32 levels; send a flatter request
"""

from __future__ import annotations

import asyncio
import json

from starlette.requests import ClientDisconnect, Request

from ttc_modules.serving.protocol import CLIENT_LEFT, ServerError

MAX_DEPTH = 32
"""JSON nesting a chat request never needs more of (messages, content parts, tool schemas)."""


async def read_body(request: Request, max_bytes: int, seconds: float) -> bytes:
    """The body of a JSON request, read up to ``max_bytes`` within ``seconds``; 415 for another content type,
    413 past the limit, 408 past the time (a client that left while sending is counted as 499)."""
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type != "application/json":
        raise ServerError(415, f"the body's Content-Type is '{media_type or 'not given'}'; send the request as JSON "
                               "with 'Content-Type: application/json'", code="unsupported_media_type")
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise _too_large(f"{int(declared):,} bytes", max_bytes)
    body = bytearray()
    try:
        async with asyncio.timeout(seconds):
            async for chunk in request.stream():
                body += chunk
                if len(body) > max_bytes:
                    raise _too_large(f"more than {max_bytes:,} bytes", max_bytes)
    except TimeoutError:
        raise ServerError(408, f"the body took longer than {seconds:g} s to arrive; send it at once, or raise "
                               "serve.read_timeout", code="request_timeout") from None
    except ClientDisconnect:
        raise ServerError(CLIENT_LEFT, "the client left while sending its body") from None
    return bytes(body)


def parsed_json(body: bytes) -> dict:
    """The body as a JSON object, or a 400 saying what is wrong with it."""
    too_deep = ServerError(400, f"the body's JSON is nested deeper than {MAX_DEPTH} levels; send a flatter request")
    try:
        data = json.loads(body)
    except RecursionError:
        raise too_deep from None
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise ServerError(400, f"the body is not JSON ({error}); send a chat-completions request as JSON") from None
    if _depth(data) > MAX_DEPTH:
        raise too_deep
    if not isinstance(data, dict):
        raise ServerError(400, "the body must be a JSON object (a chat-completions request)")
    return data


def _depth(data) -> int:
    """How deeply ``data`` nests lists and objects, found without recursion."""
    deepest, pending = 0, [(data, 1)]
    while pending:
        value, depth = pending.pop()
        if isinstance(value, (dict, list)):
            deepest = max(deepest, depth)
            if depth <= MAX_DEPTH:
                pending.extend((item, depth + 1) for item in (value.values() if isinstance(value, dict) else value))
    return deepest


def _too_large(size: str, max_bytes: int) -> ServerError:
    return ServerError(413, f"the body has {size}, more than this server takes ({max_bytes:,}); send a "
                            "shorter request or raise serve.max_body_bytes")
