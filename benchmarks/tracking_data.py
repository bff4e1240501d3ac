"""The tracking benchmark's data, shared by mloop's side (bench_tracking.py) and MLflow's
(workloads_mlflow.py, in another venv): plain Python, no imports beyond the standard library."""

from __future__ import annotations

import random

POINTS = 100_000  # metric points logged by one run
BATCH_KEYS = 10  # batched: 10 metrics per call, at 10,000 steps
RUNS = 10_000  # runs for the search workload, each with 5 params and 5 metrics
PARAMS = METRICS = 5
FILTER = "metrics.m0 > 0.5 and params.p0 = 'v1'"
ORDER_BY, LIMIT = "m1", 100  # newest-first ties are impossible: values are random floats
LIMIT_LARGE = 1000  # the filter keeps ~1,250 runs: a page of 1,000 rows (issue 7)
SEARCH_REPEATS = 20


def run_params(index: int) -> dict[str, str]:
    """p0 has 4 values (the filter keeps one); the others vary more."""
    return {"p0": f"v{index % 4}", **{f"p{k}": f"x{(index // (k + 1)) % 7}" for k in range(1, PARAMS)}}


def run_metrics(index: int) -> dict[str, float]:
    rng = random.Random(index)
    return {f"m{k}": rng.random() for k in range(METRICS)}
