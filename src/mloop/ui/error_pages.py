"""Turning what a page's reads raise into the error page (templates/error.html): an unknown id is
a 404 page and a bad query a 400 page, each with the one-line message, never a 500."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from mloop.core.errors import ConflictError, MloopError, NotFoundError

_TITLES = {400: "Bad request", 404: "Not found", 409: "Conflict"}


def error_page(request: Any, exc: MloopError) -> Any:
    from mloop.ui.render import render

    status = 404 if isinstance(exc, NotFoundError) else 409 if isinstance(exc, ConflictError) else 400
    message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return render(request, "error.html", status_code=status, title=_TITLES[status], message=message)


def page(request: Any, build: Callable[[], Any]) -> Any:
    """`build()`'s response, or the error page of the MloopError it raised. Authorization errors
    (mloop.server.security.Forbidden) pass through to the server's handler."""
    from mloop.server.security import Forbidden

    try:
        return build()
    except Forbidden:
        raise
    except MloopError as exc:
        return error_page(request, exc)
