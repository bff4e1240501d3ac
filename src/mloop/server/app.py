"""The server's FastAPI app: the routers of each part, static files of the UI, and one error shape
(`{"error": {"type": ..., "message": ...}}`, a 4xx for every user error, never a traceback)."""

from __future__ import annotations

from typing import Any

from mloop.core.errors import MloopError, ValidationError
from mloop.server.errors import error_body, status_of, validation_message

#: the largest request body the server takes (uploads included), unless MLOOP_SERVER_MAX_UPLOAD_MB says
DEFAULT_MAX_UPLOAD_MB = 1024


def create_server_app(*, auth: bool = False, max_upload_mb: int | None = None) -> Any:
    """The team server's ASGI app over the workspace of the current folder (mloop.yaml, MLOOP_*).
    With `auth`, every route but the health check and the login page needs a token (mloop tokens);
    roles, CSRF, body size and the audit trail are enforced in front of every route (server.guard)."""
    import os

    from fastapi import FastAPI, Request
    from fastapi.exceptions import RequestValidationError
    from fastapi.responses import JSONResponse
    from fastapi.staticfiles import StaticFiles

    from mloop import __version__
    from mloop.server import api_models, api_runs, login, security, store_api
    from mloop.server.guard import AccessGuard
    from mloop.ui import STATIC_DIR, pages

    app = FastAPI(title="mloop server", version=__version__, docs_url="/api/docs", redoc_url=None,
                  openapi_url="/api/v1/openapi.json",
                  description="The REST API of an mloop server: runs, tracking, registry, artifacts, features, "
                              "deployments, monitors, schedules. Authenticate with `Authorization: Bearer TOKEN`.")
    app.state.auth = auth
    app.include_router(security.router, prefix="/api/v1")
    app.include_router(api_runs.router, prefix="/api/v1")
    app.include_router(api_models.router, prefix="/api/v1")
    app.include_router(store_api.router, prefix="/api/v1")
    app.include_router(login.router)
    app.include_router(pages.router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")

    @app.get("/api/v1/health", tags=["server"], openapi_extra=security.access("public"))
    def health() -> dict[str, str]:
        return {"status": "ok", "version": __version__}

    @app.exception_handler(MloopError)
    async def mloop_error(request: Request, exc: MloopError) -> JSONResponse:
        return JSONResponse(error_body(exc), status_code=status_of(exc))

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> Any:
        # a bad query value (?page=abc, ?limit=abc): one line, as the error page or mloop's error JSON
        error = ValidationError(validation_message(exc))
        if not request.url.path.startswith("/api/"):
            from mloop.ui.page_errors import error_page

            return error_page(request, error)
        return JSONResponse(error_body(error), status_code=422)

    @app.exception_handler(security.Unauthorized)
    async def unauthorized(request: Request, exc: security.Unauthorized) -> JSONResponse:
        return JSONResponse(error_body(exc), status_code=401, headers={"WWW-Authenticate": "Bearer"})

    @app.exception_handler(security.Forbidden)
    async def forbidden(request: Request, exc: security.Forbidden) -> JSONResponse:
        return JSONResponse(error_body(exc), status_code=403)

    if max_upload_mb is None:
        max_upload_mb = int(os.environ.get("MLOOP_SERVER_MAX_UPLOAD_MB", DEFAULT_MAX_UPLOAD_MB))
    app.add_middleware(AccessGuard, server=app, auth=auth, max_body_bytes=max_upload_mb << 20)
    app.add_middleware(ServedWorkspace, server=app)  # outermost: the guard's token reads use it too
    return app


class ServedWorkspace:
    """Every request of an app whose `state.workspace` is set (a test's server, or an embedding
    application) reads and writes that workspace: `mloop.get_workspace()` in routes, pages, the
    guard and the threads they use (mloop.stores.workspace.using_workspace). Otherwise the
    process's folder (mloop.yaml, MLOOP_*) is served, as `mloop server` does."""

    def __init__(self, app: Any, server: Any) -> None:
        self.app, self.server = app, server

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        from mloop.stores.workspace import using_workspace

        with using_workspace(getattr(self.server.state, "workspace", None)):
            await self.app(scope, receive, send)
