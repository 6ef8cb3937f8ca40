"""uvicorn's httptools protocol with a bound on the bytes before a request's body.

llhttp (through httptools, uvicorn's faster parser) buffers a request line and headers of any size;
uvicorn's h11 parser bounds them but is the slower of the two. :class:`BoundedHeadersProtocol`
counts the bytes of the chunks read while a request's head is still arriving and, past
:data:`MAX_HEADER_BYTES`, answers 400 and closes the connection, so headers cannot fill memory (at
most that plus one chunk is held).

Example:
    >>> MAX_HEADER_BYTES
    32768
"""

from __future__ import annotations

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

MAX_HEADER_BYTES = 32 * 1024  # nginx's default is 4 x 8 kB


class BoundedHeadersProtocol(HttpToolsProtocol):
    """:class:`HttpToolsProtocol` refusing a request whose line and headers pass :data:`MAX_HEADER_BYTES`."""

    _head_bytes = 0  # bytes of the chunks read since a request's head last ended
    _heads = 0  # request heads parsed on this connection

    def data_received(self, data: bytes) -> None:
        heads = self._heads
        super().data_received(data)
        if self._heads != heads:  # a head ended in this chunk: what follows is body or the next request
            self._head_bytes = 0
        elif self.cycle is None or self.cycle.response_complete:  # no request in flight: a head is arriving
            self._head_bytes += len(data)
            if self._head_bytes > MAX_HEADER_BYTES and not self.transport.is_closing():
                self.send_400_response(f"request line and headers over {MAX_HEADER_BYTES} bytes")

    def on_headers_complete(self) -> None:
        self._heads += 1
        super().on_headers_complete()
