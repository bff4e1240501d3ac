"""Pages of what runs in production: `/features` (definitions, versions, freshness),
`/deployments` and `/deployments/{id}` (traffic split, swaps, live request rate and latency from
the prediction log) and `/schedules` (next due times, last fires and their outcome)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends, Request

from mloop.server import security
from mloop.ui import operations_view
from mloop.ui.charts import Line, line_chart
from mloop.ui.page_errors import PageRoute
from mloop.ui.render import render

router = APIRouter(include_in_schema=False, route_class=PageRoute)


@router.get("/features")
def features_page(request: Request, principal: security.Principal = Depends(security.current_principal)) -> Any:
    security.authorize(principal, "read", "features")
    return render(request, "features.html", features=operations_view.features_overview())


@router.get("/deployments")
def deployments_page(request: Request, principal: security.Principal = Depends(security.current_principal)) -> Any:
    security.authorize(principal, "read", "deployments")
    return render(request, "deployments.html", deployments=operations_view.deployments_overview())


@router.get("/deployments/{deployment_id}")
def deployment_page(request: Request, deployment_id: str,
                    principal: security.Principal = Depends(security.current_principal)) -> Any:
    security.authorize(principal, "read", "deployments")
    detail = operations_view.deployment_detail(deployment_id)
    live = detail["live"]
    chart = None
    if live["per_minute"]:
        minutes = [datetime.fromisoformat(m["minute"]).timestamp() for m in live["per_minute"]]
        chart = line_chart([Line("requests", minutes, [m["requests"] for m in live["per_minute"]])],
                           title="requests per minute, last hour", x_label="time", time_axis=True)
    return render(request, "deployment.html", deployment=detail, chart=chart)


@router.get("/schedules")
def schedules_page(request: Request, principal: security.Principal = Depends(security.current_principal)) -> Any:
    security.authorize(principal, "read", "schedules")
    return render(request, "schedules.html", overview=operations_view.schedules_overview())
