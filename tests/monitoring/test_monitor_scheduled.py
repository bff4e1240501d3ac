"""A monitor with a schedule is run by the scheduler: applying, pausing and deleting it keeps its
schedule (`monitor:NAME`) in step, and each due time runs it once with the window ending then."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import mloop
from mloop.scheduling.scheduler import Scheduler
from mloop.stores.workspace import get_workspace


def test_a_scheduled_monitor_runs_once_per_due_time_and_follows_its_declaration(workspace: Path) -> None:
    volume = mloop.Monitor("fraud-volume", "volume", model="fraud", window="1h", schedule="@every 10m",
                           options={"min": 5})
    mloop.apply_monitors([volume, mloop.Monitor("on-demand", "volume", model="fraud", options={"min": 1})])
    schedules = {s.name: s for s in mloop.list_schedules()}
    assert set(schedules) == {"monitor:fraud-volume"}  # the unscheduled monitor gets none
    assert (schedules["monitor:fraud-volume"].job_kind, schedules["monitor:fraud-volume"].cron) == ("monitor", "@every 10m")

    due = schedules["monitor:fraud-volume"].next_due_at
    scheduler = Scheduler(get_workspace())
    assert scheduler.tick(due - timedelta(seconds=1)).started == []
    assert len(scheduler.tick(due + timedelta(seconds=2)).started) == 1
    assert scheduler.tick(due + timedelta(seconds=3)).started == []  # claimed: not again
    scheduler.stop()
    results = mloop.monitor_results("fraud-volume")
    assert len(results) == 1 and results[0].window_end == due  # the window ends at the due time
    assert results[0].status == "failed"  # no predictions logged: under the minimum of 5

    mloop.pause_monitor("fraud-volume")
    assert mloop.get_schedule("monitor:fraud-volume").paused
    mloop.resume_monitor("fraud-volume")
    assert not mloop.get_schedule("monitor:fraud-volume").paused
    mloop.apply_monitors([mloop.Monitor("fraud-volume", "volume", model="fraud", window="1h", schedule="*/5 * * * *",
                                        options={"min": 5})])
    assert mloop.get_schedule("monitor:fraud-volume").cron == "*/5 * * * *"
    mloop.delete_monitor("fraud-volume")
    assert mloop.list_schedules() == []


def test_a_monitor_without_a_schedule_any_more_loses_it(workspace: Path) -> None:
    mloop.apply_monitors([mloop.Monitor("m", "volume", model="fraud", schedule="@every 1h", options={"min": 1})])
    mloop.apply_monitors([mloop.Monitor("m", "volume", model="fraud", options={"min": 1})])
    assert mloop.list_schedules() == []
