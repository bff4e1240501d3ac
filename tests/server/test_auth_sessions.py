"""The UI's login on a real server: a token becomes an HttpOnly, SameSite=Strict session cookie;
state-changing requests with that cookie need the CSRF token of the session; a page of another
site, a forged or stale token, a revoked token and a logout all end in a refusal. And the same
in headless chromium."""

from __future__ import annotations

import re
from contextlib import closing

import auth_served
import httpx
from auth_served import FORM_ROUTE, NOTE_ROUTE, Team

team = auth_served.team  # the module's server (a fixture)


def csrf_of(page: httpx.Response) -> str:
    found = re.search(r'name="csrf_token" value="([0-9a-f]+)"', page.text)
    assert found, page.text
    return found.group(1)


def logged_in(server: Team, role: str, next_path: str = "/") -> tuple[httpx.Client, str]:
    """A client with a session of `role`'s token, and the CSRF token of that session."""
    client = server.client()
    form = client.get("/login")
    answer = client.post("/login", data={"token": server.secrets[role], "next": next_path,
                                         "csrf_token": csrf_of(form)})
    assert answer.status_code == 303, answer.text
    return client, csrf_of(client.get("/login"))


def test_login_sets_a_strict_http_only_session_and_refuses_bad_tokens(team: Team) -> None:
    with team.client() as browser:
        form = browser.get("/login", params={"next": "/runs"})
        assert form.status_code == 200 and 'value="/runs"' in form.text
        assert "HttpOnly" in form.headers["set-cookie"] and "SameSite=Strict" in form.headers["set-cookie"]
        token = csrf_of(form)
        assert browser.post("/login", data={"token": team.secrets["viewer"]}).status_code == 403  # no CSRF token
        wrong = browser.post("/login", data={"token": "mlp_wrong", "csrf_token": token})
        assert wrong.status_code == 401 and "unknown or revoked token" in wrong.text
        answer = browser.post("/login", data={"token": team.secrets["viewer"], "csrf_token": token,
                                              "next": "//evil.example/"})
        assert answer.status_code == 303 and answer.headers["location"] == "/"  # never off this server
        cookie = answer.headers["set-cookie"]
        assert cookie.startswith("mloop_session=") and "HttpOnly" in cookie and "SameSite=Strict" in cookie
        assert team.secrets["viewer"] not in cookie  # the secret never travels in the cookie
        assert browser.get("/api/v1/me").json()["name"] == "viewer-1"


def test_cookie_writes_need_the_sessions_csrf_token_and_the_role(team: Team) -> None:
    client, token = logged_in(team, "editor")
    with closing(client):
        assert client.post(NOTE_ROUTE).status_code == 403
        assert client.post(NOTE_ROUTE, headers={"X-CSRF-Token": "0" * 64}).status_code == 403
        assert client.post(NOTE_ROUTE, headers={"X-CSRF-Token": token}).json() == {"by": "editor-1"}
        assert client.post(NOTE_ROUTE, data={"csrf_token": token}).status_code == 200  # a form field works too
        for other_site in ({"Origin": "http://evil.example"}, {"Origin": "null"}, {"Sec-Fetch-Site": "cross-site"}):
            assert client.post(NOTE_ROUTE, headers={"X-CSRF-Token": token, **other_site}).status_code == 403
        same_site = {"Origin": team.url, "Sec-Fetch-Site": "same-origin"}
        assert client.post(NOTE_ROUTE, headers={"X-CSRF-Token": token, **same_site}).status_code == 200
        # the role holds for sessions too: an editor cannot create tokens
        assert client.post("/api/v1/tokens", json={"name": "x"}, headers={"X-CSRF-Token": token}).status_code == 403
        # a token tied to another session does not pass
        other, other_token = logged_in(team, "editor")
        with closing(other):
            assert client.post(NOTE_ROUTE, headers={"X-CSRF-Token": other_token}).status_code == 403
        assert client.post("/logout", data={"csrf_token": token}).headers["location"] == "/login"
        assert client.get("/api/v1/me").status_code == 401


def test_a_viewers_form_post_gets_a_page_that_says_which_role_it_needs(team: Team) -> None:
    client, token = logged_in(team, "viewer")
    with closing(client):
        answer = client.post(FORM_ROUTE, data={"csrf_token": token}, headers={"Accept": "text/html"})
        assert answer.status_code == 403 and answer.headers["content-type"].startswith("text/html")
        assert "viewer-1 (viewer) may not POST /test-forms/note: it needs role editor" in answer.text
        assert "viewer-1 · viewer" in answer.text  # the page knows who is logged in


def test_revoking_a_token_ends_its_sessions(team: Team) -> None:
    with team.client("admin") as admin:
        created = admin.post("/api/v1/tokens", json={"name": "short-lived", "role": "viewer"}).json()
    team.secrets["short-lived"] = created["secret"]
    client, _ = logged_in(team, "short-lived")
    with closing(client), team.client("admin") as admin:
        assert client.get("/api/v1/me").json()["name"] == "short-lived"
        admin.delete(f"/api/v1/tokens/{created['id']}")
        assert client.get("/api/v1/me").status_code == 401
        assert client.get("/runs", headers={"Accept": "text/html"}).headers["location"] == "/login?next=%2Fruns"


def test_logging_in_with_chromium(team: Team, browser_page: object) -> None:
    page = browser_page
    page.goto(f"{team.url}/api/v1/me")  # type: ignore[attr-defined]
    assert "Unauthorized" in page.content()  # type: ignore[attr-defined]  # the API answers JSON, not a redirect
    page.goto(f"{team.url}/login?next=/api/v1/me")  # type: ignore[attr-defined]
    page.fill("#token", team.secrets["viewer"])  # type: ignore[attr-defined]
    page.click("button[type=submit]")  # type: ignore[attr-defined]
    page.wait_for_url(f"{team.url}/api/v1/me")  # type: ignore[attr-defined]
    assert '"name":"viewer-1"' in page.content().replace(" ", "")  # type: ignore[attr-defined]
    cookies = {c["name"]: c for c in page.context.cookies()}  # type: ignore[attr-defined]
    assert cookies["mloop_session"]["httpOnly"] and cookies["mloop_session"]["sameSite"] == "Strict"
