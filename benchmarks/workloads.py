"""The plain functions of issue 2's pipeline benchmark, shared by every tool's side.

Only pandas/numpy: this module is also imported by `workloads_prefect.py` inside the Prefect venv.
"""

from __future__ import annotations

import statistics
import time

import numpy as np
import pandas as pd

ROWS = 1_000
LINEAR_STEPS = 10   # the linear pipeline: make() then 10 steps
CACHED_STEPS = 100  # the cached-rerun pipeline: make() then 100 steps
FAN_OUT = 50        # 50 independent steps sleeping SLEEP s each, then one join
SLEEP = 0.1
MAX_WORKERS = 8
REPEATS = 5         # timed repetitions (after one warm-up); the median is reported


def make() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    return pd.DataFrame({"a": np.arange(ROWS), "b": rng.normal(size=ROWS)})


def make_fn(i: int):
    """Step i of a chain: adds (or overwrites, past 10) one column. Distinct name per i."""
    def fn(df: pd.DataFrame) -> pd.DataFrame:
        return df.assign(**{f"x{i % 10}": df["a"] * 0.5 + df["b"] + i})
    fn.__name__ = fn.__qualname__ = f"s{i}"
    return fn


def make_sleeper(i: int):
    def fn(x: int) -> int:
        time.sleep(SLEEP)
        return x * 2
    fn.__name__ = fn.__qualname__ = f"sleep{i}"
    return fn


def join(parts: list[int]) -> int:
    return sum(parts)


def timed(call) -> float:
    start = time.perf_counter()
    call()
    return time.perf_counter() - start


def median_time(call, repeats: int = REPEATS, warmup: int = 1) -> float:
    for _ in range(warmup):
        call()
    return statistics.median(timed(call) for _ in range(repeats))


def plain_chain(fns) -> pd.DataFrame:
    df = make()
    for fn in fns:
        df = fn(df)
    return df


def plain_fan_out(sleepers) -> int:
    return join([fn(i) for i, fn in enumerate(sleepers)])


def plain_figures() -> dict:
    """Wall times of the same steps as plain function calls, in seconds."""
    linear = [make_fn(i) for i in range(LINEAR_STEPS)]
    chain = [make_fn(i) for i in range(CACHED_STEPS)]
    sleepers = [make_sleeper(i) for i in range(FAN_OUT)]
    return {
        "linear_wall_s": median_time(lambda: plain_chain(linear), repeats=21),
        "chain100_wall_s": median_time(lambda: plain_chain(chain)),
        "fanout_wall_s": timed(lambda: plain_fan_out(sleepers)),
    }
