"""The online store for scale: Redis, `redis://host:6379/0[?prefix=mloop:]` (or `rediss://`).

Layout under the prefix: one string per row, `<prefix><view>:<entity key>` = `"<event µs> <created
µs or -> <values JSON>"`, so a batch read is one MGET; and two small hashes indexed by view,
`<prefix>#newest` (newest event µs) and `<prefix>#count` (rows), so that `views` and `stats` never
scan the keyspace ('#' is not allowed in view names, so they cannot meet a row key). Writes go
through one Lua script per chunk of 1,000 rows (EVALSHA, pipelined): the newest event time wins
atomically, whatever order writers arrive in. `delete_view` SCANs the view's own key pattern.
Single-node Redis (or a proxy): a chunk touches keys of many slots, which Redis Cluster refuses.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import pyarrow as pa
import pyarrow.compute as pc

from mloop.core.errors import BackendError, ConfigError, MloopError, missing_extra
from mloop.core.urls import redacted
from mloop.stores.online.base import OnlineRow, OnlineStats
from mloop.stores.online.encoding import check_read, check_view, decode_values, encode_batch, to_datetime

DEFAULT_PREFIX = "mloop:"
CHUNK = 1_000
#: chunks sent per pipeline round trip (bounds the memory of one round to ~20,000 rows)
_CHUNKS_PER_ROUND = 20
_CONNECT_TIMEOUT_S = 3.0
_TIMEOUT_S = 30.0

# KEYS: #newest, #count, then the row keys; ARGV: the view, then one stored value per row key.
# Event times are compared as Lua numbers (doubles): exact for microseconds within ±285 years
# of 1970, and the stored text keeps every digit either way.
_UPSERT = """
local written, added, newest, newest_text = 0, 0, nil, nil
for i = 3, #KEYS do
  local value = ARGV[i - 1]
  local text = string.match(value, '^%-?%d+')
  local time = tonumber(text)
  local old = redis.call('GET', KEYS[i])
  if not old then added = added + 1 end
  if not old or time >= tonumber(string.match(old, '^%-?%d+')) then
    redis.call('SET', KEYS[i], value)
    written = written + 1
    if newest == nil or time > newest then newest, newest_text = time, text end
  end
end
if added > 0 then redis.call('HINCRBY', KEYS[2], ARGV[1], added) end
if newest ~= nil then
  local current = redis.call('HGET', KEYS[1], ARGV[1])
  if not current or newest > tonumber(current) then redis.call('HSET', KEYS[1], ARGV[1], newest_text) end
