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
import gc
import json
import sys
import time
import warnings
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

from fastapi import FastAPI, Request, Response
from starlette.routing import Route

from mloop.serving.http import error_response, read_body, respond
from mloop.serving.models import ARRAY_WARNING, ServedModel
from mloop.serving.options import ServeOptions
from mloop.serving.protocol import parse_json, predict_input
from mloop.serving.state import ServingState

if TYPE_CHECKING:
    from mloop.stores.workspace import Workspace

#: seconds a thread that wants the interpreter lock waits before asking its holder to hand it over
SWITCH_INTERVAL = 0.002
#: the cyclic collector's thresholds: a young collection every 7,000 allocations (CPython: 700)
GC_THRESHOLD = (7_000, 10, 10)


def create_app(model_ref: str, options: ServeOptions | None = None, workspace: Workspace | None = None) -> FastAPI:
    """The FastAPI app serving `model_ref` ('fraud@champion' follows the alias; 'fraud/3' is fixed).
    Loads the model(s) now, so a bad reference fails here, before a port is bound."""
    from mloop.serving import routes_v2
    from mloop.stores.workspace import get_workspace

    options = options or ServeOptions()
    state = ServingState(model_ref, options, workspace or get_workspace())

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> Any:
        # wake-ups of the batching thread wait at most this long for the interpreter lock (CPython's
        # 5 ms delays them; 0.5 ms costs ~20% of req/s at c=64 in forced hand-overs between threads)
        sys.setswitchinterval(SWITCH_INTERVAL)
        warnings.filterwarnings("ignore", message=ARRAY_WARNING, category=UserWarning)
        state.open_log()
        # the model, the libraries and the app live as long as the process: out of the collector's
        # sight, so its full collections (pauses of tens of ms under load) have little left to walk
        gc.collect()
        gc.freeze()
        # each young collection walks what the last requests left alive (and the prediction log
        # holds a flush's answers for up to 2 s): at CPython's 700 that was ~9% of a busy server's
        # CPU; at 7,000, 3-5% less CPU per request without logging, 6-20% less with it (A/B, c=64)
        gc.set_threshold(*GC_THRESHOLD)
        if options.follow:
            state.router.follow(options.poll_seconds)
        heartbeat = None
        if options.deployment_id:
            from mloop.serving.deployments import Heartbeat

            heartbeat = Heartbeat(options.deployment_id, state.workspace,
                                  lambda: (state.router.name, state.router.primary.model.ref, state.metrics.answered))
            heartbeat.start()
        yield
        if heartbeat is not None:
            heartbeat.stop()
        if state.shadow_tasks:
            await asyncio.wait(list(state.shadow_tasks), timeout=5)
        await asyncio.get_running_loop().run_in_executor(None, state.router.close)
        await asyncio.get_running_loop().run_in_executor(None, state.close_log)

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
            request_id = request.headers.get("x-request-id") or state.new_request_id()
            model, outputs = await state.predict(slot, parsed, request_id, started)
            state.metrics.predictions.labels(model.ref, slot.role).inc(parsed.rows)
            state.shadow(key, parsed, request_id)
            body = {"request_id": request_id, "model_version": model.ref, **outputs.to_json()}
            return respond(state.metrics, "/predict", started, 200, json.dumps(body).encode())
        except Exception as exc:
            return error_response(state.metrics, "/predict", started, exc)

    # the same endpoint as a plain Starlette route, matched first: FastAPI's per-request work
    # (dependency solving, its telemetry check) is skipped; the FastAPI route stays for /docs
    app.router.routes.insert(0, Route("/predict", predict, methods=["POST"], include_in_schema=False))

    @app.post("/feedback", summary="Ground truth for earlier answers: {\"request_id\", \"label\"} or a list of them")
    async def feedback(request: Request) -> Response:
        started = time.perf_counter()
        try:
            labels = _labels(parse_json(await read_body(request, options.max_body_bytes)))
            result = await asyncio.get_running_loop().run_in_executor(None, state.log_labels, labels)
            body = {"labels": result.labels, "matched": result.matched, "unmatched": result.unmatched}
            return respond(state.metrics, "/feedback", started, 200, json.dumps(body).encode())
        except Exception as exc:
            return error_response(state.metrics, "/feedback", started, exc)

    @app.get("/metadata", summary="The version served, its signature and lineage, batching, swaps")
    async def metadata() -> Response:
        return respond(state.metrics, "/metadata", time.perf_counter(), 200, json.dumps(state.metadata(), default=str).encode())

    @app.get("/metrics", summary="Prometheus metrics")
    async def metrics() -> Response:
        body, content_type = state.metrics.render()
        return Response(body, media_type=content_type)

    routes_v2.add_routes(app, state)
    return app


def _labels(payload: Any) -> list[dict[str, Any]]:
    from mloop.serving.protocol import BadRequestError

    items = payload.get("labels") if isinstance(payload, dict) and "labels" in payload else payload
    items = [items] if isinstance(items, dict) else items
    if not isinstance(items, list) or not items or not all(
            isinstance(item, dict) and "request_id" in item and "label" in item for item in items):
        raise BadRequestError('feedback is {"request_id": ..., "label": ...}, a list of them, or {"labels": [...]}')
    return items


def _request_schema(model: ServedModel) -> dict[str, Any]:
    record = model.signature.to_json_schema(f"{model.ref} record") if model.signature else {"type": "object"}
    record.pop("$schema", None)
    return {"required": True, "content": {"application/json": {"schema": {"oneOf": [
        record, {"type": "array", "items": record},
        {"type": "object", "properties": {"records": {"type": "array", "items": record}}, "required": ["records"]},
        {"type": "object", "properties": {"columns": {"type": "object"}}, "required": ["columns"]}]}}}}
