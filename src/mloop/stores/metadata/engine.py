"""Opening a SQL database for mloop: dialect tuning, write transactions, schema migrations."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from mloop.core.errors import BackendError, ConfigError, ConflictError, missing_extra

#: newest Alembic revision in migrations/versions; checked cheaply at open without importing Alembic
HEAD_REVISION = "0005"
_MIGRATE_LOCK = threading.Lock()


def normalise_url(url: str) -> str:
    if url.startswith(("postgres://", "postgresql://")):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def create_engine(url: str) -> sa.Engine:
    url = normalise_url(url)
    try:
        parsed = sa.engine.make_url(url)
    except sa.exc.ArgumentError as exc:
        raise ConfigError(f"invalid database URL {url!r}; use sqlite:///path/to/mloop.db or "
                          "postgresql+psycopg://user@host:5432/db") from exc
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(parsed)
    if parsed.get_backend_name() == "postgresql":
        try:
            return sa.create_engine(parsed, pool_pre_ping=True, pool_size=5, max_overflow=10)
        except ModuleNotFoundError as exc:
            raise missing_extra("psycopg", "postgres") from exc
    raise ConfigError(f"unsupported database {parsed.get_backend_name()!r}; use sqlite or postgresql")


def _sqlite_engine(parsed: sa.URL) -> sa.Engine:
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    engine = sa.create_engine(parsed, connect_args={"check_same_thread": False, "timeout": 60})

    @sa.event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves (below)
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=60000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @sa.event.listens_for(engine, "begin")
    def _on_begin(connection: sa.Connection) -> None:
        # A writer takes the lock up front, so two processes never deadlock upgrading a read lock.
        write = connection.get_execution_options().get("mloop_write", False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")

    return engine


@contextmanager
def translate_errors(url: str) -> Iterator[None]:
    """Map driver errors to mloop errors at the seam (user-facing, one line): BackendError when the
    database fails, ConflictError when a write breaks a uniqueness or reference rule."""
    try:
        yield
    except sa.exc.IntegrityError as exc:
        raise ConflictError(f"metadata store {redact(url)}: {_reason(exc)}") from exc
    except sa.exc.OperationalError as exc:
        raise BackendError(f"metadata store {redact(url)}: {_reason(exc)}") from exc


def _reason(exc: sa.exc.DBAPIError) -> str:
    return str(exc.orig).splitlines()[0] if exc.orig else str(exc).splitlines()[0]


def redact(url: str) -> str:
    try:
        return sa.engine.make_url(normalise_url(url)).render_as_string(hide_password=True)
    except sa.exc.ArgumentError:
        return url


def ensure_schema(engine: sa.Engine, url: str) -> None:
    """Bring the schema to HEAD_REVISION; a no-op costing one query when it is current."""
    with translate_errors(url):
        if _current_revision(engine) == HEAD_REVISION:
            return
        with _MIGRATE_LOCK:
            current = _current_revision(engine)
            if current == HEAD_REVISION:
                return
            _upgrade(engine, url, current)


def _current_revision(engine: sa.Engine) -> str | None:
    with engine.connect() as connection:
        try:
            row = connection.exec_driver_sql("SELECT version_num FROM alembic_version").first()
        except (sa.exc.OperationalError, sa.exc.ProgrammingError):
            connection.rollback()
            return None
        return row[0] if row else None


def _upgrade(engine: sa.Engine, url: str, current: str | None) -> None:
    from alembic import command
    from alembic.config import Config
    from alembic.util import CommandError

    config = Config()
    config.set_main_option("script_location", os.path.join(os.path.dirname(__file__), "migrations"))
    with engine.connect().execution_options(mloop_write=True) as connection:
        if engine.dialect.name == "postgresql":
            connection.exec_driver_sql("SELECT pg_advisory_xact_lock(7162534)")  # one migrator at a time
        config.attributes["connection"] = connection
        try:
            command.upgrade(config, "head")
        except CommandError as exc:  # e.g. a database migrated by a newer mloop
            raise ConfigError(
                f"metadata store {redact(url)} has schema revision {current!r}, which this mloop "
                f"(schema {HEAD_REVISION}) does not know; upgrade mloop to use it"
            ) from exc
        connection.commit()