end
return written
"""


def _redis_module() -> Any:
    try:
        import redis
    except ImportError as exc:
        raise missing_extra("redis", "redis") from exc
    return redis


def _glob_escape(text: str) -> str:
    return "".join("\\" + c if c in "*?[]\\" else c for c in text)



class RedisOnlineStore:
    def __init__(self, url: str) -> None:
        self.url = url
        self._redis = _redis_module()
        parts = urlsplit(url)
        query = parse_qsl(parts.query, keep_blank_values=True)
        self.prefix = next((value for name, value in reversed(query) if name == "prefix"), DEFAULT_PREFIX)
        client_url = urlunsplit(parts._replace(query=urlencode([(n, v) for n, v in query if n != "prefix"])))
        try:
            self._client = self._redis.Redis.from_url(
                client_url, socket_connect_timeout=_CONNECT_TIMEOUT_S, socket_timeout=_TIMEOUT_S)
        except (ValueError, TypeError) as exc:
            raise ConfigError(f"online store URL {redacted(url)!r} is not valid ({exc}); "
                              f"use redis://host:6379/0[?prefix=mloop:]") from None
        self._upsert = self._client.register_script(_UPSERT)
        self._newest_key, self._count_key = f"{self.prefix}#newest", f"{self.prefix}#count"

    def _rows_prefix(self, view: str) -> str:
        return f"{self.prefix}{check_view(view)}:"

    def _error(self, exc: Exception) -> MloopError:
        errors = self._redis.exceptions
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        where = f"online store {redacted(self.url)}"
        if isinstance(exc, errors.AuthenticationError):
            return ConfigError(f"{where} refused the login ({reason}); put the right user and password in "
                               f"MLOOP_ONLINE_URL (redis://user:password@host:6379/0)")
        if isinstance(exc, (errors.ConnectionError, errors.TimeoutError)):
            return ConfigError(f"{where} is not reachable ({reason}); start Redis there or set "
                               f"MLOOP_ONLINE_URL to a reachable one")
        if isinstance(exc, errors.ReadOnlyError):
            return ConfigError(f"{where} is read-only ({reason}); point MLOOP_ONLINE_URL at the primary")
        return BackendError(f"{where}: {reason}")

    # ------------------------------------------------------------ the protocol

    def write_batch(self, view: str, keys: Sequence[str] | pa.Array, event_times: Any,
                    values: pa.Table | Mapping[str, Sequence[Any]], *, created_times: Any = None) -> int:
        batch = encode_batch(view, keys, event_times, values, created_times)
        if not batch.rows:
            return 0
        row_keys = pc.binary_join_element_wise(pa.scalar(self._rows_prefix(view)), batch.keys, "").to_pylist()
        created = pa.scalar("-") if batch.created is None else pa.array(batch.created).cast(pa.string())
        stored = pc.binary_join_element_wise(pa.array(batch.times).cast(pa.string()), created,
                                             batch.payloads, " ").to_pylist()
        written = 0
        round_rows = CHUNK * _CHUNKS_PER_ROUND
        try:
            for round_start in range(0, batch.rows, round_rows):
                pipe = self._client.pipeline(transaction=False)
                for start in range(round_start, min(round_start + round_rows, batch.rows), CHUNK):
                    self._upsert(keys=[self._newest_key, self._count_key, *row_keys[start:start + CHUNK]],
                                 args=[view, *stored[start:start + CHUNK]], client=pipe)
                written += sum(pipe.execute())
        except self._redis.RedisError as exc:
            raise self._error(exc) from exc
        return written

    def read(self, view: str, keys: Sequence[str], features: Sequence[str] | None = None) -> list[OnlineRow | None]:
        check_read(view, keys, features)
        prefix = f"{self.prefix}{view}:"
        if not keys:
            return []
        try:
            if len(keys) == 1:
                found = [self._client.get(prefix + keys[0])]
            else:
                found = self._client.mget([prefix + key for key in keys])
        except self._redis.RedisError as exc:
            raise self._error(exc) from exc
        return [None if value is None else _row(value, features) for value in found]

    def views(self) -> list[str]:
        try:
            names = self._client.hkeys(self._newest_key)
        except self._redis.RedisError as exc:
            raise self._error(exc) from exc
        return sorted(name.decode() for name in names)

    def stats(self, view: str) -> OnlineStats:
        check_view(view)
        try:
            pipe = self._client.pipeline(transaction=False)
            pipe.hget(self._count_key, view)
            pipe.hget(self._newest_key, view)
            rows, newest = pipe.execute()
        except self._redis.RedisError as exc:
            raise self._error(exc) from exc
        if not rows or int(rows) <= 0:
            return OnlineStats(0, None)
        return OnlineStats(int(rows), None if newest is None else to_datetime(int(newest)))

    def delete_view(self, view: str) -> int:
        """Not atomic with concurrent writes to the same view: delete while nothing materializes it."""
        pattern = _glob_escape(self.prefix) + check_view(view) + ":*"
        deleted = 0
        try:
            batch: list[bytes] = []
            for key in self._client.scan_iter(match=pattern, count=CHUNK):
                batch.append(key)
                if len(batch) >= CHUNK:
                    deleted += self._client.unlink(*batch)
                    batch = []
            if batch:
                deleted += self._client.unlink(*batch)
            pipe = self._client.pipeline(transaction=True)
            pipe.hdel(self._newest_key, view)
            pipe.hdel(self._count_key, view)
            pipe.execute()
        except self._redis.RedisError as exc:
            raise self._error(exc) from exc
        return deleted

    def check_writable(self) -> None:
        try:
            self._client.set(f"{self.prefix}#check", b"1", px=5_000)
        except self._redis.RedisError as exc:
            raise self._error(exc) from exc

    def close(self) -> None:
        self._client.close()


def _row(value: bytes, features: Sequence[str] | None) -> OnlineRow:
    event_time, created_time, payload = value.split(b" ", 2)
    return OnlineRow(to_datetime(int(event_time)), decode_values(payload, features),
                     None if created_time == b"-" else to_datetime(int(created_time)))
