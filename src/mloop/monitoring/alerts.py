"""Alerts: what a failing monitor (or another part of mloop, under a key such as "loop:fraud")
raises, until a passing result resolves it.

Rules: at most one open alert per source; a failure while it is open counts on it (failures,
last summary) and notifies again only once `cooldown` has passed since the last notification;
resolving notifies "resolved". Every notification goes to the log (logger "mloop.alerts") and is
queued for the webhooks in the same transaction as the alert's change (the outbox), to be posted
by mloop.monitoring.delivery."""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from mloop.core.clock import utcnow
from mloop.core.durations import format_duration
from mloop.core.errors import ConflictError, NotFoundError, ValidationError
from mloop.core.ids import new_id
from mloop.monitoring.model import SEVERITIES
from mloop.monitoring.webhooks import list_webhooks, messages_for
from mloop.stores.metadata.monitors import AlertRecord

if TYPE_CHECKING:
    from mloop.stores.workspace import Workspace

Alert = AlertRecord
COOLDOWN = timedelta(hours=1)
logger = logging.getLogger("mloop.alerts")
_LEVELS = {"info": logging.INFO, "warning": logging.WARNING, "critical": logging.ERROR}


def raise_alert(source: str, summary: str, *, severity: str = "warning", details: dict[str, Any] | None = None,
                cooldown: timedelta | None = None, result_id: str | None = None, at: datetime | None = None,
                workspace: Workspace | None = None) -> Alert:
    """Open the alert of `source`, or count another failure on the open one (notifying again
    once `cooldown`, default 1h, has passed since its last notification). Returns the alert."""
    from mloop.stores.workspace import get_workspace

    if severity not in SEVERITIES:
        raise ValidationError(f"unknown alert severity {severity!r}; use one of: {', '.join(SEVERITIES)}")
    workspace = workspace or get_workspace()
    workspace.check_writable()
    store = workspace.monitors
    now = at or utcnow()
    details = details or {}
    for _ in range(2):  # a second try when another process opened it in between
        current = store.open_alert(source)
        if current is None:
            alert = Alert(id=new_id(), source=source, severity=severity, status="open", opened_at=now,
                          last_failed_at=now, resolved_at=None, failures=1, summary=summary, details=details,
                          last_result_id=result_id, notified_at=now)
            try:
                store.add_alert(alert, _notify(workspace, alert, "alert.opened", now))
            except ConflictError:
                continue
            _log(alert, "opened")
            return alert
        due = current.notified_at is None or now - current.notified_at >= (cooldown or COOLDOWN)
        alert = replace(current, severity=severity, failures=current.failures + 1, last_failed_at=now,
                        summary=summary, details=details, last_result_id=result_id or current.last_result_id,
                        notified_at=now if due else current.notified_at)
        store.save_alert(alert, _notify(workspace, alert, "alert.failing", now) if due else [])
        if due:
            _log(alert, "still failing")
        else:
            logger.debug("alert %s (%s) failing again (%d): %s", alert.id, source, alert.failures, summary)
        return alert
    raise ConflictError(f"alert of {source!r} changed twice while being raised; raise it again")


def resolve_alert(source: str, summary: str, *, at: datetime | None = None,
                  workspace: Workspace | None = None) -> Alert | None:
    """Resolve the open alert of `source` and notify it; None when none is open."""
    from mloop.stores.workspace import get_workspace

    workspace = workspace or get_workspace()
    store = workspace.monitors
    current = store.open_alert(source)
    if current is None:
        return None
    now = at or utcnow()
    alert = replace(current, status="resolved", resolved_at=now, summary=summary, notified_at=now)
    store.save_alert(alert, _notify(workspace, alert, "alert.resolved", now))
    _log(alert, "resolved")
    return alert


def list_alerts(status: str | None = None, source: str | None = None, *, limit: int = 100,
                workspace: Workspace | None = None) -> list[Alert]:
    """Alerts, newest first; `status` "open" or "resolved"."""
    from mloop.stores.workspace import get_workspace

    if status not in (None, "open", "resolved"):
        raise ValidationError(f"unknown alert status {status!r}; use open or resolved")
    return (workspace or get_workspace()).monitors.list_alerts(status=status, source=source, limit=limit)


def alerts_opened_since(workspace: Workspace, cursor: datetime | None) -> list[tuple[str, str, datetime]]:
    """(id, source, opened_at) of the alerts opened at or after `cursor`, oldest first: what the
    scheduler's alert triggers read on each tick."""
    opened = workspace.monitors.list_alerts(opened_since=cursor, limit=1000)
    return [(a.id, a.source, a.opened_at) for a in reversed(opened)]


def get_alert(alert_id: str, *, workspace: Workspace | None = None) -> Alert:
    """An alert by id (or a unique prefix of 4 or more characters)."""
    from mloop.stores.workspace import get_workspace

    found = (workspace or get_workspace()).monitors.get_alert(alert_id)
    if found is None:
        raise NotFoundError(f"no alert {alert_id!r}; list them with: mloop alerts list")
    return found


def alert_text(alert: Alert, event: str) -> str:
    """The one line a person reads in a chat channel."""
    if event == "alert.resolved":
        lasted = format_duration(timedelta(seconds=round(((alert.resolved_at or alert.opened_at)
                                                          - alert.opened_at).total_seconds())))
        return f"[mloop] RESOLVED {alert.source} after {lasted}: {alert.summary}"
    if event == "alert.failing":
        return f"[mloop] STILL FAILING {alert.source} ({alert.severity}, {alert.failures} failures): {alert.summary}"
    return f"[mloop] ALERT {alert.source} ({alert.severity}): {alert.summary}"


def _notify(workspace: Workspace, alert: Alert, event: str, at: datetime) -> list[Any]:
    body = {"source": alert.source, "alert_id": alert.id, "status": alert.status, "severity": alert.severity,
            "failures": alert.failures, "summary": alert.summary, "details": alert.details}
    return messages_for(list_webhooks(workspace=workspace), "alerts", event, alert_text(alert, event), body, at,
                        alert_id=alert.id)


def _log(alert: Alert, what: str) -> None:
    level = logging.INFO if what == "resolved" else _LEVELS.get(alert.severity, logging.WARNING)
    logger.log(level, "alert %s %s: %s: %s", alert.id, what, alert.source, alert.summary)
