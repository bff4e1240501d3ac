"""Triggers: new files fire their job once each, also across scheduler restarts; alerts of a monitor fire theirs."""

from __future__ import annotations

from pathlib import Path

import pytest
from sched_helpers import lines, settle

import mloop
from mloop.scheduling.scheduler import Scheduler
from mloop.stores.workspace import get_workspace


def test_new_files_fire_once_each_and_not_again_after_a_restart(workspace: Path, jobs: Path) -> None:
    data = jobs / "incoming"
    data.mkdir()
    (data / "old.parquet").write_bytes(b"there before the trigger")
    out = jobs / "files.txt"
    mloop.add_trigger("landing", new_data="incoming/*.parquet", function="sched_jobs:record_files",
                      arguments={"path": str(out)})
    scheduler = Scheduler(get_workspace())
    assert scheduler.tick().started == []  # what was there when the trigger was added is not new
    (data / "a.parquet").write_bytes(b"a")
    (data / "b.parquet").write_bytes(b"bb")
    (data / "ignored.csv").write_bytes(b"not matched")
    assert len(scheduler.tick().started) == 1
    assert scheduler.tick().started == []
    settle(scheduler)
    scheduler.stop()

    restarted = Scheduler(get_workspace())  # state is in the database, not in the process
    assert restarted.tick().started == []
    (data / "c.parquet").write_bytes(b"c")
    assert len(restarted.tick().started) == 1
    settle(restarted)
    restarted.stop()
    assert lines(out) == ["a.parquet,b.parquet", "c.parquet"]
    assert [f.result for f in mloop.trigger_fires("landing")] == ["succeeded", "succeeded"]


def test_a_partition_folder_is_new_data_too(sqlite_workspace: Path, jobs: Path) -> None:
    out = jobs / "files.txt"
    (jobs / "table").mkdir()
    mloop.add_trigger("partitions", new_data="table", function="sched_jobs:record_files", arguments={"path": str(out)})
    scheduler = Scheduler(get_workspace())
    (jobs / "table" / "date=2024-05-01").mkdir()
    (jobs / "table" / "date=2024-05-01" / "part-0.parquet").write_bytes(b"x")
    assert len(scheduler.tick().started) == 1
    settle(scheduler)
    scheduler.stop()
    assert lines(out) == ["part-0.parquet"]


def test_an_alert_of_the_watched_monitor_fires_the_job(workspace: Path, jobs: Path) -> None:
    out = jobs / "alerts.txt"
    mloop.add_trigger("retrain", on_alert="fraud-drift", function="sched_jobs:record_files",
                      arguments={"path": str(out)}, param_name="files")
    scheduler = Scheduler(get_workspace())
    assert scheduler.tick().started == []
    mloop.raise_alert("other-monitor", "not watched")
    drift = mloop.raise_alert("fraud-drift", "3 of 8 columns drifted")
    assert len(scheduler.tick().started) == 1
    mloop.raise_alert("fraud-drift", "still drifting")  # the same open alert: no new event
    assert scheduler.tick().started == []
    settle(scheduler)
    scheduler.stop()
    assert lines(out) == [drift.id]


def test_trigger_declarations_are_checked(sqlite_workspace: Path, jobs: Path) -> None:
    with pytest.raises(mloop.ValidationError, match="give exactly one event"):
        mloop.add_trigger("t", function="sched_jobs:record")
    with pytest.raises(mloop.NotFoundError, match="pipeline file nope.py does not exist"):
        mloop.add_trigger("t", new_data="incoming", pipeline="nope.py")
    with pytest.raises(mloop.NotFoundError, match="no trigger 't'; list them with: mloop trigger list"):
        mloop.remove_trigger("t")
