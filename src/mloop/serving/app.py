"""The HTTP app of `mloop serve`: `/predict`, the Open Inference Protocol v2 routes (routes_v2.py),
`/metadata`, `/metrics`, health, and the OpenAPI docs FastAPI draws (`/docs`).

Routes read the body themselves (size limit, content type, JSON) instead of declaring a pydantic
model: the request schema is the model signature's, known only at start, and the hot path of a
one-row request cannot afford a second validation pass. Errors map to status codes in one table
(`STATUS`): a body that is not what the protocol expects is 400, data that does not fit the
signature 422 naming each field, a full queue 503 with Retry-After; never a 500 for bad input.
"""

from __future__ import annotations

import asyncio
import json
import logging
import sys
import time
import uuid
import warnings
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

from fastapi import FastAPI, Request, Response

from mloop.core.errors import MloopError, NotFoundError, ValidationError
from mloop.serving.batching import QueueFullError
from mloop.serving.metrics import ServerMetrics
from mloop.serving.models import ARRAY_WARNING, Predictions, ServedModel
from mloop.serving.options import ServeOptions
from mloop.serving.protocol import BadRequestError, ParsedInput, parse_json, predict_input
from mloop.serving.router import Router, Slot, SwapEvent

if TYPE_CHECKING:
    from mloop.stores.workspace import Workspace

log = logging.getLogger("mloop.serving")

class PayloadTooLargeError(BadRequestError):
    pass


class UnsupportedMediaTypeError(BadRequestError):
    pass


#: error class -> HTTP status (the first match in order wins)
STATUS: tuple[tuple[type[BaseException], int], ...] = (
    (PayloadTooLargeError, 413), (UnsupportedMediaTypeError, 415), (BadRequestError, 400),
    (ValidationError, 422), (NotFoundError, 404), (QueueFullError, 503), (MloopError, 400))


class ServingState:
    """What the routes share: the router, the metrics, the options."""

    def __init__(self, ref: str, options: ServeOptions, workspace: Workspace) -> None:
        self.ref, self.options, self.workspace = ref, options, workspace
        self.metrics = ServerMetrics(options.batching.max_batch_size)
        self.router = Router(ref, workspace, options.batching, canary=options.canary,
                             canary_percent=options.canary_percent, shadow=options.shadow,
                             shadow_percent=options.shadow_percent, on_batch=self._observe, on_swap=self._swapped,
                             require_ready=options.require_ready)
        self.started = time.time()
        self.shadow_tasks: set[asyncio.Task[Any]] = set()

    def _observe(self, model: ServedModel, stats: Any) -> None:
        self.metrics.observe_batch(model.ref, stats)

    def _swapped(self, event: SwapEvent) -> None:
        self.metrics.swaps.labels(event.role, str(event.switched).lower()).inc()
        if self.options.deployment_id:
            from mloop.serving.deployments import record_swap

            try:
                record_swap(self.options.deployment_id, event, self.workspace)
            except Exception as exc:  # the switch happened; its record is lost, the log keeps it
                log.warning("cannot record the swap to %s: %s", event.to_version, exc)

    async def predict(self, slot: Slot, parsed: ParsedInput) -> tuple[ServedModel, Predictions]:
        """Predict a request's rows on `slot`: single rows through the micro-batcher, larger requests as they come."""
        model = slot.model
        batching = model.batcher is not None and parsed.rows < self.options.batching.max_batch_size
        if batching and parsed.records is None and parsed.columns:  # a few rows as columns (v2): batch them
            names = list(parsed.columns)
            parsed = ParsedInput(records=[dict(zip(names, values, strict=True))
                                         for values in zip(*parsed.columns.values(), strict=True)])
        if parsed.records is not None and batching and model.checks_records:
            problems = _record_problems(model, parsed.records)
            if problems:
                raise SignatureMismatch(model.ref, problems)
            self.router.remember(parsed.records[0])
            try:
                return await self.router.predict_records(slot, parsed.records)
            except QueueFullError:
                self.metrics.rejected.labels(model.ref).inc()
                raise
        data = parsed.records if parsed.records is not None else parsed.columns
        try:
            frame = model.check_frame(data)
        except ValidationError as exc:
            raise SignatureMismatch(model.ref, [str(exc)]) from None
        outputs = await asyncio.get_running_loop().run_in_executor(None, model.predict_frame, frame)
        return model, outputs

    def shadow(self, key: str | None, parsed: ParsedInput) -> None:
        """Send a copy to the shadow version, if this request is in its share; its answer is only counted."""
        slot = self.router.shadow_copy(key)
        if slot is None:
            return
        task = asyncio.ensure_future(self._shadow(slot, parsed))
        self.shadow_tasks.add(task)
        task.add_done_callback(self.shadow_tasks.discard)

    async def _shadow(self, slot: Slot, parsed: ParsedInput) -> None:
        try:
            model, outputs = await self.predict(slot, parsed)
            self.metrics.predictions.labels(model.ref, "shadow").inc(parsed.rows)
        except Exception as exc:  # never reaches the caller: counted and logged
            self.metrics.errors.labels("shadow").inc()
            log.debug("shadow prediction on %s failed: %s", slot.ref, exc)

    def metadata(self) -> dict[str, Any]:
        primary = self.router.primary.model
        signature = primary.signature
        roles = {slot.role: {"follows": slot.ref, "version": slot.model.ref, "percent": slot.percent,
                             "training_fingerprint": slot.model.fingerprint} for slot in self.router.slots}
        return {
            "model": self.router.name, "follows": self.ref, "version": primary.ref,
            "versions": roles, "signature": signature.to_dict() if signature else None,
            "lineage": primary.version.lineage, "training_fingerprint": primary.fingerprint,
            "batching": {"enabled": self.options.batching.enabled,
                         "max_batch_size": self.options.batching.max_batch_size,
                         "max_wait_ms": self.options.batching.max_wait_ms,
                         "max_queue": primary.batcher.max_queue if primary.batcher else None},
            "swaps": [event.to_dict() for event in self.router.swaps],
            "started_at": self.started,
        }


