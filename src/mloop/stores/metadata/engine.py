"""Opening a SQL database for mloop: dialect tuning, write transactions, schema migrations."""

from __future__ import annotations

import os
import sqlite3
import threading
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from mloop.core.config import STATE_DIR
from mloop.core.errors import BackendError, ConfigError, ConflictError, missing_extra

#: newest Alembic revision in migrations/versions; checked cheaply at open without importing Alembic
HEAD_REVISION = "0013"
_MIGRATE_LOCK = threading.Lock()


def normalise_url(url: str) -> str:
    if url.startswith(("postgres://", "postgresql://")):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def open_engine(url: str) -> sa.Engine:
    """An engine on the database, created and migrated if need be."""
    engine = create_engine(url)
    try:
        ensure_schema(engine, url)
    except BaseException:
        engine.dispose()  # do not leave pooled connections to be closed by the garbage collector
        raise
    return engine


def sqlite_file(url: str) -> Path | None:
    """The file a SQLite URL names; None for an in-memory or a server database."""
    try:
        parsed = sa.engine.make_url(normalise_url(url))
    except sa.exc.ArgumentError:
        return None
    if parsed.get_backend_name() != "sqlite" or not parsed.database or parsed.database == ":memory:":
        return None
    return Path(parsed.database).expanduser()


def require_folder(url: str, path: Path) -> None:
    """A database not created yet reads as empty, but only where a write could create it: its
    folder (or, for the default `.mloop/mloop.db`, the project folder) must exist. A typo'd path
    is refused instead of reading as an empty store."""
    folder = path.parent.parent if path.parent.name == STATE_DIR else path.parent
    if not folder.is_dir():
        raise ConfigError(f"metadata store {redact(url)} cannot be read: folder {folder} does not exist; "
                          "check MLOOP_DB_URL, db_url in mloop.yaml or MLOOP_HOME")


def empty_sqlite() -> sa.Engine:
    """An in-memory database with the schema: what reads see before the SQLite file exists."""
    from mloop.stores.metadata.schema import metadata

    engine = sa.create_engine("sqlite://", poolclass=sa.pool.StaticPool, connect_args={"check_same_thread": False})
    metadata.create_all(engine)
    return engine


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
    connect_args: dict[str, Any] = {"check_same_thread": False, "timeout": 60}
    read_only = False
    if parsed.database and parsed.database != ":memory:":
        path = Path(parsed.database).expanduser()
        read_only = path.is_file() and not os.access(path.parent, os.W_OK)
        if read_only:
            # a read-only folder: SQLite cannot make its -shm file there, so open the file as immutable
            uri = f"file:{urllib.parse.quote(str(path))}?{'mode=ro' if _has_wal(path) else 'immutable=1'}"
            return _add_listeners(sa.create_engine(
                "sqlite://", poolclass=sa.pool.QueuePool,
                creator=lambda: sqlite3.connect(uri, uri=True, check_same_thread=False, timeout=60)), read_only)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ConfigError(f"metadata store {parsed.render_as_string(hide_password=True)} cannot be "
                              f"created: {exc.strerror or exc}; check MLOOP_DB_URL, db_url in mloop.yaml "
                              "or MLOOP_HOME") from exc
    return _add_listeners(sa.create_engine(parsed, connect_args=connect_args), read_only)


def _add_listeners(engine: sa.Engine, read_only: bool) -> sa.Engine:
    @sa.event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves (below)
        cursor = dbapi_connection.cursor()
        if not read_only:
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=60000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @sa.event.listens_for(engine, "begin")
    def _on_begin(connection: sa.Connection) -> None:
        # A writer takes the lock up front, so two processes never deadlock upgrading a read lock.
        write = connection.get_execution_options().get("mloop_write", False)
        statement = "BEGIN IMMEDIATE" if write else "BEGIN"
        # Straight to the driver: through exec_driver_sql this one statement cost about a third
        # of a step's whole bookkeeping transaction. Its error is SQLAlchemy's, as it would have been.
        try:
            connection.connection.driver_connection.execute(statement)  # type: ignore[union-attr]
        except sqlite3.OperationalError as exc:
            raise sa.exc.OperationalError(statement, None, exc) from exc

    return engine


def _has_wal(path: Path) -> bool:
    wal = path.with_name(path.name + "-wal")
    return wal.is_file() and wal.stat().st_size > 0


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
