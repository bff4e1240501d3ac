"""The store API remote clients use (mloop.stores.remote): the role stores' methods, one call per
request, and the artifact objects, uploaded and downloaded with their digests checked.

Only the methods of a role's Protocol can be called, each classified by hand below as a read or a
write; every call is authorized before it runs, and every write is audited after it succeeded.
Store calls are plain `def` routes: the stores are synchronous and run in FastAPI's threadpool."""

from __future__ import annotations

import inspect
import json
import os
import re
import shutil
import tarfile
import tempfile
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi import Path as PathParam
from fastapi.responses import FileResponse
from pydantic import BaseModel, Field
from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool

from mloop.core.errors import ConfigError, ConflictError, NotFoundError, ValidationError
from mloop.core.hashing import hash_path
from mloop.server import security
from mloop.stores.remote.codec import decode, encode
from mloop.stores.remote.metadata import ROLES, protocol_methods
from mloop.stores.workspace import Workspace, get_workspace

router = APIRouter(tags=["stores"])
Caller = Annotated[security.Principal, Depends(security.current_principal)]
Digest = Annotated[str, PathParam(pattern=r"^[0-9a-f]{64}$", description="the sha256 of the object's bytes")]
#: the largest artifact upload, in MiB (MLOOP_SERVER_MAX_UPLOAD_MB)
MAX_UPLOAD_MB = 1024  # the same default as the guard's cap on every body (server.app)
_NAME = re.compile(r"^[^/\\\x00]{1,255}$")

#: every role method that changes something; every other Protocol method is a read (reviewed by
#: hand: a test checks each method of each Protocol is in exactly one of WRITES and READS)
WRITES: dict[str, frozenset[str]] = {
    "runs": frozenset({"create_run", "update_run", "mark_run_interrupted", "put_environment", "apply_step_updates",
                       "start_execution", "end_execution", "mark_lost_executions"}),
    "lineage": frozenset({"record_artifact", "put_fingerprint"}),
    "tracking": frozenset({"log_batch", "record_logged_artifact"}),
    "registry": frozenset({"create_model_version", "set_model_card", "move_alias", "set_stage",
                           "add_blessing_report"}),
    "quality": frozenset({"link_profile", "add_report"}),
    "features": frozenset({"put_definition", "record_materialization", "record_training_set"}),
    "deployments": frozenset({"start", "add_event", "set_version", "beat", "stop", "add_counts", "add_check"}),
    "predictions": frozenset({"add_predictions", "add_segment", "replace_segments", "add_labels"}),
    "monitors": frozenset({"put_monitors", "delete_monitor", "set_paused", "add_result", "add_alert", "save_alert",
                           "add_webhook", "remove_webhook", "queue", "claim_delivery", "finish_delivery",
                           "set_cursors", "advance_cursors"}),
    "schedules": frozenset({"add_schedule", "replace_schedule", "remove_schedule", "set_paused", "claim",
                            "record_outcome", "finish_fires", "prune_fires", "add_trigger", "remove_trigger",
                            "advance_trigger", "scheduler_started", "scheduler_beat", "scheduler_stopped"}),
}
READS: dict[str, frozenset[str]] = {
    "runs": frozenset({"get_run", "list_runs", "pipeline_summaries", "running_runs", "get_environment", "step_runs", "get_step_runs_by_id",
                       "find_cached", "find_cached_many", "last_step_run", "step_executions"}),
    "lineage": frozenset({"get_artifact", "get_artifacts", "list_artifacts", "step_run_edges", "artifact_edges",
                          "find_fingerprint"}),
    "tracking": frozenset({"search_runs", "count_runs", "search_table", "run_values", "metric_history", "logged_artifacts"}),
    "registry": frozenset({"get_model", "list_models", "get_model_version", "list_model_versions",
                           "find_model_version", "model_aliases", "alias_history", "stage_history",
                           "blessing_reports"}),
    "quality": frozenset({"profiles_of", "list_reports"}),
    "features": frozenset({"latest_definitions", "definition", "definition_history", "materializations",
                           "training_sets"}),
    "deployments": frozenset({"get_deployment", "list_deployments", "events", "request_counts", "latest_check"}),
    "predictions": frozenset({"get_prediction", "logged_request_ids", "prediction_rows", "segments", "labels_of"}),
    "monitors": frozenset({"get_monitor", "list_monitors", "results", "latest_results", "open_alert", "get_alert",
                           "list_alerts", "list_webhooks", "due_deliveries", "list_deliveries", "get_cursor",
                           "registry_changes", "blessings_after", "registry_heads"}),
    "schedules": frozenset({"get_schedule", "list_schedules", "due_schedules", "earliest_due", "fires",
                            "last_fires", "unfinished_runs", "get_trigger", "list_triggers", "list_schedulers"}),
}


