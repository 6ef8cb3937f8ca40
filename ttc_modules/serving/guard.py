"""Cross-site protection for ``ttc serve``: the ``Host`` and ``Origin`` a request may come with.

A server on localhost without a key is reachable from every web page its user opens: a page can post
to it (a "simple" cross-site request needs no permission from the server), and a page on a domain
that resolves to 127.0.0.1 (DNS rebinding) can even read the answers. :class:`SameSiteGuard` refuses,
with 403 in OpenAI's error JSON, a request whose ``Origin`` is not one of ``serve.allowed_origins``
(none by default; API clients send no ``Origin``) and one whose ``Host`` is not one of
:func:`allowed_hosts` (the bound address's own names by default). The body's content type is checked
where it is read (``body.py``: only JSON, 415 otherwise). CORS headers go to allowed origins only.

Example:
    >>> allowed_hosts(["localhost:8000"], bind="0.0.0.0", keyed=False)
    ['localhost:8000']
    >>> allowed_hosts(None, bind="127.0.0.1", keyed=False)
    ['localhost', '127.0.0.1', '[::1]']
    >>> host_allowed("evil.example:8000", ['localhost', '127.0.0.1'], port=8000)
    False
    >>> host_allowed("localhost:8000", ['localhost', '127.0.0.1'], port=8000)
    True
"""

from __future__ import annotations

import ipaddress
import json

from starlette.datastructures import Headers

from ttc_modules.config import ConfigError
from ttc_modules.serving.protocol import ServerError

LOOPBACK_NAMES = ["localhost", "127.0.0.1", "[::1]"]
WILDCARD_BINDS = {"", "0.0.0.0", "::", "[::]"}


def allowed_hosts(configured: list[str] | None, bind: str, keyed: bool) -> list[str] | None:
    """The ``Host`` values to accept (a name without a port stands for the bound port), or None for any.

    Configured hosts are taken as given; by default a loopback bind takes its loopback names, another
    address its own; a wildcard bind takes any host with keys and refuses to start without them."""
    if configured is not None:
        return configured
    if bind in WILDCARD_BINDS:
        if keyed:
            return None
        raise ConfigError(f"serve.host is '{bind or '*'}' and no key is set, so any web page its users open could "
                          "spend this server's compute; list the names clients use in serve.allowed_hosts (e.g. "
                          "[myhost:8000]), or set serve.api_keys_env, or bind to 127.0.0.1")
    if bind == "localhost" or _is_loopback(bind):
        return list(LOOPBACK_NAMES)
    return [f"[{bind}]" if ":" in bind else bind]


def host_allowed(host: str, allowed: list[str], port: int | None) -> bool:
    """Whether the ``Host`` header ``host`` is one of ``allowed`` (names without a port at ``port``)."""
    host = host.strip().lower()
    return any(host == entry.lower() or (not _has_port(entry) and host == f"{entry.lower()}:{port}")
               for entry in allowed)


class SameSiteGuard:
    """ASGI middleware refusing requests from other origins and for other hosts (see the module docstring)."""

    def __init__(self, app, hosts: list[str] | None, origins: list[str]):
        self.app, self.hosts, self.origins = app, hosts, set(origins)

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        refused = self.refusal(Headers(scope=scope), (scope.get("server") or (None, None))[1])
        if refused is None:
            return await self.app(scope, receive, send)
        body = json.dumps(refused.body()).encode()
        await send({"type": "http.response.start", "status": refused.status,
                    "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})

    def refusal(self, headers: Headers, port: int | None) -> ServerError | None:
        origin = headers.get("origin")
        if origin is not None and origin not in self.origins:
            return ServerError(403, f"requests from web pages at {origin[:100]!r} are refused; list the origin in "
                                    "serve.allowed_origins to let that page call this server",
                               kind="permission_error", code="origin_not_allowed")
        hosts = headers.getlist("host")
        host = hosts[0] if len(hosts) == 1 else ", ".join(hosts)
        if len(hosts) > 1 or (self.hosts is not None and not host_allowed(host, self.hosts, port)):
            return ServerError(403, f"the Host {host[:100]!r} is not one this server answers for; reach it by one of "
                                    f"{', '.join(self.hosts)}, or list the name in serve.allowed_hosts",
                               kind="permission_error", code="host_not_allowed")
        return None


def _has_port(entry: str) -> bool:
    """``name:port`` or ``[v6]:port``, not ``name`` or ``[v6]``."""
    return ":" in entry.rsplit("]", 1)[-1]


def _is_loopback(address: str) -> bool:
    try:
        return ipaddress.ip_address(address.strip("[]")).is_loopback
    except ValueError:
        return False
