"""The metadata contract suites run on SQLite and PostgreSQL (see `metadata_url` in tests/conftest.py),
each both locally and remotely: through a real mloop server over HTTP (remote client mode), whose
own stores are on that database."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from mloop.stores.metadata import MetadataStores, open_metadata_stores
from mloop.stores.remote import remote_metadata_stores
from remote.server_thread import ThreadedServer, served_workspace, threaded_server


@pytest.fixture(scope="session")
def store_server() -> Iterator[ThreadedServer]:
    """One server for the session; each remote test points it at its own database."""
    with threaded_server() as server:
        yield server


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """The role contract suites (test_*_store.py) run locally on SQLite and PostgreSQL, and remotely
    on a server over SQLite (the server's PostgreSQL path is the local one; tests/remote runs a
    server on PostgreSQL too). The tests of the SQL database itself (test_database.py) run locally."""
    if "metadata_url" not in metafunc.fixturenames:
        return
    if any("metadata_url" in str(marker.args[0]) for marker in metafunc.definition.iter_markers("parametrize")):
        if "store" in metafunc.fixturenames:  # the test chose its backend itself
            metafunc.parametrize("store_mode", ["local"])
        return
    if "store" not in metafunc.fixturenames:
        metafunc.parametrize("metadata_url", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)],
                             indirect=True)
        return
    cases = [pytest.param("local", "sqlite", id="sqlite-local"),
             pytest.param("local", "postgres", marks=pytest.mark.postgres, id="postgres-local")]
    if metafunc.module.__name__.endswith("_store") and not metafunc.module.__name__.endswith("access_store"):
        # the access role (tokens, audit, alias rules) is never served to remote clients
        cases.append(pytest.param("remote", "sqlite", id="sqlite-remote"))
    metafunc.parametrize(("store_mode", "metadata_url"), cases, indirect=["metadata_url"])


@pytest.fixture
def metadata_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """tests/conftest.py's `metadata_url`, parametrized here (with the store's mode) by the hook above."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/mloop.db"
        return
    yield request.getfixturevalue("pg_schema_url")


@pytest.fixture
def store(store_mode: str, request: pytest.FixtureRequest, metadata_url: str,
          tmp_path: Path) -> Iterator[MetadataStores]:
    if store_mode == "local":
        opened = open_metadata_stores(metadata_url)
        yield opened
        opened.close()
        return
    server: ThreadedServer = request.getfixturevalue("store_server")
    server.serve(served_workspace(tmp_path / "server", metadata_url))
    try:
        yield remote_metadata_stores(server.url)
    finally:
        server.serve(None)
