"""The default online store: one SQLite file, `sqlite:///path/online.db` (or a plain path).

One table keyed by (view, entity_key) WITHOUT ROWID; the values of a row are one JSON text. WAL
mode, so readers never wait for a writer; one connection per thread (sqlite3 directly: a point
read is ~10 µs). The file is created by the first write only: reads, stats and views of a store
that does not exist answer "missing" and create nothing.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from itertools import repeat
from pathlib import Path
from typing import Any

import pyarrow as pa

from mloop.core.errors import BackendError, ConfigError
from mloop.stores.online.base import OnlineRow, OnlineStats
from mloop.stores.online.encoding import check_read, check_view, decode_values, encode_batch, to_datetime

_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS online_rows (view TEXT NOT NULL, entity_key TEXT NOT NULL, "
    "event_time INTEGER NOT NULL, created_time INTEGER, payload TEXT NOT NULL, "
    "PRIMARY KEY (view, entity_key)) WITHOUT ROWID",
    # one row per view: its newest event time, kept per write batch so freshness is one lookup
    "CREATE TABLE IF NOT EXISTS online_views (view TEXT PRIMARY KEY, newest INTEGER NOT NULL) WITHOUT ROWID",
)
_UPSERT = (
    "INSERT INTO online_rows (view, entity_key, event_time, created_time, payload) VALUES (?, ?, ?, ?, ?) "
    "ON CONFLICT (view, entity_key) DO UPDATE SET event_time = excluded.event_time, "
    "created_time = excluded.created_time, payload = excluded.payload "
    "WHERE excluded.event_time >= online_rows.event_time"
)
_NEWEST = (
    "INSERT INTO online_views (view, newest) VALUES (?, ?) "
    "ON CONFLICT (view) DO UPDATE SET newest = max(newest, excluded.newest)"
)
_READ_ONE = "SELECT event_time, created_time, payload FROM online_rows WHERE view = ? AND entity_key = ?"
_READ_MANY = ("SELECT entity_key, event_time, created_time, payload FROM online_rows "
              "WHERE view = ? AND entity_key IN ({})")
#: keys per IN (...) list; lists are padded to a power of two so a few statements stay prepared
_MAX_IN = 512


def sqlite_path(url: str) -> Path:
    """The file of `sqlite:///relative.db`, `sqlite:////absolute.db` (as SQLAlchemy reads them) or a path."""
    text = url[len("sqlite:///"):] if url.lower().startswith("sqlite:///") else url
    if "://" in text or text in ("", ":memory:") or text.startswith("file:"):
        raise ConfigError(f"online store {url!r} is not a SQLite file URL; "
                          f"use sqlite:///path/online.db or a plain file path")
    return Path(text).expanduser()


class SqliteOnlineStore:
    def __init__(self, url: str) -> None:
        self.url = url
        self.path = sqlite_path(url)
        self._local = threading.local()
        self._lock = threading.Lock()
        self._opened: list[sqlite3.Connection] = []
        self._generation = 0  # bumped by close(): each thread then reopens its connection
        self._schema_ready = False

    # ------------------------------------------------------------ connections

    def _connection(self, *, create: bool) -> sqlite3.Connection | None:
        local = self._local
        if getattr(local, "generation", -1) == self._generation:
            connection: sqlite3.Connection | None = local.connection
            if connection is not None:
                return connection
        if not create and not self.path.exists():
            return None  # nothing written yet: a read must not create the file
        with self._errors("open"):
            if create:
                self.path.parent.mkdir(parents=True, exist_ok=True)
            # check_same_thread=False only so that close() may close every thread's connection
            connection = sqlite3.connect(self.path, timeout=10.0, isolation_level=None, check_same_thread=False)
            connection.execute("PRAGMA synchronous = NORMAL")
        with self._lock:
            self._opened.append(connection)
            local.connection, local.generation = connection, self._generation
        return connection

    def _writer(self) -> sqlite3.Connection:
        connection = self._connection(create=True)
        assert connection is not None  # create=True always opens one
        if not self._schema_ready:
            # one thread creates (switching a new file to WAL takes an exclusive lock that another
            # thread's switch would meet without waiting: "database is locked")
            with self._lock, self._errors("create"):
                if not self._schema_ready:
                    connection.execute("PRAGMA journal_mode = WAL")
                    with self._transaction(connection):
                        for statement in _SCHEMA:
                            connection.execute(statement)
                    self._schema_ready = True
        return connection

    @contextmanager
    def _transaction(self, connection: sqlite3.Connection) -> Iterator[None]:
        connection.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            if connection.in_transaction:
                connection.execute("ROLLBACK")
            raise
        connection.execute("COMMIT")

    @contextmanager
    def _errors(self, doing: str) -> Iterator[None]:
        try:
            yield
        except sqlite3.Error as exc:
            reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            if any(text in reason for text in ("not a database", "readonly", "unable to open")):
                raise self._not_usable(reason) from exc
            raise BackendError(f"online store {self.path}: {doing} failed: {reason}") from exc
        except OSError as exc:
            raise self._not_usable(exc.strerror or str(exc)) from exc

    def _not_usable(self, reason: str) -> ConfigError:
        return ConfigError(f"online store {self.path} is not usable ({reason}); set MLOOP_ONLINE_URL "
                           f"or online_url in mloop.yaml to a writable SQLite file")

    # ------------------------------------------------------------ the protocol

    def write_batch(self, view: str, keys: Sequence[str] | pa.Array, event_times: Any,
                    values: pa.Table | Mapping[str, Sequence[Any]], *, created_times: Any = None) -> int:
        batch = encode_batch(view, keys, event_times, values, created_times)
        if not batch.rows:
            return 0
        created = repeat(None) if batch.created is None else batch.created.tolist()
        rows = zip(repeat(view), batch.keys.to_pylist(), batch.times.tolist(), created, batch.payloads.to_pylist())
        connection = self._writer()
        with self._errors("write"), self._transaction(connection):
            written = connection.executemany(_UPSERT, rows).rowcount
            connection.execute(_NEWEST, (view, batch.newest))
        return written

    def read(self, view: str, keys: Sequence[str], features: Sequence[str] | None = None) -> list[OnlineRow | None]:
        check_read(view, keys, features)
        connection = self._connection(create=False)
        if connection is None or not keys:
            return [None] * len(keys)
        try:
            if len(keys) == 1:
                found = connection.execute(_READ_ONE, (view, keys[0])).fetchone()
                return [None if found is None else _row(found, features)]
            stored: dict[str, tuple[int, int | None, str]] = {}
            for start in range(0, len(keys), _MAX_IN):
                chunk = list(keys[start:start + _MAX_IN])
                size = 1 << (len(chunk) - 1).bit_length()
                chunk += chunk[-1:] * (size - len(chunk))
                sql = _READ_MANY.format(", ".join("?" * size))
                for key, event_time, created_time, payload in connection.execute(sql, (view, *chunk)):
                    stored[key] = (event_time, created_time, payload)
        except sqlite3.OperationalError as exc:
            if "no such table" in str(exc):
                return [None] * len(keys)  # the file exists, its first write has not committed yet
            raise BackendError(f"online store {self.path}: read failed: {exc}") from exc
        return [None if (row := stored.get(key)) is None else _row(row, features) for key in keys]

    def views(self) -> list[str]:
        return [view for (view,) in self._query("SELECT view FROM online_views ORDER BY view")]

    def stats(self, view: str) -> OnlineStats:
        check_view(view)
        found = self._query("SELECT (SELECT count(*) FROM online_rows WHERE view = ?), "
                            "(SELECT newest FROM online_views WHERE view = ?)", (view, view))
        if not found or not found[0][0]:
            return OnlineStats(0, None)
        rows, newest = found[0]
        return OnlineStats(rows, to_datetime(newest))

    def delete_view(self, view: str) -> int:
        check_view(view)
        if not self.path.exists():
            return 0
        connection = self._writer()
        with self._errors("delete"), self._transaction(connection):
            deleted = connection.execute("DELETE FROM online_rows WHERE view = ?", (view,)).rowcount
            connection.execute("DELETE FROM online_views WHERE view = ?", (view,))
        return deleted

    def check_writable(self) -> None:
        with self._errors("check"):
            self.path.parent.mkdir(parents=True, exist_ok=True)
        exists = self.path.exists()
        if not os.access(self.path if exists else self.path.parent, os.W_OK):
            raise self._not_usable(f"cannot write to {self.path if exists else self.path.parent}")
        connection = self._connection(create=False)
        if connection is not None:
            with self._errors("check"):
                connection.execute("PRAGMA schema_version").fetchone()

    def close(self) -> None:
        with self._lock:
            opened, self._opened = self._opened, []
            self._generation += 1
            self._schema_ready = False
        for connection in opened:
            connection.close()

    def _query(self, sql: str, parameters: tuple[Any, ...] = ()) -> list[Any]:
        connection = self._connection(create=False)
        if connection is None:
            return []
        try:
            return connection.execute(sql, parameters).fetchall()
        except sqlite3.OperationalError as exc:
            if "no such table" in str(exc):
                return []
            raise BackendError(f"online store {self.path}: read failed: {exc}") from exc


def _row(stored: tuple[int, int | None, str], features: Sequence[str] | None) -> OnlineRow:
    event_time, created_time, payload = stored
    return OnlineRow(to_datetime(event_time), decode_values(payload, features),
                     None if created_time is None else to_datetime(created_time))
