"""The one SQL database every role store shares: its engine (opened, and migrated, on first use),
transactions with driver errors translated, id-prefix lookup, and rows <-> records."""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import fields
from typing import Any, TypeVar

import sqlalchemy as sa

from mloop.core.clock import as_utc
from mloop.core.errors import ConfigError, ConflictError, NotFoundError, ValidationError
from mloop.stores.metadata.engine import (
    empty_sqlite,
    open_engine,
    redact,
    require_folder,
    sqlite_file,
    translate_errors,
)

R = TypeVar("R")
_TIME_FIELDS = frozenset({"created_at", "started_at", "ended_at", "heartbeat_at", "changed_at", "stopped_at", "time",
                          "updated_at", "due_at", "fired_at", "next_due_at", "last_due_at"})


class Database:
    """SQLite or PostgreSQL through SQLAlchemy Core. The constructor does no I/O; the first write
    (or `check_writable`) connects, creates a SQLite file and its folder, and brings the schema to
    the newest migration. Reads never create anything: a SQLite file that does not exist yet reads
    as an empty database (a stand-in in memory), and one in a read-only folder is opened read-only."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._engine: sa.Engine | None = None
        self._stand_in: sa.Engine | None = None
        self._writer: sa.Engine | None = None
        self._opening = threading.Lock()  # two threads' first calls must not both open an engine
        #: statements built once (building one costs about as much as running it on SQLite)
        self._statements: dict[Any, Any] = {}
        self._snapshots = threading.local()  # .connection: the read connection of `snapshot`

    def __repr__(self) -> str:
        return f"Database({redact(self.url)!r})"

    @property
    def engine(self) -> sa.Engine:
        """The database itself, created and migrated if need be."""
        if self._engine is None:
            with self._opening:
                if self._engine is None:
                    self._engine = open_engine(self.url)
        return self._engine

    def _reader(self) -> sa.Engine:
        """The engine reads use: the stand-in while the SQLite file does not exist."""
        if self._engine is not None:
            return self._engine
        path = sqlite_file(self.url)
        if path is None or path.exists():
            return self.engine
        if self._stand_in is None:
            with self._opening:
                if self._stand_in is None:
                    require_folder(self.url, path)
                    self._stand_in = empty_sqlite()
        return self._stand_in

    @property
    def dialect(self) -> str:
        return self._reader().dialect.name

    @property
    def supports_remote_access(self) -> bool:
        """Whether another machine can use this database: a server can, a SQLite file cannot (no I/O)."""
        return not self.url.startswith("sqlite")

    def check_writable(self) -> None:
        """Create and migrate the database if need be; ConfigError (one line) when it cannot be written."""
        path = sqlite_file(self.url)
        if path is not None and path.is_file():
            blocked = next((p for p in (path, path.parent) if not os.access(p, os.W_OK)), None)
            if blocked is not None:
                raise ConfigError(f"metadata store {redact(self.url)} is read-only ({blocked} is not writable); "
                                  "set MLOOP_DB_URL or db_url in mloop.yaml to a writable database")
        self.engine  # noqa: B018 - opening it creates the file and its folder and migrates the schema

    def close(self) -> None:
        for engine in (self._engine, self._stand_in):
            if engine is not None:
                engine.dispose()
        self._engine = self._stand_in = self._writer = None

    @contextmanager
    def write(self) -> Iterator[sa.Connection]:
        """One write transaction (on SQLite it takes the write lock at BEGIN)."""
        with translate_errors(self.url):
            writer = self._writer
            if writer is None:
                writer = self._writer = self.engine.execution_options(mloop_write=True)
            with writer.begin() as connection:
                yield connection

    @contextmanager
    def read(self) -> Iterator[sa.Connection]:
        held = getattr(self._snapshots, "connection", None)
        if held is not None:
            with translate_errors(self.url):
                yield held
            return
        with translate_errors(self.url), self._reader().connect() as connection:
            yield connection

    @contextmanager
    def snapshot(self) -> Iterator[None]:
        """Reads on this thread inside share one connection and one transaction (on SQLite also
        one snapshot of the data): several queries for the price of one connection and BEGIN."""
        if getattr(self._snapshots, "connection", None) is not None:
            yield
            return
        with translate_errors(self.url), self._reader().connect() as connection:
            self._snapshots.connection = connection
            try:
                yield
            finally:
                self._snapshots.connection = None

    def statement(self, key: Any, build: Callable[[], Any]) -> Any:
        """A statement built once per database (its dialect decides some of them)."""
        statement = self._statements.get(key)
        if statement is None:
            statement = self._statements[key] = build()
        return statement

    def execute_many(self, conn: sa.Connection, key: Any, build: Callable[[], Any], table: sa.Table,
                     rows: list[dict[str, Any]]) -> None:
        """`build()`'s INSERT or UPDATE of `table` for each row (dicts of one shape; a key `_id`
        binds the table's id). On SQLite the statement is compiled once and run straight on the
        driver, each value through its column's own bind processor as SQLAlchemy would: through
        SQLAlchemy an execution costs 0.1-0.2 ms, on the hot path of every step's bookkeeping."""
        if conn.dialect.name != "sqlite":
            conn.execute(self.statement(key, build), rows)
            return
        driver_key = ("driver", key, tuple(rows[0]))
        prepared = self._statements.get(driver_key)
        if prepared is None:
            prepared = self._statements[driver_key] = _prepare(self.statement(key, build), table, list(rows[0]),
                                                               conn.dialect)
        sql, order = prepared
        params = [tuple(row[name] if process is None else process(row[name]) for name, process in order)
                  for row in rows]
        try:
            conn.connection.driver_connection.executemany(sql, params)  # type: ignore[union-attr]
        except sqlite3.Error as exc:
            raise sa.exc.DBAPIError.instance(sql, params, exc, sqlite3.Error) from exc

    def execute_columns(self, conn: sa.Connection, key: Any, build: Callable[[], Any], table: sa.Table,
                        columns: Mapping[str, Sequence[Any]]) -> None:
        """`execute_many` for values given in columns (equal-length sequences): on SQLite each
        column goes through its bind processor in one `map`, instead of a dict per row."""
        names = list(columns)
        if conn.dialect.name != "sqlite":
            conn.execute(self.statement(key, build), [dict(zip(names, values, strict=True))
                                                      for values in zip(*columns.values(), strict=True)])
            return
        driver_key = ("driver", key, tuple(names))
        prepared = self._statements.get(driver_key)
        if prepared is None:
            prepared = self._statements[driver_key] = _prepare(self.statement(key, build), table, names, conn.dialect)
        sql, order = prepared
        params = list(zip(*(columns[name] if process is None else map(process, columns[name])
                            for name, process in order), strict=True))
        try:
            conn.connection.driver_connection.executemany(sql, params)  # type: ignore[union-attr]
        except sqlite3.Error as exc:
            raise sa.exc.DBAPIError.instance(sql, params, exc, sqlite3.Error) from exc

    def insert(self, table: sa.Table) -> Any:
        """The dialect's INSERT, which offers ON CONFLICT."""
        if self.dialect == "postgresql":
            from sqlalchemy.dialects.postgresql import insert as pg_insert

            return pg_insert(table)
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        return sqlite_insert(table)

    def insert_ignore(self, table: sa.Table) -> Any:
        """INSERT that leaves an existing row (same key) alone."""
        return self.statement(("insert-ignore", table.name), lambda: self.insert(table).on_conflict_do_nothing())

    def by_prefix(self, conn: sa.Connection, table: sa.Table, value: str, noun: str, hint: str) -> Any:
        """The row whose id is `value` or starts with it (at least 4 characters, unique)."""
        row = conn.execute(sa.select(table).where(table.c.id == value)).first()
        if row is not None:
            return row
        if len(value) < 4:
            raise ValidationError(f"{noun} id {value!r} is too short; give at least 4 characters")
        rows = conn.execute(sa.select(table).where(table.c.id.startswith(value, autoescape=True)).limit(2)).all()
        if not rows:
            raise NotFoundError(f"no {noun} {value!r}; list them with: {hint}")
        if len(rows) > 1:
            raise ConflictError(f"{noun} id prefix {value!r} is ambiguous; give more characters")
        return rows[0]


