"""Pages of pipelines and runs: the pipelines, the runs listing (search language, filters, pages,
sorting), a run (DAG, steps, logs, params, metrics and their charts), one metric of a run, and
runs compared side by side. The monitor pages are in pages_monitors (included here)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import PlainTextResponse, Response

import mloop
from mloop.server import security
from mloop.ui import compare_view, pages_monitors, run_views
from mloop.ui.page_errors import page
from mloop.ui.render import render

router = APIRouter(include_in_schema=False)
router.include_router(pages_monitors.router)
Principal = security.Principal
CurrentPrincipal = Depends(security.current_principal)
#: columns of tracked values the runs listing shows at most (the rest are on the run page)
LISTED_METRICS, LISTED_PARAMS = 6, 4
SORTABLE_ATTRIBUTES = ("run_id", "pipeline", "status", "start_time", "end_time")


@router.get("/pipelines")
def pipelines_page(request: Request, principal: Principal = CurrentPrincipal) -> Response:
    security.authorize(principal, "read", "runs")
    return page(request, lambda: render(request, "pipelines.html", title="Pipelines",
                                        pipelines=mloop.list_pipelines()))


@router.get("/runs")
def runs_page(request: Request, q: str = "", pipeline: str = "", status: str = "", page_number: int = Query(1, alias="page"),
              sort: str = "", desc: bool = True, principal: Principal = CurrentPrincipal) -> Response:
    security.authorize(principal, "read", "runs")
    state = {"q": q, "pipeline": pipeline, "status": status}

    def build() -> Response:
        common: dict[str, Any] = {
            "title": "Runs", "sort": sort, "desc": desc, "state": state, "statuses": run_views.STATUSES,
            "pipelines": [p.name for p in mloop.list_pipelines()],
            "link": lambda **changes: "/runs?" + _query({**state, "sort": sort, "desc": int(desc), **changes})}
        try:
            where = run_views.runs_filter(q, pipeline, status)
            total = mloop.count_runs(where)
            pages = max(1, -(-total // run_views.PAGE_SIZE))
            number = min(max(1, page_number), pages)
            frame = mloop.search_runs(where, order_by=sort or None, descending=desc, limit=run_views.PAGE_SIZE,
                                      offset=(number - 1) * run_views.PAGE_SIZE)
        except mloop.ValidationError as exc:  # a bad query: said above the form it was typed in, to fix there
            return render(request, "runs.html", status_code=400, error=str(exc).splitlines()[0], rows=[], metrics=[],
                          params=[], total=0, page=1, pages=1, **common)
        metrics = [c for c in frame.columns if c.startswith("metrics.")][:LISTED_METRICS]
        params = [c for c in frame.columns if c.startswith("params.")][:LISTED_PARAMS]
        frame["duration"] = (frame["end_time"] - frame["start_time"]).dt.total_seconds()
        return render(request, "runs.html", rows=frame.to_dict("records"), metrics=metrics, params=params,
                      total=total, page=number, pages=pages, **common)

    return page(request, build)


@router.get("/runs/{run_id}")
def run_page(request: Request, run_id: str, principal: Principal = CurrentPrincipal) -> Response:
    security.authorize(principal, "read", "runs")

    def build() -> Response:
        run = mloop.get_run(run_id)
        data = mloop.get_run_data(run.id)
        keys = run_views.metric_keys(data.metrics)
        charts = [run_views.metric_chart([run.id], key, width=560) for key in keys[:run_views.MAX_RUN_CHARTS]]
        return render(request, "run.html", title=f"Run {run.id}", run=run, data=data, dag=run_views.run_dag(run),
                      steps=run_views.step_rows(run), charts=charts, more_charts=len(keys) - len(charts),
                      environment=run.environment,
                      code=run.code_version)

    return page(request, build)


@router.get("/runs/{run_id}/logs/{step}")
def step_log(request: Request, run_id: str, step: str, attempt: int | None = None,
             principal: Principal = CurrentPrincipal) -> Response:
    """The whole log of a step (of its last attempt unless `attempt`), as plain text."""
    security.authorize(principal, "read", "runs")
    return page(request, lambda: PlainTextResponse(mloop.get_run(run_id).step(step).logs(attempt),
                                                   headers={"X-Content-Type-Options": "nosniff"}))


@router.get("/runs/{run_id}/metrics/{key}")
def metric_page(request: Request, run_id: str, key: str, principal: Principal = CurrentPrincipal) -> Response:
    security.authorize(principal, "read", "runs")

    def build() -> Response:
        run = mloop.get_run(run_id)
        history = mloop.get_metric_history(run.id, key)
        chart = run_views.metric_chart([run.id], key, width=900)
        return render(request, "metric.html", title=f"{key} of run {run.id}", run=run, key=key, chart=chart,
                      points=history.to_dict("records"))

    return page(request, build)


@router.get("/compare")
def compare_page(request: Request, runs: list[str] = Query(default=[]), metric: str = "", param: str = "",
                 principal: Principal = CurrentPrincipal) -> Response:
    security.authorize(principal, "read", "runs")
    return page(request, lambda: render(request, "compare.html", title="Compare runs",
                                        view=compare_view.compare(run_views.run_ids(runs), metric, param)))


def _query(values: dict[str, Any]) -> str:
    return urlencode({key: value for key, value in values.items() if value not in ("", None)})
