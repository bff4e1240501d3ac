"""Remote client mode as a user has it: a real mloop server (the app on uvicorn, in a thread of the
test process; `mloop server` itself in test_remote_cli.py) over its own workspace, and a client
project whose MLOOP_TRACKING_URI points at it. `remote_workspace` runs with the server's stores on
SQLite; `pg_remote_workspace` on PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from remote.server_thread import ThreadedServer, client_project, served_workspace, threaded_server


@pytest.fixture(scope="session")
def remote_server() -> Iterator[ThreadedServer]:
    """One server for the session; each test points it at a fresh server-side workspace."""
    with threaded_server() as server:
        yield server


@pytest.fixture
def server_folder(tmp_path: Path) -> Path:
    return tmp_path / "server"


@pytest.fixture
def remote_workspace(remote_server: ThreadedServer, server_folder: Path, tmp_path: Path,
                     monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The client's project folder (the current one); its stores are the server's (SQLite)."""
    remote_server.serve(served_workspace(server_folder))
    yield client_project(tmp_path / "client", remote_server, monkeypatch)
    remote_server.serve(None)


@pytest.fixture
def pg_remote_workspace(remote_server: ThreadedServer, server_folder: Path, pg_schema_url: str, tmp_path: Path,
                        monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Like `remote_workspace`, the server's metadata on PostgreSQL."""
    remote_server.serve(served_workspace(server_folder, pg_schema_url))
    yield client_project(tmp_path / "client", remote_server, monkeypatch)
    remote_server.serve(None)
