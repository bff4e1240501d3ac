"""`mloop schedule`, `mloop trigger` and `mloop scheduler --once` as a user runs them (real subprocesses)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

import mloop


def cli(*args: str, code: int = 0) -> subprocess.CompletedProcess[str]:
    done = subprocess.run([sys.executable, "-m", "mloop.cli.main", *args], capture_output=True, text=True,
                          env={**os.environ, "COLUMNS": "250"}, timeout=120, check=False)
    assert done.returncode == code, done.stdout + done.stderr
    return done


def test_schedules_are_added_listed_paused_and_removed(sqlite_workspace: Path, jobs: Path) -> None:
    added = json.loads(cli("schedule", "add", "nightly", "--pipeline", "flow.py", "--cron", "0 3 * * *",
                           "-p", "n=7", "--timezone", "Europe/Paris", "--catchup", "once", "--json").stdout)
    assert (added["name"], added["job_kind"], added["arguments"], added["catchup"]) == ("nightly", "pipeline",
                                                                                        {"n": 7}, "once")
    assert datetime.fromisoformat(added["next_due_at"]).astimezone(timezone.utc).hour in (1, 2)  # 03:00 in Paris
    cli("schedule", "pause", "nightly")
    listed = json.loads(cli("schedule", "list", "--json").stdout)
    assert [(s["name"], s["cron"], s["paused"], s["last_fire"]) for s in listed] == [
        ("nightly", "0 3 * * *", True, None)]
    shown = cli("schedule", "list").stdout
    assert "nightly" in shown and "no scheduler is running" in shown
    cli("schedule", "resume", "nightly")
    assert json.loads(cli("schedule", "runs", "nightly", "--json").stdout) == []
    cli("schedule", "remove", "nightly")
    assert json.loads(cli("schedule", "list", "--json").stdout) == []


@pytest.mark.parametrize(("args", "message"), [
    (["schedule", "add", "x", "--pipeline", "flow.py", "--cron", "every day"], "is not a cron expression"),
    (["schedule", "add", "x", "--pipeline", "missing.py", "--cron", "@daily"],
     "pipeline file missing.py does not exist in"),
    (["schedule", "add", "x", "--cron", "@daily"], "give exactly one job"),
    (["schedule", "add", "x", "--pipeline", "flow.py", "--cron", "@daily", "--catchup", "all"],
     "catchup must be 'skip' or 'once'"),
    (["schedule", "remove", "nope"], "no schedule 'nope'; list them with: mloop schedule list"),
    (["schedule", "runs", "nope"], "no schedule 'nope'"),
    (["schedule", "pause", "nope"], "no schedule 'nope'"),
    (["trigger", "remove", "nope"], "no trigger 'nope'; list them with: mloop trigger list"),
    (["scheduler", "--tick", "often"], "--tick and --grace must be a duration"),
    (["trigger", "add", "t", "--new-data", "nosuch://bucket/in", "--function", "sched_jobs:record"],
     "cannot watch nosuch://bucket/in: Protocol not known: nosuch"),
])
def test_user_errors_are_one_line_and_exit_code_2(sqlite_workspace: Path, jobs: Path, args: list[str],
                                                  message: str) -> None:
    done = cli(*args, code=2)
    assert message in done.stderr and "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr


def test_apply_then_a_scheduler_tick_runs_the_pipeline(sqlite_workspace: Path, jobs: Path) -> None:
    applied = json.loads(cli("schedule", "apply", "flow.py", "--json").stdout)
    assert [(s["name"], s["target"], s["cron"]) for s in applied] == [("nightly", "flow.py:nightly", "@every 1h")]
    # a due time missed while no scheduler ran, run once by the next scheduler
    mloop.add_schedule("nightly", "@every 1h", pipeline="flow.py:nightly", catchup="once", replace=True,
                       arguments={"n": 4}, start=datetime.now(timezone.utc) - timedelta(hours=3))
    cli("scheduler", "--once")
    fires = json.loads(cli("schedule", "runs", "nightly", "--json").stdout)
    assert [(f["outcome"], f["result"]) for f in fires] == [("started", "succeeded")]
    run = mloop.get_run(fires[0]["run_id"])
    assert (run.status, run.params["n"]) == ("succeeded", 4)
    listed = json.loads(cli("schedule", "list", "--json").stdout)
    assert listed[0]["last_fire"]["run_id"] == run.id


def test_triggers_are_added_listed_and_removed(sqlite_workspace: Path, jobs: Path) -> None:
    added = json.loads(cli("trigger", "add", "landing", "--new-data", "incoming/*.parquet", "--pipeline", "flow.py",
                           "--param-name", "paths", "--json").stdout)
    assert (added["kind"], added["config"], added["job_kind"]) == (
        "new_data", {"path": "incoming/*.parquet", "param_name": "paths"}, "pipeline")
    cli("trigger", "add", "on-drift", "--on-alert", "fraud-drift", "--function", "sched_jobs:fail")
    listed = json.loads(cli("trigger", "list", "--json").stdout)
    assert [(t["name"], t["kind"]) for t in listed] == [("landing", "new_data"), ("on-drift", "alert")]
    assert "alert of fraud-drift" in cli("trigger", "list").stdout
    cli("trigger", "remove", "landing")
    assert [t["name"] for t in json.loads(cli("trigger", "list", "--json").stdout)] == ["on-drift"]


def test_a_bad_schedule_on_a_pipeline_is_refused_when_decorated() -> None:
    with pytest.raises(mloop.ValidationError, match="pipeline 'flow': schedule '0 25 \\* \\* \\*' is not a cron"):
        @mloop.pipeline(schedule="0 25 * * *")
        def flow() -> None: ...
