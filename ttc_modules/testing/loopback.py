"""What every loopback test server of ours shares: a threaded HTTP server on 127.0.0.1 speaking JSON.

:class:`LoopbackServer` starts on a free port (or a given one) in a daemon thread and stops on
exit; :class:`JSONHandler` reads JSON bodies and answers JSON with ``Content-Length``, over
HTTP/1.1 with Nagle off (headers and body go out as separate writes: no 40 ms delayed-ACK stall).
A handler is a module-level class; it reaches the server it answers for (a subclass of
:class:`LoopbackServer`, holding what the handler needs) as :attr:`JSONHandler.owner`.

Example:
    >>> import json, urllib.request
    >>> class Echo(JSONHandler):
    ...     def do_POST(self):  # noqa: N802
    ...         self.send_json(200, {"got": self.read_json(), "port": self.owner.url.rsplit(":", 1)[1]})
    >>> with LoopbackServer(Echo) as server:
    ...     request = urllib.request.Request(server.url + "/echo", b'{"a": 1}', {"Content-Type": "application/json"})
    ...     answer = json.load(urllib.request.urlopen(request))
    >>> answer["got"], answer["port"] == server.url.rsplit(":", 1)[1]
    ({'a': 1}, True)
"""

from __future__ import annotations

import json
import logging
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

logger = logging.getLogger(__name__)


def cut_at_stop(text: str, stop) -> tuple[str, str | None]:
    """``text`` cut before its first stop string (``stop``: a string or a list, as OpenAI takes it), and
    the stop string that cut it (None when none occurs), as a server applies ``stop``."""
    stops = [stop] if isinstance(stop, str) else list(stop or [])
    hits = sorted((text.find(s), s) for s in stops if s and s in text)
    return (text[: hits[0][0]], hits[0][1]) if hits else (text, None)


class JSONHandler(BaseHTTPRequestHandler):
    """A request handler that reads and writes JSON; subclasses define ``do_GET`` / ``do_POST``."""

    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True

    @property
    def owner(self) -> LoopbackServer:
        """The :class:`LoopbackServer` this request came to (``self.server`` is the HTTP server inside it)."""
        return self.server.owner

    def log_message(self, format, *args):  # noqa: A002 - http.server's signature
        logger.debug("%s " + format, self.address_string(), *args)

    def read_body(self) -> bytes:
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def read_json(self, body: bytes | None = None) -> dict | None:
        """The request body as JSON (None when it is not JSON)."""
        try:
            return json.loads((self.read_body() if body is None else body) or b"{}")
        except json.JSONDecodeError:
            return None

    def send_json(self, status: int, payload: dict, headers: dict | None = None) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)


class _QuietServer(ThreadingHTTPServer):
    """A client that hangs up mid-request (a test's process ending, a timeout) is logged, not printed. Its
    listen backlog is a production server's, not ``socketserver``'s 5: a burst of new connections (a peer
    that opens one per request) must queue, not be reset."""

    request_queue_size = 2048

    def handle_error(self, request, client_address):
        logger.debug("request from %s ended with an error", client_address, exc_info=True)


class LoopbackServer:
    """A threaded HTTP server on 127.0.0.1 (port 0 picks a free one); a context manager that serves in a
    daemon thread and stops on exit. ``handler`` answers each request (a :class:`JSONHandler` reaches this
    server as ``self.owner``)."""

    def __init__(self, handler: type[BaseHTTPRequestHandler], port: int = 0):
        self._http = _QuietServer(("127.0.0.1", port), handler)
        self._http.daemon_threads = True
        self._http.owner = self  # what a handler reaches as JSONHandler.owner

    @property
    def url(self) -> str:
        """``http://127.0.0.1:<port>``."""
        return f"http://127.0.0.1:{self._http.server_address[1]}"

    def start(self):
        threading.Thread(target=self._http.serve_forever, daemon=True).start()
        return self

    def serve_forever(self) -> None:
        """Serve in the calling thread until interrupted (for running a server by hand)."""
        try:
            self._http.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            self._http.server_close()

    def stop(self) -> None:
        self._http.shutdown()
        self._http.server_close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def wait_until_healthy(url: str, timeout: float = 60.0, what: str = "the server", alive=lambda: True) -> None:
    """Return once ``url`` answers 200; raise ``TimeoutError`` naming ``what`` after ``timeout`` seconds, or
    ``RuntimeError`` as soon as ``alive()`` says the server's process has ended."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        if not alive():
            raise RuntimeError(f"{what} ended before it became healthy at {url}")
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} did not become healthy at {url} within {timeout:.0f} s")
        time.sleep(0.1)
