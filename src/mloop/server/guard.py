"""AccessGuard: the ASGI middleware in front of every route of the server (API, pages, docs).

For each request it finds the route's need (security.access, else "read" for GET/HEAD/OPTIONS and
"write" otherwise; unmatched paths need "read", so probing without a token learns nothing), resolves
the caller (security.resolve_principal) and refuses before any body is parsed: 401 JSON for the API
and non-HTML clients, a redirect to /login?next=... for pages, 403 when the role is too low. A
state-changing request that a browser could send cross-site (a session cookie, or a form body) must
carry the CSRF token (sessions.py) in the `csrf_token` field or the X-CSRF-Token header, and a
write a browser says came from another site is refused. Bodies are capped (413). An accepted write
whose route recorded no audit entry gets a generic one, written before the answer leaves."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

from anyio import to_thread
from starlette.requests import HTTPConnection, Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import compile_path

from mloop.access.audit import record_audit, recorded_in_request
from mloop.server import sessions
from mloop.server.security import ACCESS_KEY, NEED_RANK, RANK, Principal, resolve_principal

Scope = dict[str, Any]
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
#: bodies a page of another site can send without a CORS preflight
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data", "text/plain")
PUBLIC_PATHS = ("/api/v1/openapi.json", "/favicon.ico")
MAX_FORM_BYTES = 1 << 20


class AccessGuard:
    def __init__(self, app: Any, *, server: Any, auth: bool, max_body_bytes: int) -> None:
        self.app = app
        self.server = server
        self.auth = auth
        self.max_body_bytes = max_body_bytes
        #: built at the first request, when every route is in place
        self.table: list[tuple[re.Pattern[str], set[str] | None, str, str | None]] | None = None

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] == "websocket":
            await self.guard_websocket(scope, receive, send)
            return
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        method = scope["method"]
        route_path, need = self.route_need(scope)
        if need == "public" and method in SAFE_METHODS and scope["path"].startswith("/static/"):
            await self.app(scope, receive, send)
            return
        length = request.headers.get("content-length", "")
        if length.isdigit() and int(length) > self.max_body_bytes:
            await too_large(self.max_body_bytes)(scope, receive, send)
            return
        session = request.cookies.get(sessions.SESSION_COOKIE) or ""
        if self.auth:  # a token lookup is a database read: off the event loop
            principal, via = await to_thread.run_sync(lambda: resolve_principal(
                request.headers.get("authorization"), session or None, auth=True))
        else:
            principal, via = resolve_principal(None, None, auth=False)
        csrf_cookie = request.cookies.get(sessions.CSRF_COOKIE)
        new_csrf = None if csrf_cookie else sessions.new_csrf_cookie()
        state = scope.setdefault("state", {})
        state["principal"] = principal
        state["csrf_token"] = sessions.csrf_token(csrf_cookie or new_csrf or "", session if via == "session" else "")
        refusal = self.refusal(request, need, principal)
        unsafe = method not in SAFE_METHODS
        if refusal is None and unsafe and via != "bearer" and cross_site(request):
            refusal = error(403, "Forbidden", "a write from another site's page is refused (CSRF); "
                            "use this server's own pages, or an API client with a token")
        if refusal is None and unsafe and via != "bearer" and (via == "session" or is_form(request)):
            receive, refusal = await check_csrf(request, receive, csrf_cookie, session if via == "session" else "")
        if refusal is not None:
            await refusal(scope, receive, send)
            return
        await self.forward(scope, receive, send, new_csrf, principal if unsafe and need != "public" else None,
                           route_path)

    async def forward(self, scope: Scope, receive: Any, send: Any, new_csrf: str | None,
                      writer: Principal | None, route_path: str) -> None:
        status = 0
        started = False
        recorded: list[int] = []

        async def send_on(message: dict[str, Any]) -> None:
            nonlocal status, started
            if refused:
                return  # the 413 went out instead of whatever the route answers
            if message["type"] == "http.response.start":
                status, started = message["status"], True
                if writer is not None and 200 <= status < 400 and not recorded:
                    # before the answer leaves: a client that reads the trail next finds this write
                    await self.record_write(scope, writer, route_path, status)
                if new_csrf:
                    secure = scope.get("scheme") == "https"
                    cookie = sessions.cookie_header(sessions.CSRF_COOKIE, new_csrf, secure=secure)
                    message["headers"] = [*message.get("headers", []), (b"set-cookie", cookie.encode("latin-1"))]
            await send(message)

        received = 0
        refused = False

        async def receive_capped() -> dict[str, Any]:
            # A body without Content-Length is counted as the route reads it; past the limit the
            # client gets 413 and the route a disconnect, so it stops reading.
            nonlocal received, refused
            if refused:
                return {"type": "http.disconnect"}
            message: dict[str, Any] = await receive()
            received += len(message.get("body", b""))
            if received > self.max_body_bytes and not started:
                refused = True
                await too_large(self.max_body_bytes)(scope, receive, send)
                return {"type": "http.disconnect"}
            return message

        context = recorded_in_request.set(recorded)
        try:
            await self.app(scope, receive_capped, send_on)
        except Exception:
            if not refused:
                raise
        finally:
            recorded_in_request.reset(context)

    async def guard_websocket(self, scope: Scope, receive: Any, send: Any) -> None:
        """A websocket needs what a read needs (its handshake is a GET), and never from another site."""
        connection = HTTPConnection(scope)
        principal, _ = await to_thread.run_sync(lambda: resolve_principal(
            connection.headers.get("authorization"), connection.cookies.get(sessions.SESSION_COOKIE), auth=self.auth))
        if principal is None or cross_site(connection):
            await send({"type": "websocket.close", "code": 1008})
            return
        scope.setdefault("state", {})["principal"] = principal
        await self.app(scope, receive, send)

    @staticmethod
    async def record_write(scope: Scope, writer: Principal, route_path: str, status: int) -> None:
        detail = {"status": status, **({"token": writer.token_id} if writer.token_id else {})}
        await to_thread.run_sync(lambda: record_audit(writer.name, writer.role, f"{scope['method']} {route_path}",
                                                      scope["path"], detail))

    def route_need(self, scope: Scope) -> tuple[str, str]:
        """(the route's path template, its need)."""
        path, method = scope["path"], scope["method"]
        default = "read" if method in SAFE_METHODS else "write"
        if path in PUBLIC_PATHS or path.startswith("/static/"):
            return path, "public"
        if self.table is None:
            self.table = route_table(self.server)
        partial = None
        for pattern, methods, template, need in self.table:
            if pattern.match(path):
                if methods is None or method in methods:
                    return template, need or default
                partial = partial or template
        return partial or path, default

    def refusal(self, request: Request, need: str, principal: Principal | None) -> Response | None:
        if need == "public":
            return None
        if principal is None:
            if wants_html(request):
                target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
                return RedirectResponse(f"/login?next={quote(target, safe='')}", status_code=303)
            sent = request.headers.get("authorization", "").lower().startswith("bearer ")
            message = ("this server does not know the token sent (mistyped or revoked); an admin creates one with: "
                       "mloop tokens create NAME --role viewer" if sent else
                       "this server needs a token: send Authorization: Bearer TOKEN "
                       "(an admin creates one with: mloop tokens create NAME --role viewer)")
            return error(401, "Unauthorized", message, {"WWW-Authenticate": "Bearer"})
        if RANK.get(principal.role, -1) < NEED_RANK.get(need, 2):
            wanted = {"read": "viewer", "write": "editor"}.get(need, "admin")
            message = (f"{principal.name} ({principal.role}) may not {request.method} {request.url.path}: "
                       f"it needs role {wanted}; ask an admin for such a token")
            if wants_html(request):
                from mloop.ui.render import render

                return render(request, "error.html", status_code=403, title="Not allowed", message=message)
            return error(403, "Forbidden", message)
        return None


def route_table(app: Any) -> list[tuple[re.Pattern[str], set[str] | None, str, str | None]]:
    """(path regex, methods, path template, declared need) of every route of the app, included routers flattened."""
    table = []
    for route in flat_routes(app):
        template = getattr(route, "path", None)
        if not template:
            continue
        extra = getattr(route, "openapi_extra", None) or {}
        methods = getattr(route, "methods", None)
        table.append((compile_path(template)[0], set(methods) if methods else None, str(template),
                      extra.get(ACCESS_KEY)))
    return table


def flat_routes(app: Any) -> list[Any]:
    """Every route of the app; FastAPI keeps included routers as one route each until asked."""
    try:
        from fastapi.routing import iter_route_contexts
    except ImportError:  # FastAPI before included routers were kept lazily: app.routes is flat
        return list(app.routes)
    return list(iter_route_contexts(app.routes))


async def check_csrf(request: Request, receive: Any, csrf_cookie: str | None, session: str) -> tuple[Any, Response | None]:
    """(the receive to pass on, a refusal or None): the token from the header, else the form field."""
    given = request.headers.get(sessions.CSRF_HEADER)
    if given is None and request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
        body = bytearray()
        while True:
            message = await receive()
            body += message.get("body", b"")
            if len(body) > MAX_FORM_BYTES:
                return receive, too_large(MAX_FORM_BYTES)
            if not message.get("more_body"):
                break
        fields = parse_qs(body.decode("latin-1"), max_num_fields=200)
        given = next(iter(fields.get(sessions.CSRF_FIELD, [])), None)
        receive = replay(bytes(body))
    if not sessions.csrf_valid(csrf_cookie, session, given):
        return receive, error(403, "Forbidden", "missing or stale CSRF token: reload the page and submit the "
                              "form again (API clients send Authorization: Bearer TOKEN instead of cookies)")
    return receive, None


def replay(body: bytes) -> Any:
    sent = False

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return receive


def is_form(request: Request) -> bool:
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    return kind in FORM_TYPES


def cross_site(request: HTTPConnection) -> bool:
    """Whether a browser says another site sent this: Sec-Fetch-Site where the browser sends it, else
    an Origin (a sandboxed frame's "null" included) naming another host than the request's (or the
    proxy's X-Forwarded-Host). Other clients send neither."""
    site = request.headers.get("sec-fetch-site")
    if site:
        return site == "cross-site"
    origin = request.headers.get("origin")
    if not origin:
        return False
    hosts = {request.headers.get("host", ""), request.headers.get("x-forwarded-host", "")}
    return origin == "null" or urlsplit(origin).netloc not in hosts


def wants_html(request: Request) -> bool:
    return not request.url.path.startswith("/api/") and "text/html" in request.headers.get("accept", "")


def error(status: int, kind: str, message: str, headers: dict[str, str] | None = None) -> Response:
    return JSONResponse({"error": {"type": kind, "message": message}}, status_code=status, headers=headers)


def too_large(limit: int) -> Response:
    return error(413, "PayloadTooLarge", f"the request body is over {limit} bytes; send a smaller one "
                 "(the server's limit is MLOOP_SERVER_MAX_UPLOAD_MB)")



