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
