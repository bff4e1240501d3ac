"""The scheduler's core on an explicit clock: due times fire once, missed ones follow catchup,
jobs that cannot start or that fail are recorded as such."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from sched_helpers import lines, settle

import mloop
from mloop.scheduling.scheduler import Scheduler
from mloop.stores.workspace import get_workspace

NOW = datetime.now(timezone.utc).replace(microsecond=0)


def test_a_due_schedule_fires_once_and_moves_to_its_next_due_time(workspace: Path, jobs: Path) -> None:
    out = jobs / "fired.txt"
    schedule = mloop.add_schedule("every-minute", "@every 1m", function="sched_jobs:record",
                                  arguments={"path": str(out)}, start=NOW)
    due = schedule.next_due_at
    scheduler = Scheduler(get_workspace())
    scheduler.start(NOW)
    assert scheduler.tick(due - timedelta(seconds=1)).started == []  # not yet
    report = scheduler.tick(due + timedelta(milliseconds=300))
    assert [(f.schedule, f.due_at) for f in report.started] == [("every-minute", due)]
    assert scheduler.tick(due + timedelta(seconds=2)).started == []  # the same due time never fires twice
    settle(scheduler)
    assert len(lines(out)) == 1
    after = mloop.get_schedule("every-minute")
    assert (after.next_due_at, after.last_due_at) == (due + timedelta(minutes=1), due)
    fires = mloop.schedule_fires("every-minute")
    assert [(f.outcome, f.result, f.run_id) for f in fires] == [("started", "succeeded", None)]
    assert after.last_fire == fires[0]
    scheduler.stop()


@pytest.mark.parametrize(("catchup", "outcome", "ran"), [("skip", "skipped", 0), ("once", "started", 1)])
def test_due_times_missed_while_no_scheduler_ran_follow_catchup(sqlite_workspace: Path, jobs: Path, catchup: str,
                                                                 outcome: str, ran: int) -> None:
    out = jobs / "fired.txt"
    mloop.add_schedule("hourly", "0 * * * *", function="sched_jobs:record", arguments={"path": str(out)},
                       catchup=catchup, start=NOW - timedelta(hours=5))  # five due times passed since
    scheduler = Scheduler(get_workspace(), grace=timedelta(seconds=30))
    report = scheduler.tick(NOW)
    latest = NOW.replace(minute=0, second=0)
    fires = mloop.schedule_fires("hourly")
    assert [(f.due_at, f.outcome) for f in fires] == [(latest, outcome)]  # one, for the latest missed due time
    assert len(report.started) == ran and len(report.skipped) == 1 - ran
    settle(scheduler)
    assert len(lines(out)) == ran
    assert mloop.get_schedule("hourly").next_due_at == latest + timedelta(hours=1)
    assert scheduler.tick(NOW + timedelta(seconds=1)).started == []
    scheduler.stop()


def test_a_stalled_loop_fires_the_latest_due_time_on_time_and_only_it(sqlite_workspace: Path, jobs: Path) -> None:
    mloop.add_schedule("often", "@every 1s", function="sched_jobs:record", arguments={"path": str(jobs / "f.txt")},
                       start=NOW)
    scheduler = Scheduler(get_workspace())
    report = scheduler.tick(NOW + timedelta(seconds=20, milliseconds=10))  # 20 due times passed, within grace
    assert [f.due_at for f in report.started] == [NOW + timedelta(seconds=20)]
    scheduler.stop()


def test_a_job_that_cannot_start_or_fails_is_recorded(sqlite_workspace: Path, jobs: Path) -> None:
    mloop.add_schedule("missing", "@every 1m", function="sched_jobs:nope", start=NOW)
    mloop.add_schedule("broken", "@every 1m", function="sched_jobs:fail", start=NOW)
    scheduler = Scheduler(get_workspace())
    report = scheduler.tick(mloop.get_schedule("missing").next_due_at + timedelta(milliseconds=100))
    assert [f.schedule for f in report.failed] == ["missing"]
    settle(scheduler)
    missing = mloop.schedule_fires("missing")[0]
    assert missing.outcome == "failed" and "'sched_jobs:nope' not found in module sched_jobs" in (missing.error or "")
    broken = mloop.schedule_fires("broken")[0]
    assert (broken.outcome, broken.result, broken.error) == ("started", "failed", "RuntimeError: the job broke")
    scheduler.stop()


def test_paused_schedules_do_not_fire_and_resume_from_now(sqlite_workspace: Path, jobs: Path) -> None:
    mloop.add_schedule("p", "@every 1m", function="sched_jobs:record", arguments={"path": "x"},
                       start=NOW - timedelta(hours=1))
    assert mloop.pause_schedule("p").paused
    scheduler = Scheduler(get_workspace())
    assert scheduler.tick(NOW).started == [] and scheduler.tick(NOW).skipped == []
    resumed = mloop.resume_schedule("p")
    assert not resumed.paused and resumed.next_due_at > NOW - timedelta(minutes=1)
    assert mloop.schedule_fires("p") == []
    scheduler.stop()
