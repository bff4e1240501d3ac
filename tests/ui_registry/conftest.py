"""Fixtures of the registry/artifact/operations UI tests: one small workspace per test module
(built once: ui_models_example.build) and the team server over it, uvicorn in a thread on a free
port of 127.0.0.1."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import ui_models_example

from mloop_env import clear_mloop_env
from servers import free_port


@pytest.fixture(scope="module")
def backend() -> str:
    """The metadata database of the module's workspace; a module may parametrize it."""
    return "sqlite"


@pytest.fixture(scope="module")
def metadata_database(backend: str, request: pytest.FixtureRequest,
                      tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A SQLite file, or a PostgreSQL schema of the module's own (dropped afterwards)."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('ui-models-db')}/mloop.db"
        return
    engine = request.getfixturevalue("pg_engine")
    schema = f"ui_{uuid.uuid4().hex[:16]}"
    with engine.begin() as connection:
        connection.exec_driver_sql(f"CREATE SCHEMA {schema}")
    yield f"{request.getfixturevalue('pg_url')}?options=-csearch_path%3D{schema}"
    with engine.begin() as connection:
        connection.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")


@pytest.fixture(scope="module")
def built(metadata_database: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """The example workspace (metadata in `metadata_database`, local artifacts) as the current
    project while the module's tests run; the ids of what it holds."""
    from mloop.stores.workspace import reset_workspaces

    folder = tmp_path_factory.mktemp("ui-models")
    with pytest.MonkeyPatch.context() as patch:
        clear_mloop_env(patch)
        patch.setenv("MLOOP_HOME", str(folder))
        patch.setenv("MLOOP_DB_URL", metadata_database)
        patch.chdir(folder)
        reset_workspaces()
        ids = ui_models_example.build(folder)
        reset_workspaces()
        yield {**ids, "folder": folder}
        reset_workspaces()


@pytest.fixture(scope="module")
def server(built: dict[str, Any]) -> Iterator[str]:
    """The base URL of a real server (mloop.server.create_server_app on uvicorn) over `built`."""
    import uvicorn

    from mloop.server.app import create_server_app

    port = free_port()
    config = uvicorn.Config(create_server_app(), host="127.0.0.1", port=port, log_level="warning",
                            lifespan="off")
    instance = uvicorn.Server(config)
    thread = threading.Thread(target=instance.run, name="ui-models-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not instance.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError(f"the test server did not start on port {port}")
        time.sleep(0.02)
    yield f"http://127.0.0.1:{port}"
    instance.should_exit = True
    thread.join(10)


@pytest.fixture
def screenshots(tmp_path: Path) -> Path:
    """Where screenshots go: $MLOOP_SCREENSHOTS, else this test's tmp_path."""
    import os

    folder = Path(os.environ.get("MLOOP_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder
