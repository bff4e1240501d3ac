"""A refused `mloop server` start (here: --auth before any admin token) leaves the process's
environment as it was: it used to leave MLOOP_SERVER_PROCESS=1 behind, so later remote calls of
the same process (a notebook, a test run) silently ignored MLOOP_TRACKING_URI."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import mloop
from mloop.server.run import run_server
from servers import free_port


def test_a_refused_start_keeps_the_environment(sqlite_workspace: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MLOOP_TRACKING_URI", "http://127.0.0.1:9")
    monkeypatch.delenv("MLOOP_SERVER_PROCESS", raising=False)
    before = dict(os.environ)

    with pytest.raises(mloop.ConfigError, match="--auth needs an admin token first"):
        run_server(port=free_port(), auth=True)

    assert dict(os.environ) == before