class StoreCall(BaseModel):
    """The arguments of one store method, in mloop's store codec (mloop.stores.remote.codec)."""

    args: list[Any] = Field(default_factory=list)
    kwargs: dict[str, Any] = Field(default_factory=dict)


def server_workspace(request: Request) -> Workspace:
    """The workspace whose stores the server serves: the app's own (tests) or the current folder's."""
    workspace = getattr(request.app.state, "workspace", None) or get_workspace()
    if workspace.settings.db_url.startswith(("http://", "https://")):
        raise ConfigError("the mloop server's own metadata store cannot be another server; unset "
                          "MLOOP_TRACKING_URI / tracking_uri where `mloop server` runs")
    return workspace


Served = Annotated[Workspace, Depends(server_workspace)]


@router.post("/stores/{role}/{method}", summary="Call a method of a role store")
def call_store(role: str, method: str, call: StoreCall, principal: Caller, workspace: Served) -> Response:
    """Run `role.method(*args, **kwargs)` on the server's metadata stores; the result in the codec."""
    need: security.Need
    if method in WRITES.get(role, ()):
        need = "write"
    elif method in READS.get(role, ()):
        need = "read"
    else:
        raise NotFoundError(f"no store method {role}.{method}; the roles are {', '.join(ROLES)}")
    action = f"{role}.{method}"
    security.authorize(principal, need, action)
    args, kwargs = decode(call.args), decode(call.kwargs)
    try:
        bound = protocol_methods(role)[method].bind(None, *args, **kwargs)
    except TypeError as exc:
        raise ValidationError(f"bad arguments for {action}: {exc}") from None
    if action == "registry.move_alias":
        values = bound.arguments
        security.check_alias_move(principal, values["model"], values["alias"], values["version"])
    try:
        result = getattr(getattr(workspace.metadata, role), method)(*args, **kwargs)
    except (TypeError, AttributeError, KeyError, IndexError, ValueError, OverflowError) as exc:  # wrong shapes
        raise ValidationError(f"bad arguments for {action}: {type(exc).__name__}: {exc}") from None
    if need == "write":
        security.audit(principal, action, _target(bound), _detail(bound))
    body = json.dumps({"result": encode(result)}, separators=(",", ":"))  # NaN metrics travel as NaN
    return Response(body, media_type="application/json")


@router.post("/stores/writable", summary="Check that the server's stores can be written")
def check_writable(principal: Caller, workspace: Served) -> dict[str, bool]:
    security.authorize(principal, "write", "stores.writable")
    workspace.artifacts.check_writable()
    workspace.metadata.check_writable()
    return {"writable": True}


@router.head("/artifacts/{digest}", summary="Whether an artifact object is stored")
def artifact_exists(digest: Digest, principal: Caller, workspace: Served) -> Response:
    security.authorize(principal, "read", "artifacts.exists")
    return Response(status_code=200 if workspace.artifacts.exists(digest) else 404)


@router.get("/artifacts/{digest}", summary="Download an artifact object (a file, or a folder as a tar)")
def download_artifact(digest: Digest, principal: Caller, workspace: Served) -> Response:
    security.authorize(principal, "read", "artifacts.get")
    if not workspace.artifacts.exists(digest):
        raise NotFoundError(f"no artifact object {digest[:12]} on this server")
    path = workspace.artifacts.local_path(digest)
    headers = {"X-Mloop-Name": path.name, "X-Mloop-Kind": "folder" if path.is_dir() else "file"}
    if path.is_file():
        return FileResponse(path, headers=headers, media_type="application/octet-stream")
    archive = _tar_of(path)
    return FileResponse(archive, headers=headers, media_type="application/x-tar",
                        background=BackgroundTask(os.unlink, archive))


@router.get("/artifacts/{digest}/intact", summary="Whether a stored object still hashes to its digest")
def artifact_intact(digest: Digest, principal: Caller, workspace: Served) -> dict[str, bool]:
    security.authorize(principal, "read", "artifacts.intact")
    return {"intact": workspace.artifacts.is_intact(digest)}


@router.get("/artifacts", summary="The digest of every stored artifact object")
def list_artifact_digests(principal: Caller, workspace: Served) -> list[str]:
    security.authorize(principal, "read", "artifacts.list")
    return list(workspace.artifacts.digests())


@router.delete("/artifacts/{digest}", summary="Delete an artifact object")
def delete_artifact(digest: Digest, principal: Caller, workspace: Served) -> dict[str, bool]:
    security.authorize(principal, "write", "artifacts.delete")
    workspace.artifacts.delete(digest)
    security.audit(principal, "artifacts.delete", digest[:12], None)
    return {"deleted": True}


