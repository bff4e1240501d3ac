"""Pages of the loop's watch: monitors with their last result, a monitor's measurements over time
with its threshold, its alerts and the loop's decisions, and the alerts (resolvable by a form)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

import mloop
from mloop.monitoring import latest_results
from mloop.server import security
from mloop.ui.monitor_charts import monitor_charts
from mloop.ui.page_errors import page
from mloop.ui.render import render

router = APIRouter(include_in_schema=False)
Principal = security.Principal
CurrentPrincipal = Depends(security.current_principal)
#: results a monitor page draws (newest first from the store, drawn oldest to newest)
RESULTS_SHOWN = 500


@router.get("/monitors")
def monitors_page(request: Request, principal: Principal = CurrentPrincipal) -> Response:
    security.authorize(principal, "read", "monitors")

    def build() -> Response:
        latest = latest_results()
        open_alerts = {alert.source: alert for alert in mloop.list_alerts(status="open", limit=1000)}
        return render(request, "monitors.html", title="Monitors", monitors=mloop.list_monitors(), latest=latest,
                      open_alerts=open_alerts)

    return page(request, build)


@router.get("/monitors/{name}")
def monitor_page(request: Request, name: str, principal: Principal = CurrentPrincipal) -> Response:
    security.authorize(principal, "read", "monitors")

    def build() -> Response:
        monitor = mloop.get_monitor(name)
        results = list(reversed(mloop.monitor_results(name, limit=RESULTS_SHOWN)))
        decisions = [d for d in mloop.status(decisions=50).decisions if monitor.model and d.model == monitor.model]
        actions = [(r.time, r.values["action"]) for r in results if r.values.get("action")]
        return render(request, "monitor.html", title=f"Monitor {name}", monitor=monitor,
                      results=list(reversed(results)), charts=monitor_charts(monitor, results),
                      alerts=mloop.list_alerts(source=name, limit=100), decisions=decisions,
                      actions=list(reversed(actions)), retrains=retrains(name))

    return page(request, build)


def retrains(monitor: str, limit: int = 20) -> list[tuple[Any, Any]]:
    """(trigger, fire) of the jobs the alerts of `monitor` started (alert triggers), newest first."""
    triggers = [t for t in mloop.list_triggers() if t.kind == "alert" and t.config.get("monitor") == monitor]
    fires = [(t, fire) for t in triggers for fire in mloop.trigger_fires(t.name, limit=limit)]
    return sorted(fires, key=lambda pair: pair[1].fired_at, reverse=True)[:limit]


@router.get("/alerts")
def alerts_page(request: Request, principal: Principal = CurrentPrincipal) -> Response:
    security.authorize(principal, "read", "alerts")
    return page(request, lambda: render(request, "alerts.html", title="Alerts",
                                        open=mloop.list_alerts(status="open", limit=500),
                                        resolved=mloop.list_alerts(status="resolved", limit=200),
                                        monitors={m.name for m in mloop.list_monitors()}))


@router.post("/alerts/{alert_id}/resolve")
def resolve_alert_form(request: Request, alert_id: str, principal: Principal = CurrentPrincipal) -> Response:
    """The resolve button of /alerts: a url-encoded form whose `csrf_token` field the security
    layer checks before this runs; back to /alerts after."""
    security.authorize(principal, "write", "alerts")

    def build() -> Response:
        resolve_alert(principal, mloop.get_alert(alert_id))
        return RedirectResponse("/alerts", status_code=303)

    return page(request, build)


def resolve_alert(principal: Any, alert: Any) -> Any:
    """Resolve an open alert by hand, recorded in the audit trail; ConflictError when it is not open."""
    if alert.status != "open":
        raise mloop.ConflictError(f"alert {alert.id} of {alert.source!r} is already {alert.status}")
    resolved = mloop.resolve_alert(alert.source, f"resolved by {principal.name}")
    security.audit(principal, "alerts.resolve", f"alerts/{alert.id}", {"source": alert.source})
    return resolved
