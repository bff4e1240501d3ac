"""The Redis server the online-store tests use, for any test folder (`from stores.online_stores
import ...` outside tests/stores). Redis is expected at 127.0.0.1:6379 (`make test` starts it):
without it the Redis variants are skipped locally and fail when CI=true."""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit

import pytest

# MLOOP_TEST_REDIS_URL points the tests at another server (a URL without a query string).
REDIS_URL = os.environ.get("MLOOP_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
REDIS_HOST, REDIS_PORT = urlsplit(REDIS_URL).hostname or "127.0.0.1", urlsplit(REDIS_URL).port or 6379


def require_redis() -> None:
    """Fail (CI=true) or skip this test unless the Redis server answers."""
    with socket.socket() as probe:
        probe.settimeout(2)
        if probe.connect_ex((REDIS_HOST, REDIS_PORT)) == 0:
            return
    reason = f"Redis is not reachable at {REDIS_HOST}:{REDIS_PORT}; run: make test (scripts/services.sh starts it)"
    if os.environ.get("CI", "").lower() in ("true", "1"):
        pytest.fail(reason)
    pytest.skip(reason)


@contextmanager
def redis_prefix_url() -> Iterator[str]:
    """A Redis online-store URL with a prefix of its own; every key under it is deleted afterwards."""
    import redis

    require_redis()
    prefix = f"mloop-test-{uuid.uuid4().hex[:12]}:"
    try:
        yield f"{REDIS_URL}?prefix={prefix}"
    finally:
        client = redis.Redis.from_url(REDIS_URL)
        try:
            keys = list(client.scan_iter(match=prefix + "*", count=1000))
            for start in range(0, len(keys), 1000):
                client.unlink(*keys[start:start + 1000])
        finally:
            client.close()
