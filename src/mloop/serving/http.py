"""HTTP plumbing shared by the routes: reading a body within limits, one table from error class
to status code, and answering with the request counted and timed."""

from __future__ import annotations

import json
import logging
import time
from typing import Any

from fastapi import Request, Response

from mloop.core.errors import MloopError, NotFoundError, ValidationError
from mloop.serving.batching import QueueFullError
from mloop.serving.metrics import ServerMetrics
from mloop.serving.protocol import BadRequestError

log = logging.getLogger("mloop.serving")


class PayloadTooLargeError(BadRequestError):
    pass


class UnsupportedMediaTypeError(BadRequestError):
    pass


#: error class -> HTTP status (the first match in order wins)
STATUS: tuple[tuple[type[BaseException], int], ...] = (
    (PayloadTooLargeError, 413), (UnsupportedMediaTypeError, 415), (BadRequestError, 400),
    (ValidationError, 422), (NotFoundError, 404), (QueueFullError, 503), (MloopError, 400))


class SignatureMismatch(ValidationError):
    def __init__(self, ref: str, problems: list[str]) -> None:
        super().__init__(f"input for {ref} does not match the signature: {'; '.join(problems)}")
        self.problems = problems


async def read_body(request: Request, limit: int, *, binary_ok: bool = False) -> bytes:
    """The request body, refused past `limit` bytes (413) or when it is not JSON (415)."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type not in ("application/json", "") and not content_type.endswith("+json") and not (
            binary_ok and content_type == "application/octet-stream"):
        raise UnsupportedMediaTypeError(f"content type {content_type!r} is not supported; send JSON with "
                                        "Content-Type: application/json")
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise PayloadTooLargeError(f"the body is {int(declared)} bytes, over the limit of {limit} bytes "
                                   "(mloop serve --max-body-mb)")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise PayloadTooLargeError(f"the body is over the limit of {limit} bytes (mloop serve --max-body-mb)")
        chunks.append(chunk)
    return b"".join(chunks)


def respond(metrics: ServerMetrics, route: str, started: float, code: int, body: bytes,
            headers: dict[str, str] | None = None, media_type: str = "application/json") -> Response:
    metrics.count(route, code)
    metrics.latency.labels(route).observe(time.perf_counter() - started)
    return Response(body, status_code=code, media_type=media_type, headers=headers)


def error_response(metrics: ServerMetrics, route: str, started: float, exc: BaseException) -> Response:
    code = next((status for kind, status in STATUS if isinstance(exc, kind)), 500)
    body: dict[str, Any] = {"error": str(exc) if code != 500 else f"prediction failed: {type(exc).__name__}: {exc}"}
    if isinstance(exc, SignatureMismatch):
        body["problems"] = exc.problems
    headers = {"Retry-After": "1"} if code == 503 else None
    metrics.errors.labels({400: "bad_request", 413: "too_large", 415: "content_type", 422: "signature",
                                 404: "not_found", 503: "queue_full"}.get(code, "model")).inc()
    if code == 500:
        log.exception("prediction failed on %s", route, exc_info=exc)
    return respond(metrics, route, started, code, json.dumps(body, default=str).encode(), headers)
