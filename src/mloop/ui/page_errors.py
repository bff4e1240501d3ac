"""Pages answer a user error with the error page (one line, the right 4xx status), not the API's
JSON: a route class for the routers of the pages, and the form reader of their POST handlers
(urlencoded bodies: the UI's forms send no files, so no multipart parser is needed)."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any
from urllib.parse import parse_qsl

from fastapi import Request
from fastapi.routing import APIRoute
from starlette.responses import Response

from mloop.core.errors import MloopError, ValidationError

#: the most a form body may hold (the forms send a few short fields)
FORM_LIMIT = 16_384


def error_page(request: Request, exc: MloopError) -> Any:
    """The error page of `exc`: the API's status for it, except that an invalid query or path read
    by a GET is a 400 (a bad request), where a refused form is a 422 (it could not be processed)."""
    from mloop.server.errors import status_of
    from mloop.ui.render import render

    message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    status = 403 if type(exc).__name__ == "Forbidden" else status_of(exc)
    if status == 422 and request.method == "GET":
        status = 400
    title = {400: "Bad request", 404: "Not found", 403: "Not allowed", 409: "Refused"}.get(status, "Cannot do that")
    return render(request, "error.html", status_code=status, title=title, message=message)


def page(request: Request, build: Callable[[], Any]) -> Any:
    """`build()`'s response, or the error page of the MloopError it raised. Authorization errors
    (mloop.server.security.Forbidden) pass through to the server's handler."""
    from mloop.server.security import Forbidden

    try:
        return build()
    except Forbidden:
        raise
    except MloopError as exc:
        return error_page(request, exc)


class PageRoute(APIRoute):
    """An APIRoute whose MloopErrors become the error page."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def handle(request: Request) -> Response:
            try:
                return await handler(request)
            except MloopError as exc:
                return error_page(request, exc)

        return handle


async def form_fields(request: Request) -> dict[str, str]:
    """The fields of an urlencoded form body (the last value of a repeated field wins)."""
    body = await request.body()
    if len(body) > FORM_LIMIT:
        raise ValidationError(f"the form sent {len(body)} bytes; at most {FORM_LIMIT} are accepted")
    try:
        return dict(parse_qsl(body.decode("utf-8"), keep_blank_values=True, max_num_fields=50))
    except (UnicodeDecodeError, ValueError) as exc:
        raise ValidationError(f"the form could not be read ({exc}); send it from the page") from None
