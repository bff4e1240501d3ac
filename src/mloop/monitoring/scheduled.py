"""A monitor with a `schedule` is run by `mloop scheduler`: applying monitors keeps one schedule
per monitor, named `monitor:NAME` (job kind "monitor"), in step with them — added, changed,
paused, resumed and removed with the monitor. The scheduler's claims then make sure two
schedulers never run the same monitor time twice."""

from __future__ import annotations

from typing import TYPE_CHECKING

from mloop.core.clock import utcnow

if TYPE_CHECKING:
    from mloop.monitoring.model import Monitor
    from mloop.stores.workspace import Workspace

PREFIX = "monitor:"


def schedule_name(monitor: str) -> str:
    return PREFIX + monitor


def sync_schedules(workspace: Workspace, monitors: list[Monitor]) -> None:
    """Give each monitor the schedule it declares (none: its schedule is removed)."""
    from mloop.scheduling.schedules import add_schedule

    for monitor in monitors:
        name = schedule_name(monitor.name)
        if monitor.schedule is None:
            workspace.schedules.remove_schedule(name)
            continue
        existing = workspace.schedules.get_schedule(name)
        if existing is not None and existing.cron == monitor.schedule and existing.target == monitor.name:
            continue
        paused = bool(existing.paused) if existing is not None else False
        add_schedule(name, monitor.schedule, monitor=monitor.name, replace=True, paused=paused, workspace=workspace)


def pause_schedule(workspace: Workspace, monitor: str, paused: bool) -> None:
    from mloop.core.cadence import parse_cadence

    record = workspace.schedules.get_schedule(schedule_name(monitor))
    if record is None:
        return
    next_due = None if paused else parse_cadence(record.cron, record.timezone).next_after(utcnow())
    workspace.schedules.set_paused(record.name, paused, next_due, utcnow())


def remove_schedule(workspace: Workspace, monitor: str) -> None:
    workspace.schedules.remove_schedule(schedule_name(monitor))
