"""Admission to ``ttc serve``'s searches: at most ``running`` at once, at most ``waiting`` in line, the
rest refused at once with 429 and ``Retry-After`` (a client backs off instead of piling up).

Example:
    >>> import asyncio
    >>> async def two_at_once():
    ...     admission = Admission(running=1, waiting=0)
    ...     async with admission.admit():
    ...         try:
    ...             async with admission.admit():
    ...                 pass
    ...         except ServerError as refused:
    ...             return refused.status, refused.headers
    >>> asyncio.run(two_at_once())
    (429, {'Retry-After': '1'})
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from ttc_modules.serving.protocol import ServerError


class Admission:
    def __init__(self, running: int, waiting: int, on_change=None):
        self.max_running, self.max_waiting = running, waiting
        self.running = self.waiting = 0
        self._slots: asyncio.Semaphore | None = None
        self._on_change = on_change or (lambda running, waiting: None)

    @contextlib.asynccontextmanager
    async def admit(self) -> AsyncIterator[None]:
        """Hold a search slot for the block; waits in line for one, or raises 429 when the line is full."""
        if self._slots is None:
            self._slots = asyncio.Semaphore(self.max_running)
        if self.running >= self.max_running and self.waiting >= self.max_waiting:
            raise ServerError(429, f"the server is busy ({self.running} requests running, {self.waiting} waiting); "
                                   "retry after the time in Retry-After", kind="rate_limit_error",
                              code="server_busy", headers={"Retry-After": "1"})
        self._moved(waiting=1)
        try:
            await self._slots.acquire()
        finally:
            self._moved(waiting=-1)
        self._moved(running=1)
        try:
            yield
        finally:
            self._moved(running=-1)
            self._slots.release()

    def _moved(self, running: int = 0, waiting: int = 0) -> None:
        self.running += running
        self.waiting += waiting
        self._on_change(self.running, self.waiting)
