"""Open Inference Protocol (v2) routes, so KServe/Triton clients (e.g. tritonclient[http]) work:
health, server and model metadata, readiness, and infer (JSON or the binary tensor extension)."""

from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING, Any

from fastapi import FastAPI, Request, Response

from mloop import __version__
from mloop.core.errors import NotFoundError
from mloop.serving.http import error_response, read_body, respond
from mloop.serving.protocol import split_binary, v2_datatype, v2_input, v2_response

if TYPE_CHECKING:
    from mloop.serving.state import ServingState


def add_routes(app: FastAPI, state: ServingState) -> None:
    def served(name: str, version: str | None = None) -> Any:
        slot = state.router.primary
        if name != state.router.name:
            raise NotFoundError(f"unknown model {name!r}; this server serves {state.router.name!r}")
        known = {str(s.model.version.version): s for s in state.router.slots}
        if version is not None:
            if version not in known:
                raise NotFoundError(f"model {name!r} has no served version {version!r}; served: "
                                    f"{', '.join(sorted(known))}")
            slot = known[version]
        return slot

    def answer(route: str, started: float, body: dict[str, Any], code: int = 200) -> Response:
        return respond(state.metrics, route, started, code, json.dumps(body).encode())

    @app.get("/v2/health/live", summary="v2: the server is up")
    async def live() -> Response:
        return answer("/v2/health/live", time.perf_counter(), {"live": True})

    @app.get("/v2/health/ready", summary="v2: the model is loaded and answers")
    async def ready() -> Response:
        return answer("/v2/health/ready", time.perf_counter(), {"ready": True})

    @app.get("/v2", summary="v2: server metadata")
    async def server_metadata() -> Response:
        return answer("/v2", time.perf_counter(), {"name": "mloop", "version": __version__, "extensions": ["binary_tensor_data"]})

    async def model_metadata(name: str, version: str | None = None) -> Response:
        started = time.perf_counter()
        try:
            model = served(name, version).model
        except Exception as exc:
            return error_response(state.metrics, "/v2/models", started, exc)
        signature = model.signature
        inputs = [{"name": c.name, "datatype": v2_datatype(c.type), "shape": [-1]}
                  for c in (signature.inputs if signature else ())]
        outputs = [{"name": o.name, "datatype": v2_datatype(o.type), "shape": o.shape}
                   for o in (signature.outputs if signature else ())]
        versions = sorted({str(s.model.version.version) for s in state.router.slots})
        return answer("/v2/models", started, {"name": name, "versions": versions, "platform": "mloop",
                                              "inputs": inputs, "outputs": outputs})

    async def model_ready(name: str, version: str | None = None) -> Response:
        started = time.perf_counter()
        try:
            served(name, version)
        except Exception as exc:
            return error_response(state.metrics, "/v2/models/ready", started, exc)
        return answer("/v2/models/ready", started, {"name": name, "ready": True})

    async def infer(request: Request, name: str, version: str | None = None) -> Response:
        started = time.perf_counter()
        try:
            slot = served(name, version)
            body = await read_body(request, state.options.max_body_bytes, binary_ok=True)
            payload, binary = split_binary(body, request.headers.get("inference-header-content-length"))
            parsed, wanted = v2_input(payload, binary, slot.model.signature)
            if version is None:
                slot = state.router.choose(request.headers.get("x-request-key"))
            request_id = wanted["id"] if isinstance(wanted["id"], str) and wanted["id"] else state.new_request_id()
            model, outputs = await state.predict(slot, parsed, request_id, started)
            state.metrics.predictions.labels(model.ref, slot.role).inc(parsed.rows)
            content, headers = v2_response(name, model.version.version, wanted["id"], outputs, wanted["outputs"],
                                           wanted["binary"])
            media = "application/octet-stream" if headers else "application/json"
            return respond(state.metrics, "/v2/infer", started, 200, content, headers, media)
        except Exception as exc:
            return error_response(state.metrics, "/v2/infer", started, exc)

    app.add_api_route("/v2/models/{name}", model_metadata, methods=["GET"], summary="v2: model metadata")
    app.add_api_route("/v2/models/{name}/versions/{version}", model_metadata, methods=["GET"],
                      summary="v2: model version metadata")
    app.add_api_route("/v2/models/{name}/ready", model_ready, methods=["GET"], summary="v2: model readiness")
    app.add_api_route("/v2/models/{name}/versions/{version}/ready", model_ready, methods=["GET"],
                      summary="v2: model version readiness")
    app.add_api_route("/v2/models/{name}/infer", infer, methods=["POST"], summary="v2: infer")
    app.add_api_route("/v2/models/{name}/versions/{version}/infer", infer, methods=["POST"],
                      summary="v2: infer on a version")
