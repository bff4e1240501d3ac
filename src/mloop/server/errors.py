"""One error shape for the server's API (`{"error": {"type": ..., "message": ...}}`) and the
HTTP status of each error mloop raises on purpose; pages use the same statuses (ui.page_errors)."""

from __future__ import annotations

from typing import Any

from mloop.core.errors import (
    ConfigError,
    ConflictError,
    IntegrityError,
    MloopError,
    NotFoundError,
    ValidationError,
)

#: the HTTP status of each error mloop raises on purpose (the first match in order wins)
ERROR_STATUS: tuple[tuple[type[MloopError], int], ...] = (
    (NotFoundError, 404),
    (ConflictError, 409),
    (IntegrityError, 409),
    (ValidationError, 422),
    (ConfigError, 400),
)


def status_of(exc: MloopError) -> int:
    for kind, status in ERROR_STATUS:
        if isinstance(exc, kind):
            return status
    return 500 if not isinstance(exc, MloopError) else 400


def error_body(exc: BaseException) -> dict[str, Any]:
    return {"error": {"type": type(exc).__name__, "message": str(exc).splitlines()[0] if str(exc) else type(exc).__name__}}


def validation_message(exc: Any) -> str:
    """FastAPI's validation error (a list of dicts) as one line naming the first bad field and its value:
    `query parameter 'page': Input should be a valid integer, unable to parse string as an integer (got 'abc')`."""
    problems = exc.errors() if hasattr(exc, "errors") else []
    if not problems:
        return "the request is invalid"
    first = problems[0]
    place, *names = [str(part) for part in first.get("loc", ())] or ["request"]
    where = {"query": "query parameter", "path": "path parameter", "body": "request body field",
             "header": "header", "cookie": "cookie"}.get(place, place)
    name = ".".join(names)
    got = f" (got {first['input']!r})" if isinstance(first.get("input"), str | int | float) else ""
    more = f"; and {len(problems) - 1} more" if len(problems) > 1 else ""
    return f"{where}{f' {name!r}' if name else ''}: {first.get('msg', 'invalid')}{got}{more}"
