"""The server without --auth (what `mloop ui` runs): the caller is the local admin, API clients write
without cookies or tokens (remote client mode), but a form post still needs its CSRF token and a
page of another site cannot write; bodies over the limit are refused with 413."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from auth_served import NOTE_ROUTE, PROMOTE_ROUTE, add_stand_in_routes, serving


@pytest.fixture
def local_server(sqlite_workspace: Path) -> Iterator[str]:
    from mloop.server.app import create_server_app

    app = create_server_app(auth=False, max_upload_mb=1)
    add_stand_in_routes(app)
    with serving(app) as url:
        yield url


def test_without_auth_the_caller_is_the_local_admin_and_forms_still_need_csrf(local_server: str) -> None:
    with httpx.Client(base_url=local_server, timeout=30) as client:
        assert client.get("/api/v1/me").json() == {"name": "local", "role": "admin", "token_id": None, "auth": False}
        assert client.post(NOTE_ROUTE, json={}).json() == {"by": "local"}  # an API client, as in remote mode
        assert client.post(NOTE_ROUTE, data={"a": "1"}).status_code == 403  # a form without its token
        assert client.post(NOTE_ROUTE, json={}, headers={"Origin": "http://evil.example"}).status_code == 403
        token = client.get("/login").text.split('name="csrf_token" value="')[1].split('"')[0]
        assert client.post(NOTE_ROUTE, data={"csrf_token": token}).json() == {"by": "local"}
        entries = client.get("/api/v1/audit", params={"action": f"POST {NOTE_ROUTE}"}).json()
        assert [e["who"] for e in entries] == ["local", "local"]  # the two accepted writes only


def test_bodies_over_the_limit_are_refused(local_server: str) -> None:
    big = b"x" * ((1 << 20) + 1)
    with httpx.Client(base_url=local_server, timeout=30) as client:
        answer = client.post(NOTE_ROUTE, content=big, headers={"Content-Type": "application/octet-stream"})
        assert answer.status_code == 413 and "MLOOP_SERVER_MAX_UPLOAD_MB" in answer.json()["error"]["message"]

        def chunks() -> Iterator[bytes]:  # no Content-Length: counted as the route reads it
            for _ in range(3):
                yield b"x" * (1 << 19)

        moved = client.put(PROMOTE_ROUTE.format(model="m", alias="a"), content=chunks(),
                           headers={"Content-Type": "application/json"})
        assert moved.status_code == 413
        assert client.post(NOTE_ROUTE, content=b"x" * 1000).status_code == 200