def driver_rows(conn: sa.Connection, sql: str, params: tuple[Any, ...]) -> list[tuple[Any, ...]]:
    """The rows of a SQLite read run straight on the driver's cursor (no Row objects: a search
    fetches ~10 per run); driver errors are translated as SQLAlchemy's would be."""
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        return cursor.execute(sql, params).fetchall()
    except sqlite3.Error as exc:
        raise sa.exc.DBAPIError.instance(sql, params, exc, sqlite3.Error) from exc
    finally:
        cursor.close()


def _prepare(statement: Any, table: sa.Table, keys: list[str], dialect: Any) -> tuple[str, list[tuple[str, Any]]]:
    """SQL text and (parameter name, bind processor) in placeholder order, for the driver."""
    compiled = statement.compile(dialect=dialect, column_keys=keys)
    if not compiled.positional or set(compiled.positiontup or ()) != set(keys):
        raise RuntimeError(f"cannot run {statement} on the driver with parameters {keys}")
    order = []
    for name in compiled.positiontup:
        column = table.c["id" if name == "_id" else name]
        order.append((name, column.type.dialect_impl(dialect).bind_processor(dialect)))
    return str(compiled), order


def as_row(record: Any) -> dict[str, Any]:
    """A record's fields as a row, shallow: dataclasses.asdict deep-copies every nested dict,
    which costs more than the insert on the hot path."""
    return {f.name: getattr(record, f.name) for f in fields(record)}


def as_record(cls: type[R], row: Any) -> R:
    """A row (or mapping) as a record of `cls`, its times in UTC; extra columns are ignored."""
    values = dict(row._mapping) if hasattr(row, "_mapping") else dict(row)
    for name in _TIME_FIELDS & values.keys():
        values[name] = as_utc(values[name])
    return cls(**{f.name: values[f.name] for f in fields(cls)})  # type: ignore[arg-type]
