"""Steps of issue 3's scale-out benchmark, importable by Dask workers (benchmarks/ on PYTHONPATH)
and, as plain functions, by the Prefect side in its own venv."""

from __future__ import annotations

import time

STEPS = 200
SLEEP = 0.5
WORKERS = 2
THREADS = 4


def nap(i: int) -> int:
    time.sleep(SLEEP)
    return i
