"""Two real `mloop scheduler` processes on one database (SQLite and PostgreSQL): every due time
starts its job exactly once; SIGTERM stops each after its in-process jobs end, recording them and
the stop, exit code 0."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from sched_helpers import lines, wait_for

import mloop
from mloop.stores.workspace import get_workspace


def test_two_schedulers_start_each_due_time_once(workspace: Path, jobs: Path) -> None:
    out = jobs / "fired.txt"
    names = ["a", "b", "c"]
    for name in names:
        mloop.add_schedule(name, "@every 1s", function="sched_jobs:record", arguments={"path": str(out), "label": name})
    command = [sys.executable, "-m", "mloop.cli.main", "scheduler", "--tick", "0.2s"]
    logs = [open(jobs / f"scheduler-{i}.err", "wb") for i in range(2)]  # noqa: SIM115
    processes = [subprocess.Popen(command, cwd=jobs, env=os.environ.copy(), stdout=log, stderr=log) for log in logs]
    try:
        store = get_workspace().schedules
        wait_for(lambda: len(store.list_schedulers(running_only=True)) == 2)
        started = time.monotonic()
        wait_for(lambda: all(len(mloop.schedule_fires(n)) >= 3 for n in names) and time.monotonic() - started > 3)
        for process in processes:
            process.send_signal(signal.SIGTERM)
        codes = [process.wait(30) for process in processes]
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
                process.wait()
        for log in logs:
            log.close()
    errors = "\n".join((jobs / f"scheduler-{i}.err").read_text() for i in range(2))
    assert codes == [0, 0], errors
    fires = {name: mloop.schedule_fires(name, limit=1000) for name in names}
    ran = Counter(line.split()[0] for line in lines(out))
    for name in names:
        started_fires = [f for f in fires[name] if f.outcome == "started"]
        assert len(started_fires) >= 3
        assert len({f.due_at for f in started_fires}) == len(started_fires)
        assert ran[name] == len(started_fires), errors  # no due time ran twice, none was lost
        assert {f.result for f in started_fires} == {"succeeded"}  # a stopping scheduler records its jobs
    schedulers = store.list_schedulers()
    assert len(schedulers) == 2 and all(s.stopped_at is not None for s in schedulers)
    assert {f.scheduler for fs in fires.values() for f in fs} <= {s.id for s in schedulers}
    assert "started" in (jobs / ".mloop" / "logs" / "scheduler.log").read_text()
