"""Ports on this machine: which one a server can listen on.

Example:
    >>> 0 < bound_port() < 65536   # a free port on 127.0.0.1
    True
"""

from __future__ import annotations

import socket


def bound_port(host: str = "127.0.0.1", port: int = 0) -> int:
    """The port a socket could just be bound to on ``host``: ``port``, or a free one for 0. Raises ``OSError``
    (``strerror`` says why, e.g. "Address already in use") when it cannot be."""
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        probe.bind((host, port))
        return probe.getsockname()[1]
