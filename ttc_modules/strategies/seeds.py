"""Request seeds of a strategy run that do not depend on thread timing.

A strategy's requests draw seeds from a :class:`SeedStream`. The run has one; each item of a
parallel phase (``Run.parallel``) gets a child stream of its own. A request's seed is a function
of the run's seed, the stream's place in the fan-out and how many requests that stream made
before, never of the order in which concurrent requests finish, so a repeated run asks for
exactly the same (prompt, seed) pairs and is answered from the cache.

Example:
    >>> run_stream = SeedStream(owner="run")
    >>> run_stream.next_seed(0), run_stream.next_seed(0)   # a plain loop: seed, seed + stride, ...
    (4099, 8198)
    >>> first, second = run_stream.fork(2)
    >>> second.next_seed(0) == SeedStream("run", second.path).next_seed(0)  # by place, not by timing
    True
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from ttc_modules.call_context import current

SEED_STRIDE = 4099  # seeds of different requests never overlap while n < SEED_STRIDE


@dataclass
class SeedStream:
    """The requests of one line of work: a run's own, or one item of a parallel phase (see the module
    docstring); ``path`` is the stream's place in the fan-out."""

    owner: object  # the Run whose stream this is
    path: tuple[int, ...] = ()
    requests: int = 0

    def next_seed(self, run_seed: int) -> int:
        """The seed of this stream's next request."""
        self.requests += 1
        if not self.path:  # the run's own line: seed, seed + stride, ... as a plain loop would give
            return (run_seed * 1_000_003 + self.requests * SEED_STRIDE) % (2**31)
        key = f"{run_seed}:{self.path}:{self.requests}".encode()
        return int.from_bytes(hashlib.blake2b(key, digest_size=8).digest(), "big") % (2**31)

    def fork(self, n: int) -> list[SeedStream]:
        """``n`` child streams for the items of one parallel phase (the phase counts as a request)."""
        self.requests += 1
        return [SeedStream(self.owner, self.path + (self.requests, i)) for i in range(n)]


def active_stream(owner: object) -> SeedStream | None:
    """The stream of ``owner`` this context runs in (inside a parallel item), if any."""
    stream = current().seeds
    return stream if stream is not None and stream.owner is owner else None
