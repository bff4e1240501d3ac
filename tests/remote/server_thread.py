"""An mloop server (the real app) on uvicorn in a thread of the test process, on a free port of
127.0.0.1, serving the stores of a workspace the test chooses (app.state.workspace): the client
side of the same process talks to it over real HTTP."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from mloop.core.config import Settings
from mloop.server.app import create_server_app
from mloop.stores.workspace import Workspace
from mloop_env import clear_mloop_env
from servers import free_port


class ThreadedServer:
    def __init__(self, app: Any, server: uvicorn.Server, url: str) -> None:
        self.app, self.server, self.url = app, server, url

    def serve(self, workspace: Workspace | None) -> None:
        """Serve these stores from now on (None: the current folder's, as `mloop server` does)."""
        self.app.state.workspace = workspace


def served_workspace(folder: Path, db_url: str | None = None) -> Workspace:
    """The server side's own workspace in `folder` (SQLite there unless `db_url`)."""
    folder.mkdir(parents=True, exist_ok=True)
    state = folder / ".mloop"
    return Workspace(Settings(root=folder, db_url=db_url or f"sqlite:///{state / 'mloop.db'}",
                              artifacts_url=str(state / "artifacts")))


@contextmanager
def threaded_server(workspace: Workspace | None = None) -> Iterator[ThreadedServer]:
    app = create_server_app()
    app.state.workspace = workspace
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, name=f"mloop-test-server-{port}", daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError(f"the test server on port {port} did not start")
        time.sleep(0.01)
    try:
        yield ThreadedServer(app, server, f"http://127.0.0.1:{port}")
    finally:
        server.should_exit = True
        thread.join(10)


def client_project(folder: Path, server: ThreadedServer, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A client project in `folder` (the current one) whose MLOOP_TRACKING_URI is `server`."""
    folder.mkdir(parents=True, exist_ok=True)
    clear_mloop_env(monkeypatch)
    monkeypatch.delenv("MLOOP_TOKEN", raising=False)
    monkeypatch.setenv("MLOOP_HOME", str(folder))
    monkeypatch.setenv("MLOOP_TRACKING_URI", server.url)
    monkeypatch.chdir(folder)
    return folder
