"""The MLOOP_* variables a test must not inherit from the shell that runs it."""

from __future__ import annotations

import pytest

MLOOP_VARIABLES = ("MLOOP_DB_URL", "MLOOP_ARTIFACTS_URL", "MLOOP_ONLINE_URL", "MLOOP_TRACKING_URI",
                   "MLOOP_EXECUTOR", "MLOOP_MAX_WORKERS", "MLOOP_ADDRESS", "MLOOP_S3_ENDPOINT_URL", "MLOOP_RUN_ID")


def clear_mloop_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for variable in MLOOP_VARIABLES:
        monkeypatch.delenv(variable, raising=False)
