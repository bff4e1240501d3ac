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
    """The role contract suites (test_*_store.py) run locally and remotely; the tests of the SQL
    database itself (test_database.py, ...) locally only."""
    if "store" in metafunc.fixturenames:
        remote = metafunc.module.__name__.endswith("_store")
        metafunc.parametrize("store_mode", ["local", "remote"] if remote else ["local"])


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
