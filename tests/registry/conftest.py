"""Fixtures of the registry tests: a trained pipeline run (helpers for racing child processes are in
registry_races.py, a module of its own: `from conftest import` would find whichever conftest.py
another test folder put first on sys.path)."""

from __future__ import annotations

from pathlib import Path

import fraud_example as fe
import pytest

import mloop


@pytest.fixture
def trained(workspace: Path) -> mloop.Run:
    """A finished run of the fraud training pipeline in the test's workspace."""
    return fe.training.run()
