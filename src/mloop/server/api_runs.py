"""REST routes of pipelines, runs (search, step runs, metric histories, logs), monitors and alerts,
under /api/v1. Plain `def` routes (FastAPI runs them in its thread pool) over the public API; user
errors are MloopErrors the app turns into 4xx with a one-line message."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends, Query
from fastapi.responses import PlainTextResponse
from pydantic import BaseModel, Field

import mloop
from mloop.monitoring import latest_results
from mloop.server import security
from mloop.ui import pages_monitors, run_views

router = APIRouter(tags=["runs"])
Principal = security.Principal
CurrentPrincipal = Depends(security.current_principal)
#: the largest offset a search takes (databases refuse offsets past a 64-bit integer)
MAX_OFFSET = 1_000_000_000


class PipelineOut(BaseModel):
    name: str
    kind: str
    runs: int
    by_status: dict[str, int]
    last_run_id: str
    last_status: str
    last_created_at: datetime | None
    last_ended_at: datetime | None


class RunRow(BaseModel):
    run_id: str
    pipeline: str
    kind: str
    status: str
    start_time: datetime | None
    end_time: datetime | None
    params: dict[str, str | None] = Field(default_factory=dict)
    metrics: dict[str, float | None] = Field(default_factory=dict, description="latest value of each metric")
    tags: dict[str, str | None] = Field(default_factory=dict)


class RunPage(BaseModel):
    total: int = Field(description="runs matching the filter, over all pages")
    offset: int
    limit: int
    runs: list[RunRow]


class SearchBody(BaseModel):
    filter: str = Field("", description="the search language of `mloop runs search`, e.g. metrics.auc > 0.9")
    order_by: str | None = Field(None, description="a field, e.g. metrics.auc or start_time")
    descending: bool = False
    limit: int = Field(50, ge=1, le=1000)
    offset: int = Field(0, ge=0, le=MAX_OFFSET)


class ArtifactRef(BaseModel):
    id: str
    type_name: str
    size: int


class StepRunOut(BaseModel):
    id: str
    node: str
    step: str
    status: str
    error: str | None
    cache_key: str | None
    cached_from: str | None
    started_at: datetime | None
    ended_at: datetime | None
    duration: float | None
    attempts: int
    inputs: dict[str, ArtifactRef]
    outputs: dict[str, ArtifactRef]


class RunOut(BaseModel):
    id: str
    pipeline: str
    status: str
    error: str | None
    created_at: datetime
    started_at: datetime | None
    ended_at: datetime | None
    duration: float | None
    code_version: dict[str, Any]
    environment: dict[str, Any]
    params: dict[str, str]
    metrics: dict[str, float]
    tags: dict[str, str]
    steps: list[StepRunOut]
    edges: list[tuple[str, str]] = Field(description="(upstream step, downstream step) pairs of the DAG")


class MetricPoint(BaseModel):
    step: int
    value: float | None
    timestamp: datetime
    step_run_id: str | None


class MonitorOut(BaseModel):
    name: str
    kind: str
    model: str | None
    deployment: str | None
    source: str | None
    window: str
    schedule: str | None
    threshold: float | None
    last_status: str | None
    last_value: float | None
    last_time: datetime | None


class MonitorResultOut(BaseModel):
    id: str
    time: datetime
    window_start: datetime
    window_end: datetime
    status: str
    value: float | None
    threshold: float | None
    summary: str
    values: dict[str, Any]
    rows: int


class AlertOut(BaseModel):
    id: str
    source: str
    severity: str
    status: str
    opened_at: datetime
    last_failed_at: datetime | None
    resolved_at: datetime | None
    failures: int
    summary: str


@router.get("/pipelines", summary="Pipelines with their run counts and newest run")
def list_pipelines(principal: Principal = CurrentPrincipal) -> list[PipelineOut]:
    security.authorize(principal, "read", "runs")
    return [PipelineOut.model_validate(p, from_attributes=True) for p in mloop.list_pipelines()]


@router.get("/runs", summary="Search runs (filter language of `mloop runs search`), a page at a time")
def list_runs(q: str = Query("", description="e.g. metrics.auc > 0.9 and params.model = 'xgb'"),
              pipeline: str = "", status: str = "", order_by: str | None = None, descending: bool = False,
              limit: int = Query(50, ge=1, le=1000), offset: int = Query(0, ge=0, le=MAX_OFFSET),
              principal: Principal = CurrentPrincipal) -> RunPage:
    security.authorize(principal, "read", "runs")
    return _search(run_views.runs_filter(q, pipeline, status), order_by, descending, limit, offset)


@router.post("/runs/search", summary="Search runs with the filter in a JSON body (read only)")
def search_runs(body: SearchBody, principal: Principal = CurrentPrincipal) -> RunPage:
    security.authorize(principal, "read", "runs")
    return _search(run_views.runs_filter(body.filter), body.order_by, body.descending, body.limit, body.offset)


def _search(where: str, order_by: str | None, descending: bool, limit: int, offset: int) -> RunPage:
    frame = mloop.search_runs(where, order_by=order_by, descending=descending, limit=limit, offset=offset)
    groups = {prefix: [c for c in frame.columns if c.startswith(prefix + ".")] for prefix in ("params", "metrics", "tags")}
    rows = []
    for record in frame.astype(object).where(frame.notna(), None).to_dict("records"):
        values = {prefix: {c.partition(".")[2]: record[c] for c in columns if record[c] is not None}
                  for prefix, columns in groups.items()}
        rows.append(RunRow(run_id=record["run_id"], pipeline=record["pipeline"], kind=record["kind"],
                           status=record["status"], start_time=record["start_time"], end_time=record["end_time"],
                           **values))
    return RunPage(total=mloop.count_runs(where), offset=offset, limit=limit, runs=rows)


@router.get("/runs/{run_id}", summary="A run with its step runs, params, latest metrics, tags and DAG edges")
def get_run(run_id: str, principal: Principal = CurrentPrincipal) -> RunOut:
    security.authorize(principal, "read", "runs")
    run = mloop.get_run(run_id)
    data = mloop.get_run_data(run.id)
    steps = [StepRunOut(id=s.id, node=s.node, step=s.step, status=s.status, error=s.error, cache_key=s.cache_key,
                        cached_from=s.cached_from, started_at=s.started_at, ended_at=s.ended_at, duration=s.duration,
                        attempts=len(s.attempts), inputs=_artifacts(s.inputs), outputs=_artifacts(s.outputs))
             for s in run.steps]
    return RunOut(id=run.id, pipeline=run.pipeline, status=run.status, error=run.error, created_at=run.created_at,
                  started_at=run.started_at, ended_at=run.ended_at, duration=run.duration,
                  code_version=run.code_version, environment=run.environment, params=data.params,
                  metrics=data.metrics, tags=data.tags, steps=steps, edges=run_views.graph_edges(run.record.graph))


def _artifacts(found: dict[str, Any]) -> dict[str, ArtifactRef]:
    return {name: ArtifactRef(id=a.id, type_name=a.type_name, size=a.size) for name, a in found.items()}


@router.get("/runs/{run_id}/metrics/{key}", summary="Every point of a run's metric, by step")
def metric_history(run_id: str, key: str, principal: Principal = CurrentPrincipal) -> list[MetricPoint]:
    security.authorize(principal, "read", "runs")
    history = mloop.get_metric_history(run_id, key)
    history = history.astype(object).where(history.notna(), None)
    return [MetricPoint(**point) for point in history.to_dict("records")]


@router.get("/runs/{run_id}/logs/{step}", summary="A step's log as text (the last attempt unless `attempt`)",
            response_class=PlainTextResponse)
def step_log(run_id: str, step: str, attempt: int | None = Query(None, ge=1),
             principal: Principal = CurrentPrincipal) -> PlainTextResponse:
    security.authorize(principal, "read", "runs")
    return PlainTextResponse(mloop.get_run(run_id).step(step).logs(attempt))


@router.get("/monitors", summary="Monitors with their newest result", tags=["monitors"])
def list_monitors(principal: Principal = CurrentPrincipal) -> list[MonitorOut]:
    security.authorize(principal, "read", "monitors")
    latest = latest_results()
    out = []
    for m in mloop.list_monitors():
        last = latest.get(m.name)
        out.append(MonitorOut(name=m.name, kind=m.kind, model=m.model, deployment=m.deployment, source=m.source,
                              window=m.window, schedule=m.schedule, threshold=m.threshold,
                              last_status=last.status if last else None, last_value=last.value if last else None,
                              last_time=last.time if last else None))
    return out


@router.get("/monitors/{name}/results", summary="A monitor's results, newest first", tags=["monitors"])
def monitor_results(name: str, limit: int = Query(100, ge=1, le=10_000),
                    principal: Principal = CurrentPrincipal) -> list[MonitorResultOut]:
    security.authorize(principal, "read", "monitors")
    return [MonitorResultOut.model_validate(r, from_attributes=True) for r in mloop.monitor_results(name, limit=limit)]


@router.get("/alerts", summary="Alerts, newest first", tags=["monitors"])
def list_alerts(status: str | None = Query(None, description="open or resolved"), source: str | None = None,
                limit: int = Query(100, ge=1, le=1000), principal: Principal = CurrentPrincipal) -> list[AlertOut]:
    security.authorize(principal, "read", "alerts")
    return [AlertOut.model_validate(a, from_attributes=True)
            for a in mloop.list_alerts(status=status, source=source, limit=limit)]


@router.post("/alerts/{alert_id}/resolve", summary="Resolve an open alert by hand (audited)", tags=["monitors"])
def resolve_alert(alert_id: str, principal: Principal = CurrentPrincipal) -> AlertOut:
    security.authorize(principal, "write", "alerts")
    resolved = pages_monitors.resolve_alert(principal, mloop.get_alert(alert_id))
    return AlertOut.model_validate(resolved, from_attributes=True)
