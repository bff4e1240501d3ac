"""Fixtures of the tracking tests: no workspace, open run, tracking connection or autolog patch
survives a test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

import mloop
from mloop.stores.workspace import reset_workspaces
from mloop.tracking.active import _OPEN
from mloop.tracking.buffer import close_stores


@pytest.fixture(autouse=True)
def fresh_tracking() -> Iterator[None]:
    reset_workspaces()
    yield
    for run in list(_OPEN):
        run.end()
    mloop.autolog(disable=True)
    close_stores()
    reset_workspaces()


@pytest.fixture
def sqlite_workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A project on the embedded defaults (SQLite in .mloop/), for tests where the backend does not matter."""
    for variable in ("MLOOP_DB_URL", "MLOOP_ARTIFACTS_URL", "MLOOP_EXECUTOR", "MLOOP_MAX_WORKERS"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("MLOOP_HOME", str(tmp_path))
    monkeypatch.chdir(tmp_path)
    return tmp_path
