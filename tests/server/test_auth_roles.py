"""Tokens and roles on a real server: every write route of the app against every role (routes are
enumerated from the app, so routes other parts add are covered too), revocation at once, and what
a caller without a token gets (401 for the API, the login page for a browser)."""

from __future__ import annotations

import asyncio
import re
import threading

import auth_served
import httpx
from auth_served import NOTE_ROUTE, Team
from starlette.websockets import WebSocket

import mloop
from mloop.server.guard import flat_routes
from mloop.server.security import ACCESS_KEY

team = auth_served.team  # the module's server (a fixture)
WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


def write_routes(app: object) -> list[tuple[str, str, str]]:
    """(method, concrete path, need) of every write route; path parameters filled with 'x'."""
    found = []
    for route in flat_routes(app):
        for method in sorted(WRITE_METHODS & set(getattr(route, "methods", None) or ())):
            need = (getattr(route, "openapi_extra", None) or {}).get(ACCESS_KEY, "write")
            found.append((method, re.sub(r"\{[^}]+\}", "x", route.path), need))
    return found


def test_every_write_route_is_refused_to_viewers_and_admin_routes_to_editors(team: Team) -> None:
    routes = write_routes(team.app)
    needs = {(method, path): need for method, path, need in routes}
    # the access marks the test relies on are there: public routes are only the login's, admin ones the tokens'
    assert {key for key, need in needs.items() if need == "public"} == {("POST", "/login"), ("POST", "/logout")}
    assert {("POST", "/api/v1/tokens"), ("DELETE", "/api/v1/tokens/x"), ("PUT", "/api/v1/alias-rules")} <= {
        key for key, need in needs.items() if need == "admin"}
    with team.client("viewer") as viewer, team.client("editor") as editor, team.client("admin") as admin:
        for method, path, need in routes:
            if need == "public":
                continue
            answers = {role: client.request(method, path, json={}).status_code
                       for role, client in (("viewer", viewer), ("editor", editor), ("admin", admin))}
            assert answers["viewer"] == 403, (method, path, answers)
            if need == "admin":
                assert answers["editor"] == 403, (method, path, answers)
            else:
                assert answers["editor"] not in (401, 403), (method, path, answers)
            assert answers["admin"] not in (401, 403), (method, path, answers)


def test_reads_need_a_token_and_any_role_may_read(team: Team) -> None:
    with team.client() as anonymous:
        answer = anonymous.get("/api/v1/me")
        assert answer.status_code == 401 and answer.headers["www-authenticate"] == "Bearer"
        assert "mloop tokens create" in answer.json()["error"]["message"]
        assert anonymous.get("/api/v1/nowhere").status_code == 401  # no probing without a token
        assert anonymous.get("/api/v1/me", headers={"Authorization": "Bearer mlp_forged"}).status_code == 401
        page = anonymous.get("/runs?status=failed", headers={"Accept": "text/html"})
        assert page.status_code == 303 and page.headers["location"] == "/login?next=%2Fruns%3Fstatus%3Dfailed"
        assert anonymous.get("/api/v1/health").json()["status"] == "ok"
    for role in ("viewer", "editor", "admin"):
        with team.client(role) as client:
            assert client.get("/api/v1/me").json() == {"name": f"{role}-1", "role": role,
                                                       "token_id": client.get("/api/v1/me").json()["token_id"],
                                                       "auth": True}
    with team.client("editor") as editor:
        assert editor.get("/api/v1/tokens").status_code == 403
        assert editor.get("/api/v1/audit").status_code == 403


