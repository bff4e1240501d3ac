"""The one SQL database every role store shares: its engine (opened, and migrated, on first use),
transactions with driver errors translated, id-prefix lookup, and rows <-> records."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import fields
from typing import Any, TypeVar

import sqlalchemy as sa

from mloop.core.clock import as_utc
from mloop.core.errors import ConflictError, NotFoundError, ValidationError
from mloop.stores.metadata.engine import create_engine, ensure_schema, redact, translate_errors

R = TypeVar("R")
_TIME_FIELDS = frozenset({"created_at", "started_at", "ended_at", "heartbeat_at", "changed_at"})


class Database:
    """SQLite or PostgreSQL through SQLAlchemy Core. The constructor does no I/O; the first
    transaction connects and brings the schema to the newest migration."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._engine: sa.Engine | None = None
        self._writer: sa.Engine | None = None
        self._opening = threading.Lock()  # two threads' first calls must not both open an engine
        #: statements built once (building one costs about as much as running it on SQLite)
        self._statements: dict[Any, Any] = {}

    def __repr__(self) -> str:
        return f"Database({redact(self.url)!r})"

    @property
    def engine(self) -> sa.Engine:
        if self._engine is None:
            with self._opening:
                if self._engine is None:
                    engine = create_engine(self.url)
                    try:
                        ensure_schema(engine, self.url)
                    except BaseException:
                        engine.dispose()  # do not leave pooled connections to be closed by the garbage collector
                        raise
                    self._engine = engine
        return self._engine

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @property
    def supports_remote_access(self) -> bool:
        """Whether another machine can use this database: a server can, a SQLite file cannot (no I/O)."""
        return not self.url.startswith("sqlite")

    def close(self) -> None:
        if self._engine is not None:
            self._engine.dispose()
            self._engine = self._writer = None

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
        with translate_errors(self.url), self.engine.connect() as connection:
            yield connection

    def statement(self, key: Any, build: Callable[[], Any]) -> Any:
        """A statement built once per database (its dialect decides some of them)."""
        statement = self._statements.get(key)
        if statement is None:
            statement = self._statements[key] = build()
        return statement

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
