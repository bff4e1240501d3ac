"""Running a monitor: measure its window with its kind, store the result, raise or resolve its
alert, and try the webhooks at once (briefly: the scheduler's next tick retries what is left).

A kind that raises (bad options, a missing source, a bug) is a broken monitor, which users must
see: the run is stored as failed with the error as its summary (`values["error"]`) and raises the
monitor's alert as critical."""

from __future__ import annotations

import logging
import time
from dataclasses import asdict, replace
from datetime import datetime
from typing import TYPE_CHECKING

from mloop.core.clock import utcnow
from mloop.core.durations import parse_duration
from mloop.core.errors import MloopError
from mloop.core.ids import new_id
from mloop.monitoring.alerts import raise_alert, resolve_alert
from mloop.monitoring.definitions import check_monitor, get_monitor, stored_monitor
from mloop.monitoring.kinds import kind_function
from mloop.monitoring.model import Measurement, Monitor, MonitorResult
from mloop.stores.metadata.monitors import MonitorResultRecord

if TYPE_CHECKING:
    from mloop.stores.workspace import Workspace

logger = logging.getLogger("mloop.monitoring")


def run_monitor(name: str, *, at: datetime | None = None, workspace: Workspace | None = None) -> MonitorResult:
    """Evaluate monitor `name` over [at - window, at) (default at: now), store the result, update
    its alert and try to deliver pending messages; the result. NotFoundError for an unknown name."""
    from mloop.stores.workspace import get_workspace

    workspace = workspace or get_workspace()
    monitor = get_monitor(name, workspace=workspace)
    return _run(monitor, at or utcnow(), workspace)


def run_monitors(*, at: datetime | None = None, workspace: Workspace | None = None) -> list[MonitorResult]:
    """Run every monitor that is not paused, by name."""
    from mloop.stores.workspace import get_workspace

    workspace = workspace or get_workspace()
    moment = at or utcnow()
    return [_run(stored_monitor(record.definition), moment, workspace)
            for record in workspace.monitors.list_monitors() if not record.paused]


def latest_results(*, workspace: Workspace | None = None) -> dict[str, MonitorResult]:
    """The newest result of each monitor that has run, by monitor name (one query)."""
    from mloop.stores.workspace import get_workspace

    workspace = workspace or get_workspace()
    return {name: MonitorResult(**asdict(r)) for name, r in workspace.monitors.latest_results().items()}


def monitor_results(name: str, *, since: datetime | None = None, limit: int = 100,
                    workspace: Workspace | None = None) -> list[MonitorResult]:
    """The monitor's results, newest first (`pandas.DataFrame(results)` makes a table of them)."""
    from mloop.stores.workspace import get_workspace

    workspace = workspace or get_workspace()
    get_monitor(name, workspace=workspace)  # NotFoundError naming the known monitors
    return [MonitorResult(**asdict(r)) for r in workspace.monitors.results(name, since=since, limit=limit)]


def _run(monitor: Monitor, end: datetime, workspace: Workspace) -> MonitorResult:
    workspace.check_writable()
    started = time.perf_counter()
    error: str | None = None
    try:
        start = end - monitor.window_length
    except MloopError:
        start = end  # a window that no longer parses: the run below records the broken monitor
    try:
        check_monitor(monitor)
        measurement = kind_function(monitor.kind)(monitor, workspace, start, end)
    except Exception as exc:  # noqa: BLE001 - a broken monitor is a result users must see, not a crash
        error = str(exc) if isinstance(exc, MloopError) else f"{type(exc).__name__}: {exc}"
        if not isinstance(exc, MloopError):
            logger.exception("monitor %s is broken", monitor.name)
        measurement = Measurement("failed", None, monitor.threshold, f"monitor is broken: {error}",
                                  values={"error": error})
    done = _act(monitor, measurement, workspace)
    if done:
        measurement = replace(measurement, summary=f"{measurement.summary}; {done}",
                              values={**measurement.values, "action": done})
    result = MonitorResult(id=new_id(), monitor=monitor.name, kind=monitor.kind, time=end, window_start=start,
                           window_end=end, status=measurement.status, value=measurement.value,
                           threshold=measurement.threshold, summary=measurement.summary,
                           values=measurement.values, rows=measurement.rows,
                           duration_ms=(time.perf_counter() - started) * 1000)
    workspace.monitors.add_result(MonitorResultRecord(**asdict(result)))
    _update_alert(monitor, result, error, workspace)
    _deliver_now(workspace, max(end, utcnow()))
    return result


def _act(monitor: Monitor, measurement: Measurement, workspace: Workspace) -> str | None:
    from mloop.monitoring.actions import act

    try:
        return act(monitor, measurement, workspace)
    except MloopError as exc:  # e.g. nothing to roll back to: said in the result and its alert
        return f"could not act: {exc}"


def _update_alert(monitor: Monitor, result: MonitorResult, error: str | None, workspace: Workspace) -> None:
    if result.status == "passed":
        resolve_alert(monitor.name, result.summary, at=result.time, workspace=workspace)
        return
    if result.status != "failed":
        return  # no data: neither raised nor resolved
    cooldown = monitor.options.get("cooldown")
    details = {"kind": monitor.kind, "value": result.value, "threshold": result.threshold,
               "window_start": result.window_start.isoformat(), "window_end": result.window_end.isoformat(),
               "values": result.values, "result_id": result.id}
    severity = "critical" if error is not None else str(monitor.options.get("severity", "warning"))
    raise_alert(monitor.name, result.summary, severity=severity, details=details, result_id=result.id,
                cooldown=parse_duration(cooldown) if cooldown is not None else None, at=result.time,
                workspace=workspace)


def _deliver_now(workspace: Workspace, at: datetime) -> None:
    from mloop.monitoring.delivery import deliver_pending

    try:
        deliver_pending(workspace, at=at, timeout=2.0, limit=20)
    except Exception:  # noqa: BLE001 - delivery is retried on the scheduler's next tick
        logger.warning("delivering alert messages failed; they stay queued", exc_info=True)