def test_tokens_created_over_the_api_work_until_revoked(team: Team) -> None:
    with team.client("admin") as admin:
        created = admin.post("/api/v1/tokens", json={"name": "ci", "role": "editor"})
        assert created.status_code == 201
        token = created.json()
        assert token["secret"].startswith("mlp_") and token["role"] == "editor"
        listed = {t["id"]: t for t in admin.get("/api/v1/tokens").json()}
        assert listed[token["id"]]["active"] and "secret" not in listed[token["id"]]
        assert token["secret"] not in admin.get("/api/v1/tokens").text  # never shown again

        with httpx_client(team, token["secret"]) as ci:
            assert ci.get("/api/v1/me").json()["name"] == "ci"
            assert ci.post(NOTE_ROUTE).status_code == 200
            assert admin.delete(f"/api/v1/tokens/{token['id']}").json()["active"] is False
            assert ci.get("/api/v1/me").status_code == 401  # at once: no cache between requests
            assert ci.post(NOTE_ROUTE).status_code == 401
        assert admin.delete("/api/v1/tokens/tok_unknown").status_code == 404
        assert admin.post("/api/v1/tokens", json={"name": "x", "role": "root"}).status_code == 422
    stored = {t.id: t for t in mloop.list_tokens()}[token["id"]]
    assert stored.revoked_at is not None and stored.last_used_at is not None


def test_every_accepted_write_is_audited_with_who_and_what(team: Team) -> None:
    with team.client("editor") as editor:
        assert editor.post(NOTE_ROUTE).json() == {"by": "editor-1"}
    with team.client("viewer") as viewer:
        assert viewer.post(NOTE_ROUTE).status_code == 403  # refused: not a write that happened
    with team.client("admin") as admin:
        entries = admin.get("/api/v1/audit", params={"action": f"POST {NOTE_ROUTE}"}).json()
        assert [(e["who"], e["role"], e["target"], e["detail"]["status"]) for e in entries][:1] == [
            ("editor-1", "editor", NOTE_ROUTE, 200)]
        assert all(e["who"] != "viewer-1" for e in entries)
        created = admin.post("/api/v1/tokens", json={"name": "audited", "role": "viewer"}).json()
        newest = admin.get("/api/v1/audit", params={"who": "admin-1", "limit": 1}).json()
        # the route recorded its own entry, so the guard did not add a generic one
        assert [(e["action"], e["target"], e["detail"]["name"]) for e in newest] == [
            ("tokens.create", f"tokens/{created['id']}", "audited")]
        assert admin.get("/api/v1/audit", params={"action": "POST /api/v1/tokens"}).json() == []


def httpx_client(server: Team, secret: str) -> httpx.Client:
    return httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {secret}"}, timeout=30)


def test_websockets_need_a_token_and_this_site(team: Team) -> None:
    async def echo_principal(websocket: WebSocket) -> None:
        await websocket.accept()
        await websocket.send_text(websocket.state.principal.name)
        await websocket.close()

    team.app.add_api_websocket_route("/api/v1/test-socket", echo_principal)
    viewer = {"authorization": f"Bearer {team.secrets['viewer']}"}
    sent = handshake(team.app, "/api/v1/test-socket", viewer)
    assert [m["type"] for m in sent] == ["websocket.accept", "websocket.send", "websocket.close"]
    assert sent[1]["text"] == "viewer-1"
    for headers in ({}, {**viewer, "origin": "http://evil.example"}):
        assert handshake(team.app, "/api/v1/test-socket", headers) == [{"type": "websocket.close", "code": 1008}]


def handshake(app: object, path: str, headers: dict[str, str]) -> list[dict[str, object]]:
    """What the app sends to a websocket client that connects and waits (in process: the venv has no
    websocket library for uvicorn); on a thread of its own, away from Playwright's event loop."""
    sent: list[dict[str, object]] = []
    scope = {"type": "websocket", "asgi": {"version": "3.0"}, "scheme": "ws", "path": path, "raw_path": path.encode(),
             "root_path": "", "query_string": b"", "headers": [(k.encode(), v.encode()) for k, v in headers.items()],
             "server": ("127.0.0.1", 80), "client": ("127.0.0.1", 5000), "subprotocols": []}
    incoming = [{"type": "websocket.connect"}]

    async def receive() -> dict[str, object]:
        return incoming.pop(0) if incoming else {"type": "websocket.disconnect", "code": 1000}

    async def send(message: dict[str, object]) -> None:
        sent.append(message)

    worker = threading.Thread(target=lambda: asyncio.run(app(scope, receive, send)))  # type: ignore[operator]
    worker.start()
    worker.join(30)
    return sent
