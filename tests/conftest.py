"""Fixtures shared by every test: the real PostgreSQL server, one metadata database per test, a workspace,
and a real moto S3 server with one prefix per test (at the end of this file).

PostgreSQL is expected at 127.0.0.1:5432 (user postgres, database `test`; `make test` starts it).
Without it the PostgreSQL variants are skipped locally and fail when CI=true.
"""

from __future__ import annotations

import os
import subprocess
import sys
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from mloop_env import clear_mloop_env
from servers import S3_CREDENTIALS, free_port, stop_process, wait_until_listening

# MLOOP_TEST_PG_URL points the tests at another server (a URL without a query string).
PG_URL = os.environ.get("MLOOP_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")

# Headless chromium for the tests of HTML pages: fixtures `chromium`, `browser_page`, `page_events`.
pytest_plugins = ["browser"]


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "postgres: needs the PostgreSQL server at 127.0.0.1:5432")


def _in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("true", "1")


@pytest.fixture(scope="session")
def pg_engine() -> Iterator[sa.Engine]:
    """An engine on database `test`, for creating and dropping per-test schemas."""
    engine = sa.create_engine(PG_URL, connect_args={"connect_timeout": 3}, poolclass=sa.NullPool)
    try:
        with engine.connect() as connection:
            connection.exec_driver_sql("SELECT 1")
    except sa.exc.OperationalError as exc:
        engine.dispose()
        reason = f"PostgreSQL is not reachable at {PG_URL} ({str(exc.orig).strip().splitlines()[0]}); run: make test"
        if _in_ci():
            pytest.fail(reason)
        pytest.skip(reason)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def pg_url(pg_engine: sa.Engine) -> str:
    return PG_URL


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def metadata_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database URL for an empty metadata store: a SQLite file, or a fresh PostgreSQL schema."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/mloop.db"
        return
    yield request.getfixturevalue("pg_schema_url")


@pytest.fixture
def pg_schema_url(pg_url: str, pg_engine: sa.Engine) -> Iterator[str]:
    """A PostgreSQL URL whose search_path is a fresh schema of this test's own, dropped afterwards."""
    schema = f"t_{uuid.uuid4().hex[:16]}"
    with pg_engine.begin() as connection:
        connection.exec_driver_sql(f"CREATE SCHEMA {schema}")
    # libpq `options` makes the schema the first (and only) entry of search_path for every connection.
    yield f"{pg_url}?options=-csearch_path%3D{schema}"
    with pg_engine.begin() as connection:
        connection.exec_driver_sql("SET LOCAL lock_timeout = '10s'")
        connection.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")


@pytest.fixture
def workspace(metadata_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """An empty mloop project in tmp_path (the current folder), its metadata in `metadata_url`."""
    clear_mloop_env(monkeypatch)
    monkeypatch.setenv("MLOOP_HOME", str(tmp_path))
    monkeypatch.setenv("MLOOP_DB_URL", metadata_url)
    monkeypatch.chdir(tmp_path)
    yield tmp_path


@pytest.fixture
def sqlite_workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Like `workspace`, on SQLite only: for tests where the metadata backend does not matter."""
    clear_mloop_env(monkeypatch)
    monkeypatch.setenv("MLOOP_HOME", str(tmp_path))
    monkeypatch.setenv("MLOOP_DB_URL", f"sqlite:///{tmp_path}/mloop.db")
    monkeypatch.chdir(tmp_path)
    yield tmp_path


@pytest.fixture(autouse=True)
def fresh_workspaces() -> Iterator[None]:
    """mloop caches opened workspaces per process; every test starts and ends without one."""
    from mloop.stores.workspace import reset_workspaces

    reset_workspaces()
    yield
    reset_workspaces()


# --------------------------------------------------------------------------------------------------
# S3: a real moto server on 127.0.0.1 for the session; each test gets its own prefix and download
# cache (used by tests/stores and tests/scaleout).

S3_BUCKET = "mloop-test"


@pytest.fixture(scope="session")
def moto_s3(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The endpoint of a moto S3 server (`moto_server`) started for this session, holding S3_BUCKET."""
    executable = Path(sys.executable).with_name("moto_server")
    if not executable.exists():
        reason = f"{executable} is missing; install the dev extras: pip install -e '.[dev]'"
        if _in_ci():
            pytest.fail(reason)
        pytest.skip(reason)
    port = free_port()
    with open(tmp_path_factory.mktemp("moto") / "moto.log", "wb") as log:
        server = subprocess.Popen([str(executable), "-H", "127.0.0.1", "-p", str(port)],
                                  stdout=log, stderr=subprocess.STDOUT)
    endpoint = f"http://127.0.0.1:{port}"
    try:
        wait_until_listening(port, server, "moto_server")
        # moto accepts unsigned requests: create the bucket without a client library
        urllib.request.urlopen(urllib.request.Request(f"{endpoint}/{S3_BUCKET}", method="PUT"), timeout=10).close()
        yield endpoint
    finally:
        stop_process(server)


@pytest.fixture
def s3_url(moto_s3: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """`s3://bucket/<uuid>` on the moto server, with the AWS variables pointing at it and an empty
    download cache (MLOOP_CACHE_DIR) of this test's own, so a cached copy never hides a bug."""
    for variable in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL_S3", "AWS_REGION", "MLOOP_S3_ENDPOINT_URL"):
        monkeypatch.delenv(variable, raising=False)
    for variable, value in S3_CREDENTIALS.items():
        monkeypatch.setenv(variable, value)
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_s3)
    monkeypatch.setenv("MLOOP_CACHE_DIR", str(tmp_path / "s3-cache"))
    return f"s3://{S3_BUCKET}/{uuid.uuid4().hex}"
