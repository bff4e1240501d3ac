"""Fixtures of the serving tests: a workspace with 'fraud@champion' registered."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
import serving_models

import mloop
from mloop_env import MLOOP_VARIABLES


@pytest.fixture
def fraud(sqlite_workspace: Path) -> mloop.ModelVersion:
    """'fraud/1', aliased champion, in a SQLite workspace (serving does not depend on the backend)."""
    return serving_models.register_fraud()


@pytest.fixture(scope="module")
def module_workspace(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A SQLite workspace with 'fraud/1' (champion) shared by one test module (for tests that share a server)."""
    from mloop.stores.opened import close_stores
    from mloop.stores.workspace import reset_workspaces

    folder = tmp_path_factory.mktemp("serving")
    saved = {name: os.environ.get(name) for name in (*MLOOP_VARIABLES, "MLOOP_HOME")}
    cwd = Path.cwd()
    for name in MLOOP_VARIABLES:
        os.environ.pop(name, None)
    os.environ.update(MLOOP_HOME=str(folder), MLOOP_DB_URL=f"sqlite:///{folder}/mloop.db")
    os.chdir(folder)
    reset_workspaces()
    try:
        serving_models.register_fraud()
        yield folder
    finally:
        reset_workspaces()
        close_stores()
        os.chdir(cwd)
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
