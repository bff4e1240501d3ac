"""Issue 3's fan-out on Prefect 3 with its Dask task runner (runs inside the Prefect venv).

    python workloads_prefect_dask.py tcp://127.0.0.1:PORT  -> JSON on the last line
"""

from __future__ import annotations

import json
import sys
import time

from prefect import flow, task
from prefect_dask import DaskTaskRunner
from workloads_scaleout import SLEEP, STEPS, nap


def main(address: str) -> None:
    step = task(nap, persist_result=True)

    @flow(task_runner=DaskTaskRunner(address=address))
    def fan_out() -> list[int]:
        futures = [step.submit(i) for i in range(STEPS)]
        return [f.result() for f in futures]

    started = time.perf_counter()
    result = fan_out()
    wall = time.perf_counter() - started
    assert sorted(result) == list(range(STEPS))
    print(json.dumps({"wall_s": wall, "steps": STEPS, "sleep_s": SLEEP}))


if __name__ == "__main__":
    main(sys.argv[1])
