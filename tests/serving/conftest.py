"""Fixtures of the serving tests: a workspace with 'fraud@champion' registered."""

from __future__ import annotations

from pathlib import Path

import pytest
import serving_models

import mloop


@pytest.fixture
def fraud(sqlite_workspace: Path) -> mloop.ModelVersion:
    """'fraud/1', aliased champion, in a SQLite workspace (serving does not depend on the backend)."""
    return serving_models.register_fraud()