class SignatureMismatch(ValidationError):
    def __init__(self, ref: str, problems: list[str]) -> None:
        super().__init__(f"input for {ref} does not match the signature: {'; '.join(problems)}")
        self.problems = problems


def _record_problems(model: ServedModel, records: list[dict[str, Any]]) -> list[str]:
    if len(records) == 1:
        return model.record_problems(records[0])
    return [f"record {index}: {problem}" for index, record in enumerate(records)
            for problem in model.record_problems(record)]


def create_app(model_ref: str, options: ServeOptions | None = None, workspace: Workspace | None = None) -> FastAPI:
    """The FastAPI app serving `model_ref` ('fraud@champion' follows the alias; 'fraud/3' is fixed).
    Loads the model(s) now, so a bad reference fails here, before a port is bound."""
    from mloop.serving import routes_v2
    from mloop.stores.workspace import get_workspace

    options = options or ServeOptions()
    state = ServingState(model_ref, options, workspace or get_workspace())

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> Any:
        # wake-ups of the batching thread wait at most this long for the interpreter lock
        sys.setswitchinterval(0.0005)
        warnings.filterwarnings("ignore", message=ARRAY_WARNING, category=UserWarning)
        if options.follow:
            state.router.follow(options.poll_seconds)
        heartbeat = None
        if options.deployment_id:
            from mloop.serving.deployments import Heartbeat

            heartbeat = Heartbeat(options.deployment_id, state.workspace)
            heartbeat.start()
        yield
        if heartbeat is not None:
            heartbeat.stop()
        if state.shadow_tasks:
            await asyncio.wait(list(state.shadow_tasks), timeout=5)
        await asyncio.get_running_loop().run_in_executor(None, state.router.close)

    primary = state.router.primary.model
    app = FastAPI(title=f"mloop: {state.router.name}", version=primary.ref, lifespan=lifespan,
                  description=f"Serving {model_ref} (now {primary.ref}) with mloop.")
    app.state.serving = state
    body_schema = _request_schema(primary)

    @app.post("/predict", openapi_extra={"requestBody": body_schema},
              summary="Predict rows given as a record, records or columns")
    async def predict(request: Request) -> Response:
        started = time.perf_counter()
        try:
            parsed = predict_input(parse_json(await read_body(request, options.max_body_bytes)))
            key = request.headers.get("x-request-key")
            slot = state.router.choose(key)
            model, outputs = await state.predict(slot, parsed)
            state.metrics.predictions.labels(model.ref, slot.role).inc(parsed.rows)
            state.shadow(key, parsed)
            request_id = request.headers.get("x-request-id") or uuid.uuid4().hex
            body = {"request_id": request_id, "model_version": model.ref, **outputs.to_json()}
            return respond(state, "/predict", started, 200, json.dumps(body).encode())
        except Exception as exc:
            return error_response(state, "/predict", started, exc)

    @app.get("/metadata", summary="The version served, its signature and lineage, batching, swaps")
    async def metadata() -> Response:
        return respond(state, "/metadata", time.perf_counter(), 200, json.dumps(state.metadata(), default=str).encode())

    @app.get("/metrics", summary="Prometheus metrics")
    async def metrics() -> Response:
        body, content_type = state.metrics.render()
        return Response(body, media_type=content_type)

    routes_v2.add_routes(app, state)
    return app


def _request_schema(model: ServedModel) -> dict[str, Any]:
    record = model.signature.to_json_schema(f"{model.ref} record") if model.signature else {"type": "object"}
    record.pop("$schema", None)
    return {"required": True, "content": {"application/json": {"schema": {"oneOf": [
        record, {"type": "array", "items": record},
        {"type": "object", "properties": {"records": {"type": "array", "items": record}}, "required": ["records"]},
        {"type": "object", "properties": {"columns": {"type": "object"}}, "required": ["columns"]}]}}}}


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


def respond(state: ServingState, route: str, started: float, code: int, body: bytes,
            headers: dict[str, str] | None = None, media_type: str = "application/json") -> Response:
    state.metrics.requests.labels(route, str(code)).inc()
    state.metrics.latency.labels(route).observe(time.perf_counter() - started)
    return Response(body, status_code=code, media_type=media_type, headers=headers)


def error_response(state: ServingState, route: str, started: float, exc: BaseException) -> Response:
    code = next((status for kind, status in STATUS if isinstance(exc, kind)), 500)
    body: dict[str, Any] = {"error": str(exc) if code != 500 else f"prediction failed: {type(exc).__name__}: {exc}"}
    if isinstance(exc, SignatureMismatch):
        body["problems"] = exc.problems
    headers = {"Retry-After": "1"} if code == 503 else None
    state.metrics.errors.labels({400: "bad_request", 413: "too_large", 415: "content_type", 422: "signature",
                                 404: "not_found", 503: "queue_full"}.get(code, "model")).inc()
    if code == 500:
        log.exception("prediction failed on %s", route, exc_info=exc)
    return respond(state, route, started, code, json.dumps(body, default=str).encode(), headers)
