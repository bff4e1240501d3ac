"""Fixtures of the CLI tests: a fresh workspace cache per test and a small SQLite project."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from cli_project import Project, write_project

from mloop_env import clear_mloop_env


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Project]:
    """A project folder (the current folder) with SQLite metadata, a Python and a YAML pipeline."""
    clear_mloop_env(monkeypatch)
    monkeypatch.setenv("MLOOP_HOME", str(tmp_path))
    monkeypatch.setenv("MLOOP_DB_URL", f"sqlite:///{tmp_path}/mloop.db")
    monkeypatch.setenv("COLUMNS", "250")  # rich wraps at 80 columns otherwise
    monkeypatch.chdir(tmp_path)
    yield write_project(tmp_path)
