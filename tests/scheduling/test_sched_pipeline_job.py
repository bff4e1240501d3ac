"""A scheduled pipeline starts a real run in a subprocess; the fire records its run id and how it ended."""

from __future__ import annotations

import os
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from sched_helpers import settle

import mloop
from mloop.scheduling.scheduler import Scheduler
from mloop.stores.workspace import get_workspace


def test_a_scheduled_pipeline_run_is_recorded_with_its_run_id(sqlite_workspace: Path, jobs: Path) -> None:
    schedule = mloop.add_schedule("nightly", "@every 1h", pipeline="flow.py", arguments={"n": 5})
    scheduler = Scheduler(get_workspace())
    report = scheduler.tick(schedule.next_due_at + timedelta(milliseconds=50))
    assert len(report.started) == 1 and report.started[0].run_id
    settle(scheduler)
    scheduler.stop()
    fire = mloop.schedule_fires("nightly")[0]
    assert (fire.outcome, fire.result, fire.run_id) == ("started", "succeeded", report.started[0].run_id)
    run = mloop.get_run(fire.run_id)
    assert (run.status, run.params["n"], run.record.pipeline) == ("succeeded", 5, "nightly")


def test_a_failing_pipeline_run_is_a_failed_result_not_a_dead_scheduler(sqlite_workspace: Path, jobs: Path) -> None:
    (jobs / "bad.py").write_text("raise RuntimeError('cannot even import')\n")
    schedule = mloop.add_schedule("bad", "@every 1h", pipeline="bad.py")
    scheduler = Scheduler(get_workspace())
    scheduler.tick(schedule.next_due_at)
    settle(scheduler)
    scheduler.stop()
    fire = mloop.schedule_fires("bad")[0]
    assert (fire.outcome, fire.result) == ("started", "failed")
    assert "RuntimeError: cannot even import" in (fire.error or "")


def test_apply_registers_the_scheduled_pipelines_of_a_file(sqlite_workspace: Path, jobs: Path) -> None:
    applied = mloop.apply_schedules("flow.py")
    assert [(s.name, s.target, s.cron, s.job_kind) for s in applied] == [("nightly", "flow.py:nightly", "@every 1h",
                                                                          "pipeline")]
    again = mloop.apply_schedules("flow.py")  # idempotent: same next due time
    assert again[0].next_due_at == applied[0].next_due_at
    assert [s.name for s in mloop.list_schedules()] == ["nightly"]


def test_a_run_whose_scheduler_stopped_first_is_recorded_by_the_next_one(sqlite_workspace: Path, jobs: Path,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    from mloop.stores.metadata.schedules import FireRecord

    mloop.add_schedule("nightly", "@every 1h", pipeline="flow.py")
    monkeypatch.setenv("MLOOP_RUN_ID", "01runstartedbyagonescheduler")
    run = mloop.load_pipeline("flow.py").run()  # the run a stopped scheduler started, with the id it chose
    assert run.id == "01runstartedbyagonescheduler" and "MLOOP_RUN_ID" not in os.environ  # its first run only
    due = datetime.now(timezone.utc).replace(microsecond=0)
    store = get_workspace().schedules
    store.claim([FireRecord("schedule", "nightly", due, due, "gone:1", "started", run.id)], {})
    scheduler = Scheduler(get_workspace())
    report = scheduler.tick()
    scheduler.stop()
    assert report.ended == [("schedule", "nightly", due, "succeeded", None)]
    assert [(f.run_id, f.result) for f in mloop.schedule_fires("nightly")] == [(run.id, "succeeded")]


INGEST = '''
from mloop import pipeline, step


@step
def count(paths: list) -> int:
    return len(paths)


@pipeline
def ingest(paths: list):
    count(paths)
'''


def test_new_data_starts_a_pipeline_run_given_the_new_files(sqlite_workspace: Path, jobs: Path) -> None:
    (jobs / "ingest.py").write_text(INGEST)
    (jobs / "incoming").mkdir()
    mloop.add_trigger("landing", new_data="incoming", pipeline="ingest.py", param_name="paths")
    scheduler = Scheduler(get_workspace())
    (jobs / "incoming" / "a.csv").write_text("x")
    assert len(scheduler.tick().started) == 1
    settle(scheduler)
    scheduler.stop()
    fire = mloop.trigger_fires("landing")[0]
    assert (fire.outcome, fire.result) == ("started", "succeeded")
    run = mloop.get_run(fire.run_id)
    assert [Path(p).name for p in run.params["paths"]] == ["a.csv"]
