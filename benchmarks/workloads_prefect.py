"""Issue 2's pipeline workloads on Prefect 3. Runs INSIDE the Prefect venv (see peers.py):

    ~/.cache/mloop-bench/prefect/bin/python benchmarks/workloads_prefect.py

with the environment of `peers.prefect_env` (ephemeral local server, SQLite and results in a temp
folder). Prints progress to stderr and one JSON object with the figures (seconds) as the last line
of stdout.

Prefect is run as it comes (its defaults), with result persistence on. Two things shape its figures:
its temporary API server is a subprocess that records runs asynchronously and shares the 2 cores,
so we wait for it to go idle before each timed run; and each flow run has a fixed cost at its end
(it joins a heartbeat thread that sleeps in 1 s slices), so the overhead per step is reported
both over the whole flow run (the issue's definition) and for the steps alone inside the flow.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import workloads as w  # noqa: E402

t0 = time.perf_counter()
import prefect  # noqa: E402
from prefect import flow, task  # noqa: E402
from prefect.cache_policies import INPUTS, NO_CACHE, TASK_SOURCE  # noqa: E402
from prefect.task_runners import ThreadPoolTaskRunner  # noqa: E402

IMPORT_S = time.perf_counter() - t0


def log(*args) -> None:
    print("[prefect]", *args, file=sys.stderr, flush=True)


def _children_cpu_ticks() -> int:
    """CPU ticks used so far by this process's children (Prefect's temporary server)."""
    total = 0
    me = str(os.getpid())
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if fields[1] == me:  # ppid
            total += int(fields[11]) + int(fields[12])  # utime + stime
    return total


def settle(limit: float = 60.0) -> None:
    """Wait until Prefect's server has recorded everything sent so far (its CPU goes idle)."""
    deadline = time.monotonic() + limit
    before, quiet = _children_cpu_ticks(), 0
    while quiet < 2 and time.monotonic() < deadline:
        time.sleep(0.5)
        now = _children_cpu_ticks()
        quiet = quiet + 1 if now - before <= 2 else 0
        before = now


def persisted(fn, cache_policy=NO_CACHE):
    """A task with its result persisted to local storage (full persistence)."""
    return task(fn, name=fn.__name__, persist_result=True, cache_policy=cache_policy)


# 1. linear: make() then 10 steps passing a 1,000-row DataFrame; no caching.
make = persisted(w.make)
linear_steps = [persisted(w.make_fn(i)) for i in range(w.LINEAR_STEPS)]
inside: list[float] = []  # time spent in the flow body (the steps alone), per run


@flow(name="linear10", persist_result=True)
def linear():
    start = time.perf_counter()
    df = make()
    for s in linear_steps:
        df = s(df)
    inside.append(time.perf_counter() - start)
    return df


# 2. cached rerun: keyed on inputs + source (not the run id), so a second flow run hits the cache.
make_cached = persisted(w.make, INPUTS + TASK_SOURCE)
chain_steps = [persisted(w.make_fn(i), INPUTS + TASK_SOURCE) for i in range(w.CACHED_STEPS)]
chain_states: list[str] = []


@flow(name="chain100", persist_result=True)
def chain100():
    chain_states.clear()
    state = make_cached(return_state=True)
    chain_states.append(state.name)
    df = state.result()
    for s in chain_steps:
        state = s(df, return_state=True)
        chain_states.append(state.name)
        df = state.result()
    return df


# 3. fan-out: 50 tasks sleeping 0.1 s on a pool of 8 threads, then a join of all 50.
sleepers = [persisted(w.make_sleeper(i)) for i in range(w.FAN_OUT)]
join = persisted(w.join)
fan_inside: list[float] = []


@flow(name="fanout50", persist_result=True, task_runner=ThreadPoolTaskRunner(max_workers=w.MAX_WORKERS))
def fanout():
    start = time.perf_counter()
    futures = [s.submit(i) for i, s in enumerate(sleepers)]
    total = join.submit(futures).result()
    fan_inside.append(time.perf_counter() - start)
    return total


def timed_settled(call) -> float:
    settle()
    return w.timed(call)


def main() -> None:
    plain = w.plain_figures()
    log(f"prefect {prefect.__version__}, import {IMPORT_S:.2f}s; plain "
        + ", ".join(f"{k} {v * 1e3:.1f}ms" for k, v in plain.items()))

    cold = w.timed(linear)  # first flow in the process: also starts the temporary server
    log(f"cold start (first flow run in the process) {cold:.2f}s")
    walls = [timed_settled(linear) for _ in range(w.REPEATS + 1)][1:]  # one more warm-up
    steps = 1 + w.LINEAR_STEPS
    per_step = (statistics.median(walls) - plain["linear_wall_s"]) / steps
    per_step_inside = (statistics.median(inside[-w.REPEATS:]) - plain["linear_wall_s"]) / steps
    log(f"linear10 walls {[round(t, 3) for t in walls]}s -> overhead/step {per_step * 1e3:.1f} ms "
        f"({per_step_inside * 1e3:.1f} ms for the steps alone inside the flow)")

    first = timed_settled(chain100)
    rerun = timed_settled(chain100)
    cached = sum(name == "Cached" for name in chain_states)
    log(f"chain100 first {first:.2f}s, rerun {rerun:.2f}s with {cached}/{len(chain_states)} tasks cached")

    fan = [timed_settled(fanout) for _ in range(3)]
    log(f"fanout50 walls {[round(t, 2) for t in fan]}s, inside the flow "
        f"{[round(t, 2) for t in fan_inside]}s (serial sum {w.FAN_OUT * w.SLEEP:.1f}s)")
    settle()  # let the server finish before the process (and it) exits

    print(json.dumps({
        "tool": "prefect",
        "version": prefect.__version__,
        "import_s": IMPORT_S,
        "cold_start_s": cold,
        "plain": plain,
        "linear_steps": steps,
        "linear_wall_s": statistics.median(walls),
        "linear_overhead_per_step_s": per_step,
        "linear_overhead_per_step_inside_s": per_step_inside,
        "chain100_first_s": first,
        "chain100_cached_rerun_s": rerun,
        "chain100_all_cached": cached == len(chain_states) == 1 + w.CACHED_STEPS,
        "fanout_wall_s": statistics.median(fan),
        "fanout_inside_s": statistics.median(fan_inside),
        "fanout_serial_s": w.FAN_OUT * w.SLEEP,
    }))


if __name__ == "__main__":
    main()
