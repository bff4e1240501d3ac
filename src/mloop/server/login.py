"""The UI's login: a form that takes an API token and answers with a session cookie (sessions.py),
and logout. Both are public routes; the guard still checks their CSRF token."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from mloop.server import sessions
from mloop.server.security import access

router = APIRouter(include_in_schema=False)


@router.get("/login", openapi_extra=access("public"))
def login_page(request: Request, next: str = "/") -> Any:
    from mloop.ui.render import render

    return render(request, "login.html", next=local_path(next), message="")


@router.post("/login", openapi_extra=access("public"))
async def login(request: Request) -> Any:
    from anyio import to_thread

    from mloop.access import authenticate, record_audit
    from mloop.access.tokens import token_by_id
    from mloop.ui.render import render

    fields = parse_qs((await request.body()).decode("utf-8", "replace"), max_num_fields=20)
    secret = (fields.get("token") or [""])[0].strip()
    target = local_path((fields.get("next") or ["/"])[0])
    token = await to_thread.run_sync(lambda: authenticate(secret)) if secret else None
    found = await to_thread.run_sync(lambda: token_by_id(token.id)) if token else None
    if token is None or found is None:
        return render(request, "login.html", status_code=401, next=target,
                      message="unknown or revoked token; ask an admin for one (mloop tokens create)")
    await to_thread.run_sync(lambda: record_audit(token.name, token.role, "ui.login", f"tokens/{token.id}",
                                                  {"token": token.id}))
    response = RedirectResponse(target, status_code=303)
    secure = request.url.scheme == "https"
    response.headers.append("set-cookie", sessions.cookie_header(
        sessions.SESSION_COOKIE, sessions.session_value(token.id, found[1]), secure=secure,
        max_age=sessions.SESSION_SECONDS))
    return response


@router.post("/logout", openapi_extra=access("public"))
def logout(request: Request) -> Response:
    response = RedirectResponse("/login", status_code=303)
    response.headers.append("set-cookie", sessions.cookie_header(sessions.SESSION_COOKIE, "", secure=False,
                                                                 max_age=0))
    return response


def local_path(target: str) -> str:
    """`target` when it is a path on this server, else "/": a login never redirects elsewhere."""
    if not target.startswith("/") or target.startswith("//") or "\\" in target or "\n" in target or "\r" in target:
        return "/"
    return target
