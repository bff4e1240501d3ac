"""Issue 11's scheduler benchmark: 1,000 schedules fired by the real `mloop scheduler` process.

    python benchmarks/bench_scheduler.py [--seconds 40] [--schedules 1000] [--pg-url postgresql://...]

Workload: 1,000 schedules of a `python` job (appends a line to a file), on "@every 5s", "@every
10s", "@every 15s" and "@every 20s" (250 each; epoch-aligned, so every 60 s all 1,000 are due in
the same second). One `mloop scheduler` process (tick 1 s, SQLite by default) runs for
`--seconds`; lateness is the time a job started (recorded by the job itself) minus its due time,
and every claimed fire must have run its job exactly once. The scheduler's CPU is read
from /proc (user + system seconds over the run).

Beside it, a naive baseline in this process on the same cadences: wake on every whole second,
loop over all schedules computing each one's next due time after its last fire with croniter,
and "fire" (record lateness) the due ones; no database, no claims, no jobs — its lateness is
the cost of computing every schedule's next time every second. Prints a table and writes results/scheduler.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from common import fresh_home, note  # noqa: E402

RESULTS = HERE / "results" / "scheduler.json"
INTERVALS = ("5s", "10s", "15s", "20s")
JOB = '''
import threading
import time

_LOCK = threading.Lock()


def record(path, name, interval):
    started = time.time()
    with _LOCK, open(path, "a") as file:
        file.write(f"{name} {interval} {started}\\n")
'''


def percentile(values: list[float], q: float) -> float:
    import numpy as np

    return float(np.percentile(values, q)) if values else float("nan")


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def mloop_scheduler(folder: Path, count: int, seconds: float) -> dict[str, float]:
    import mloop

    (folder / "bench_sched_jobs.py").write_text(JOB)
    out = folder / "fired.txt"
    started = time.perf_counter()
    for index in range(count):
        mloop.add_schedule(f"s{index:04d}", f"@every {INTERVALS[index % len(INTERVALS)]}",
                           function="bench_sched_jobs:record", arguments={"path": str(out), "name": f"s{index:04d}",
                                      "interval": int(INTERVALS[index % len(INTERVALS)][:-1])})
    note(f"{count} schedules added in {time.perf_counter() - started:.1f} s")
    process = subprocess.Popen([sys.executable, "-m", "mloop.cli.main", "scheduler", "--tick", "1s",
                                "--log-level", "warning"], cwd=folder, env=os.environ.copy(), stderr=subprocess.PIPE)
    time.sleep(2)  # start-up (imports, migration check) is not part of the measured window
    cpu_before, wall_before = cpu_seconds(process.pid), time.perf_counter()
    window_start = datetime.now(timezone.utc)
    time.sleep(seconds)
    cpu = cpu_seconds(process.pid) - cpu_before
    wall = time.perf_counter() - wall_before
    window_end = datetime.now(timezone.utc)
    process.send_signal(signal.SIGTERM)
    _, errors = process.communicate(timeout=60)
    if process.returncode != 0:
        raise RuntimeError(f"mloop scheduler exited with {process.returncode}: {errors.decode()[-2000:]}")
    from mloop.stores.workspace import get_workspace

    store = get_workspace().schedules
    fires = [f for index in range(count) for f in store.fires(f"s{index:04d}", limit=10_000)]
    started_fires = [f for f in fires if f.outcome == "started"]
    records = [line.split() for line in out.read_text().splitlines()] if out.exists() else []
    if len(records) != len(started_fires):
        raise RuntimeError(f"{len(started_fires)} fires claimed but {len(records)} jobs ran")
    # a job's lateness: when it started minus the due time it ran for (intervals are epoch-aligned)
    begin, end = window_start.timestamp(), window_end.timestamp()
    times = [(float(at), int(interval)) for _, interval, at in records]
    lateness = [1000 * (at - at // interval * interval) for at, interval in times if begin <= at <= end]
    return {"fires": len(lateness), "p50_ms": percentile(lateness, 50), "p99_ms": percentile(lateness, 99),
            "max_ms": max(lateness, default=float("nan")), "within_1s": sum(v <= 1000 for v in lateness) / max(1, len(lateness)),
            "cpu_percent": 100 * cpu / wall, "skipped": sum(f.outcome == "skipped" for f in fires)}


def naive_baseline(count: int, seconds: float) -> dict[str, float]:
    from croniter import croniter

    # the same cadences as cron expressions with a seconds field (croniter's sixth)
    expressions = [f"* * * * * */{INTERVALS[index % len(INTERVALS)][:-1]}" for index in range(count)]
    now = datetime.now(timezone.utc)
    last = [now] * count
    lateness: list[float] = []
    cpu_before, end = time.process_time(), time.monotonic() + seconds
    wall_before = time.perf_counter()
    while time.monotonic() < end:
        time.sleep(1 - time.time() % 1)  # wake on each whole second, when due times fall
        for index, expression in enumerate(expressions):
            due = croniter(expression, last[index]).get_next(datetime)
            now = datetime.now(timezone.utc)
            if due <= now:
                lateness.append((now - due).total_seconds() * 1000)
                last[index] = due
    cpu = time.process_time() - cpu_before
    wall = time.perf_counter() - wall_before
    return {"fires": len(lateness), "p50_ms": percentile(lateness, 50), "p99_ms": percentile(lateness, 99),
            "max_ms": max(lateness, default=float("nan")), "within_1s": sum(v <= 1000 for v in lateness) / max(1, len(lateness)),
            "cpu_percent": 100 * cpu / wall, "skipped": 0}


@contextmanager
def pg_schema(url: str) -> Iterator[str]:
    import sqlalchemy as sa

    engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1), poolclass=sa.NullPool)
    schema = f"bench_scheduler_{os.getpid()}"
    with engine.begin() as connection:
        connection.exec_driver_sql(f"CREATE SCHEMA {schema}")
    try:
        yield f"{url}?options=-csearch_path%3D{schema}"
    finally:
        with engine.begin() as connection:
            connection.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")
        engine.dispose()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=40.0)
    parser.add_argument("--schedules", type=int, default=1000)
    parser.add_argument("--pg-url", default="",
                        help="also run on this PostgreSQL database (in a schema of its own, dropped after)")
    options = parser.parse_args()
    rows: dict[str, dict[str, float]] = {}
    with fresh_home() as folder:
        rows["mloop scheduler (sqlite)"] = mloop_scheduler(Path(folder), options.schedules, options.seconds)
    if options.pg_url:
        with fresh_home() as folder, pg_schema(options.pg_url) as url:
            os.environ["MLOOP_DB_URL"] = url
            try:
                rows["mloop scheduler (postgresql)"] = mloop_scheduler(Path(folder), options.schedules,
                                                                       options.seconds)
            finally:
                os.environ.pop("MLOOP_DB_URL", None)
                from mloop.stores.workspace import reset_workspaces

                reset_workspaces()
    rows["naive croniter loop (no DB, no jobs)"] = naive_baseline(options.schedules, min(options.seconds, 20.0))
    header = f"{'':38} {'fires':>6} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8} {'<=1 s':>6} {'CPU %':>6}"
    print(f"\n{options.schedules} schedules (@every 5/10/15/20 s), {options.seconds:g} s\n{header}")
    for name, row in rows.items():
        print(f"{name:38} {row['fires']:>6} {row['p50_ms']:>8.1f} {row['p99_ms']:>8.1f} {row['max_ms']:>8.1f} "
              f"{100 * row['within_1s']:>5.1f}% {row['cpu_percent']:>6.1f}")
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps({"machine": platform.platform(), "cpus": os.cpu_count(),
                                   "load_average": os.getloadavg(), "schedules": options.schedules,
                                   "seconds": options.seconds, "rows": rows}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
