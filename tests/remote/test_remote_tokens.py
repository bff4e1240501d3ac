"""The client sends its API token (MLOOP_TOKEN, or `token:` in mloop.yaml) as a bearer token on
every call, and a server that refuses the caller is one line naming the fix."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import HTTPException, Request

import mloop
from mloop.server import security
from mloop.stores.opened import close_stores
from remote.server_thread import ThreadedServer


@pytest.fixture
def token_server(remote_server: ThreadedServer, remote_workspace: Path) -> Iterator[list[str]]:
    """The server knows one token, 's3cret' (the auth work's own checks are tested with it)."""
    seen: list[str] = []

    def principal(request: Request) -> security.Principal:
        sent = request.headers.get("authorization", "")
        seen.append(sent)
        if sent != "Bearer s3cret":
            raise HTTPException(401, "no valid token")
        return security.Principal("alice", "editor", "t1")

    remote_server.app.dependency_overrides[security.current_principal] = principal
    yield seen
    remote_server.app.dependency_overrides.clear()


def test_the_token_of_mloop_token_is_sent(token_server: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MLOOP_TOKEN", "s3cret")
    with mloop.start_run(experiment="tokens") as run:
        run.log_metrics({"x": 1.0})

    assert mloop.get_run_data(run.id).metrics == {"x": 1.0}
    assert token_server and set(token_server) == {"Bearer s3cret"}


def test_the_token_of_mloop_yaml_is_sent(token_server: list[str], remote_workspace: Path) -> None:
    (remote_workspace / "mloop.yaml").write_text("token: s3cret\n")
    assert mloop.list_runs() == []
    assert token_server and set(token_server) == {"Bearer s3cret"}


def test_a_refused_call_names_the_fix(token_server: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MLOOP_TOKEN", "wrong")
    with pytest.raises(mloop.ConfigError, match="does not know the token in MLOOP_TOKEN .*mistyped or revoked"):
        mloop.list_runs()
    close_stores()  # the next client is made with the new token
    monkeypatch.setenv("MLOOP_TOKEN", "s3cret")
    assert mloop.list_runs() == []
