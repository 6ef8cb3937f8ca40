"""Test setup: no network beyond loopback, a private cache, and the `integration` marker.

Unit tests are offline: any connection to an address other than 127.0.0.0/8 or ::1 fails at once.
Integration tests run the real embedded model or a real server of ours on 127.0.0.1.
"""

from __future__ import annotations

import ipaddress
import os
import socket

import pytest

os.environ["LITELLM_LOCAL_MODEL_COST_MAP"] = "True"
os.environ.pop("TTC_CONFIG", None)

_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex


def _is_loopback(address) -> bool:
    if isinstance(address, (str, bytes)):  # unix socket paths
        return True
    host = address[0]
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _guard(real):
    def connect(self, address):
        if self.family in (socket.AF_INET, socket.AF_INET6) and not _is_loopback(address):
            raise ConnectionRefusedError(f"tests are offline: refused a connection to {address!r}")
        return real(self, address)

    return connect


socket.socket.connect = _guard(_real_connect)
socket.socket.connect_ex = _guard(_real_connect_ex)


@pytest.fixture(autouse=True)
def private_cache(tmp_path, monkeypatch):
    """Every test gets its own cache directory, so no test sees another's cached calls."""
    monkeypatch.setenv("TTC_CACHE__DIR", str(tmp_path / "cache"))
    import dspy

    dspy.configure_cache(enable_disk_cache=True, enable_memory_cache=True,
                         disk_cache_dir=str(tmp_path / "cache" / "lm"))
    yield
