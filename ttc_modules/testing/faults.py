"""The failures a loopback server injects, as data: codes queued for the next requests, then codes
drawn at random rates (seeded, so a run's faults replay).

A code is an HTTP status to answer with, :data:`DROP` (the connection closed with no answer at all) or
:data:`HANG` (the answer comes only after :attr:`Faults.hang` seconds, so a client with a shorter
timeout gives up). The server asks :meth:`Faults.next` once per request, under its own lock.

Example:
    >>> faults = Faults(queued=[429, DROP], rates={500: 1.0})
    >>> [faults.next() for _ in range(3)]
    [Fault(code=429), Fault(code=0), Fault(code=500)]
    >>> Faults().next() is None
    True
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

DROP = 0
"""The code of a dropped connection: no status line at all."""
HANG = -1
"""The code of a hang: the answer comes after the client has given up."""


@dataclass(frozen=True)
class Fault:
    """One injected failure: ``code`` is an HTTP status, :data:`DROP` or :data:`HANG`."""

    code: int

    @property
    def drops(self) -> bool:
        """Whether the connection is closed with no answer."""
        return self.code == DROP

    @property
    def hangs(self) -> bool:
        """Whether the answer is held back past the client's timeout."""
        return self.code == HANG


@dataclass
class Faults:
    """The faults planned for a server's requests (not thread-safe: the server serialises its calls).

    Attributes:
        queued: codes for the next requests, in order (:meth:`queue` adds more).
        rates: once ``queued`` is empty, each request fails with these probabilities by code, e.g.
            ``{429: 0.15, 500: 0.15, HANG: 0.05}``.
        seed: seeds the draws.
        hang: the seconds a :data:`HANG` holds the answer back.
    """

    queued: list[int] = field(default_factory=list)
    rates: dict[int, float] = field(default_factory=dict)
    seed: int = 0
    hang: float = 5.0

    def __post_init__(self):
        self.queued, self.rates = list(self.queued), dict(self.rates)
        self._random = random.Random(self.seed)

    def queue(self, *codes: int) -> None:
        """Fail the next requests with these codes, in order (after those queued before)."""
        self.queued.extend(codes)

    def next(self) -> Fault | None:
        """The fault for the next request: the first queued code, else one drawn at :attr:`rates` (None: none)."""
        if self.queued:
            return Fault(self.queued.pop(0))
        draw = self._random.random()  # drawn for every request, so the faults depend on the request count only
        for code, rate in self.rates.items():
            if draw < rate:
                return Fault(code)
            draw -= rate
        return None
