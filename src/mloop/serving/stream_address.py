"""Where a stream lives: `redis://host:6379/0?stream=tx[&group=g][&consumer=c][&maxlen=N]` (or
`rediss://`), parsed without I/O; and the one place redis errors become mloop errors."""

from __future__ import annotations

import socket
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from mloop.core.errors import BackendError, ConfigError, MloopError, missing_extra
from mloop.core.urls import redacted

SCHEMES = ("redis", "rediss")
#: query parameters mloop reads; any other is passed on to the redis client (e.g. ssl_cert_reqs)
_OURS = ("stream", "group", "consumer", "maxlen")
_CONNECT_TIMEOUT_S = 3.0


def redis_module() -> Any:
    try:
        import redis
    except ImportError as exc:
        raise missing_extra("redis", "redis") from exc
    return redis


@dataclass(frozen=True)
class StreamAddress:
    url: str  # as given (shown redacted in messages)
    client_url: str  # without mloop's query parameters
    stream: str
    group: str | None = None
    consumer: str | None = None
    maxlen: int | None = None

    @classmethod
    def parse(cls, url: str, role: str) -> StreamAddress:
        """`role` ('source' or 'sink') names the option in messages."""
        example = f"redis://127.0.0.1:6379/0?stream={'tx' if role == 'source' else 'scores'}"
        parts = urlsplit(url)
        if parts.scheme not in SCHEMES or not parts.netloc:
            raise ConfigError(f"{role} {redacted(url)!r} is not a Redis stream URL; use e.g. {example}")
        query = parse_qsl(parts.query, keep_blank_values=True)
        values = {name: value for name, value in query if name in _OURS}
        if not values.get("stream"):
            raise ConfigError(f"{role} {redacted(url)!r} names no stream; add ?stream=NAME, e.g. {example}")
        maxlen = None
        if values.get("maxlen"):
            if not values["maxlen"].isdigit() or int(values["maxlen"]) < 1:
                raise ConfigError(f"{role} {redacted(url)!r}: maxlen must be a positive whole number, "
                                  f"e.g. &maxlen=1000000")
            maxlen = int(values["maxlen"])
        rest = urlencode([(name, value) for name, value in query if name not in _OURS])
        return cls(url, urlunsplit(parts._replace(query=rest)), values["stream"], values.get("group") or None,
                   values.get("consumer") or None, maxlen)

    def connect(self, block_ms: int = 0) -> Any:
        """A redis client (no I/O yet) whose reads outlast a blocking read of `block_ms`."""
        redis = redis_module()
        try:
            return redis.Redis.from_url(self.client_url, decode_responses=True,
                                        socket_connect_timeout=_CONNECT_TIMEOUT_S,
                                        socket_timeout=30.0 + block_ms / 1000)
        except (ValueError, TypeError) as exc:
            raise ConfigError(f"{redacted(self.url)!r} is not a valid Redis URL ({exc})") from None

    def error(self, exc: Exception) -> MloopError:
        """A redis exception as one line naming this URL and what to do."""
        errors = redis_module().exceptions
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        where = redacted(self.url)
        if isinstance(exc, errors.AuthenticationError):
            return ConfigError(f"Redis at {where} refused the login ({reason}); put the right user and password "
                               "in the URL (redis://user:password@host:6379/0?stream=...)")
        if isinstance(exc, (errors.ConnectionError, errors.TimeoutError)):
            return ConfigError(f"Redis at {where} is not reachable ({reason}); start it or fix the URL")
        if isinstance(exc, errors.ReadOnlyError):
            return ConfigError(f"Redis at {where} is read-only ({reason}); point the URL at the primary")
        if isinstance(exc, errors.ResponseError) and "WRONGTYPE" in reason:
            return ConfigError(f"{where}: key {self.stream!r} exists and is not a stream; choose another "
                               "?stream= name")
        return BackendError(f"Redis at {where}: {reason}")



def default_consumer() -> str:
    """Unique per process: a restarted process is a new consumer, and takes over what its
    predecessor left pending once that has been idle for `claim_idle_ms`."""
    import os

    return f"{socket.gethostname()}-{os.getpid()}"