@router.put("/artifacts/{digest}", summary="Upload an artifact object; stored only if its bytes hash to digest")
async def upload_artifact(request: Request, digest: Digest, principal: Caller, workspace: Served,
                          name: Annotated[str, Query(max_length=255)],
                          kind: Annotated[str, Query(pattern="^(file|folder)$")] = "file") -> Any:
    """The body is the file's bytes, or a tar of the folder's files. It is staged, hashed, and
    only then stored (atomically); a digest mismatch is a 409 and nothing is stored."""
    security.authorize(principal, "write", "artifacts.put")
    if not _NAME.match(name) or name in (".", ".."):
        raise ValidationError(f"artifact name {name[:60]!r} must be one file or folder name (no / or \\)")
    limit = max_upload_bytes(request)
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        return _too_large(limit)
    folder = Path(await run_in_threadpool(workspace.artifacts.staging_dir))
    try:
        part = folder / ".upload"
        size = 0
        with open(part, "wb") as handle:
            async for chunk in request.stream():
                size += len(chunk)
                if size > limit:
                    return _too_large(limit)
                handle.write(chunk)
        uri = await run_in_threadpool(_store_upload, workspace, part, folder / name, kind, digest)
    finally:
        if folder.exists():
            shutil.rmtree(folder, ignore_errors=True)
    security.audit(principal, "artifacts.put", digest[:12], {"name": name, "kind": kind, "bytes": size})
    return {"uri": uri}


def max_upload_bytes(request: Request) -> int:
    configured = getattr(request.app.state, "max_upload_bytes", None)
    if configured is not None:
        return int(configured)
    return int(os.environ.get("MLOOP_SERVER_MAX_UPLOAD_MB") or MAX_UPLOAD_MB) * (1 << 20)


def _too_large(limit: int) -> Response:
    message = (f"the upload is larger than this server's limit of {limit / (1 << 20):g} MiB; raise "
               "MLOOP_SERVER_MAX_UPLOAD_MB where `mloop server` runs")
    return Response(json.dumps({"error": {"type": "ValidationError", "message": message}}), status_code=413,
                    media_type="application/json")


def _store_upload(workspace: Workspace, part: Path, target: Path, kind: str, digest: str) -> str:
    if kind == "file":
        part.rename(target)
    else:
        target.mkdir()
        try:
            with tarfile.open(part, "r:*") as archive:
                archive.extractall(target, filter="data")  # no absolute paths, links or escapes out of target
        except (tarfile.TarError, OSError) as exc:
            raise ValidationError(f"the upload of folder {target.name!r} is not a readable tar ({exc})") from None
        part.unlink()
    actual = hash_path(target)
    if actual != digest:
        raise ConflictError(f"the uploaded bytes hash to {actual[:12]}, not {digest[:12]}: nothing was stored; "
                            "the upload was corrupted on the way, try again")
    # the staging folder now holds only `target`: put consumes it (a rename on a local store)
    return workspace.artifacts.put(target, digest)


def _tar_of(path: Path) -> str:
    handle, archive = tempfile.mkstemp(prefix="mloop-download-", suffix=".tar")
    with os.fdopen(handle, "wb") as raw, tarfile.open(fileobj=raw, mode="w") as tar:
        for file in sorted(p for p in path.rglob("*") if p.is_file()):
            tar.add(file, arcname=file.relative_to(path).as_posix())
    return archive


def _target(bound: inspect.BoundArguments) -> str:
    """What a write changed, in a few characters: the first argument's id, name or model."""
    values = [v for k, v in bound.arguments.items() if k != "self"]
    first: Any = values[0] if values else ""
    for attribute in ("id", "name", "model"):
        if hasattr(first, attribute):
            return str(getattr(first, attribute))[:120]
    if hasattr(first, "metrics"):  # a tracking batch: its runs
        rows = [*first.metrics[:1], *first.params[:1], *first.tags[:1]]
        return str(rows[0][0]) if rows else ""
    return str(first)[:120] if isinstance(first, (str, int)) else type(first).__name__


def _detail(bound: inspect.BoundArguments) -> dict[str, Any]:
    """The small plain arguments of a write (never tables or records)."""
    detail: dict[str, Any] = {}
    for key, value in bound.arguments.items():
        if isinstance(value, dict) and key == "fields":  # update_run(**fields): the field names
            detail[key] = sorted(value)[:20]
        elif key != "self" and (isinstance(value, (bool, int, float)) or value is None
                                or (isinstance(value, str) and len(value) <= 200)):
            detail[key] = value
    return detail
