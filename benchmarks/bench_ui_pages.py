"""Issue 12's page benchmark: the runs pages with 10,000 runs and a run page with 100 steps,
rendered by the server (target < 200 ms each).

    python benchmarks/bench_ui_pages.py

Workspace (SQLite, embedded default): 10,000 runs of one pipeline, each with 4 params and 4
metrics, written straight through the role stores (one transaction per run, one batch of tracked
values; not 10,000 pipeline executions), and one run of a 100-step pipeline (10 layers of 10 steps)
with a 20-line log per step and 5 metrics logged at 100 steps each.

Timing: each page requested through the server's ASGI app in this process (Starlette's
TestClient: the full FastAPI stack, routing, the public API calls, Jinja2 rendering, SVG drawing;
no network), median of 20 after a warm-up. Prints a table and writes
benchmarks/results/ui_pages.json.
"""

from __future__ import annotations

import json
import os
import platform
import random
import statistics
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from common import fresh_home, note  # noqa: E402

RESULTS = HERE / "results" / "ui_pages.json"
RUNS, STEPS, LAYERS = 10_000, 100, 10
METRIC_KEYS, HISTORY_POINTS = 5, 100
REPEATS = 20
TARGET_S = 0.200
T0 = datetime(2026, 1, 1, tzinfo=timezone.utc)


def build_runs(workspace: Any) -> list[str]:
    """RUNS finished runs with params and metrics, through workspace.runs and workspace.tracking."""
    from mloop.core.ids import new_id
    from mloop.stores.metadata.records import RunRecord
    from mloop.stores.metadata.tracking_records import TrackingBatch

    graph = {"version": 1, "name": "bench-train", "nodes": [{"name": "train", "inputs": {}, "after": []}]}
    rng = random.Random(12)
    ids, batch = [], TrackingBatch()
    for index in range(RUNS):
        run_id = new_id()
        created = T0 + timedelta(seconds=index)
        params = {"model": ("xgb", "lgbm", "rf")[index % 3], "lr": round(rng.uniform(0.01, 0.3), 3),
                  "depth": index % 8 + 2, "seed": index}
        workspace.runs.create_run(RunRecord(run_id, "bench-train", "succeeded" if index % 10 else "failed", params,
                                            graph, "bench", created, created, created + timedelta(seconds=30)), [])
        batch.metrics += [(run_id, None, key, rng.random(), 0, created.timestamp())
                          for key in ("auc", "loss", "precision", "recall")]
        ids.append(run_id)
    workspace.tracking.log_batch(batch)
    return ids


def build_big_run(workspace: Any) -> str:
    """One run of a STEPS-step pipeline in LAYERS layers (each step takes the output of the step
    above it and runs after its neighbour there), a log per step, METRIC_KEYS long metric histories."""
    from mloop.core.ids import new_id
    from mloop.stores.metadata.records import RunRecord, StepRunRecord
    from mloop.stores.metadata.tracking_records import TrackingBatch

    width = STEPS // LAYERS
    names = [f"step_{layer}_{index}" for layer in range(LAYERS) for index in range(width)]
    nodes = []
    for position, name in enumerate(names):
        layer, index = divmod(position, width)
        inputs = {"data": {"node": f"step_{layer - 1}_{index}", "output": "output"}} if layer else {}
        after = [f"step_{layer - 1}_{(index + 1) % width}"] if layer else []
        nodes.append({"name": name, "inputs": inputs, "after": after})
    run_id = new_id()
    start = T0 + timedelta(days=1)
    steps = [StepRunRecord(new_id(), run_id, name, name, "cached" if position % 7 == 0 else "succeeded", {},
                           attempts=[{"number": 1}], cache_key=f"{position:064x}",
                           started_at=start + timedelta(seconds=position),
                           ended_at=start + timedelta(seconds=position, milliseconds=800))
             for position, name in enumerate(names)]
    workspace.runs.create_run(RunRecord(run_id, "bench-wide", "succeeded", {"layers": LAYERS},
                                        {"version": 1, "name": "bench-wide", "nodes": nodes}, "wide", start, start,
                                        start + timedelta(seconds=STEPS)), steps)
    logs = workspace.logs_dir / run_id
    logs.mkdir(parents=True, exist_ok=True)
    for name in names:
        (logs / f"{name}.1.log").write_text("".join(f"{name}: line {line}\n" for line in range(20)))
    workspace.tracking.log_batch(TrackingBatch(metrics=[
        (run_id, None, f"metric_{key}", 1 / (point + 1 + key), point, start.timestamp() + point)
        for key in range(METRIC_KEYS) for point in range(HISTORY_POINTS)]))
    return run_id


def timed(client: Any, url: str) -> tuple[list[float], int, int]:
    """Seconds of each of REPEATS requests (after a warm-up), the status and the size of the page."""
    response = client.get(url)
    times = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        response = client.get(url)
        times.append(time.perf_counter() - start)
    return times, response.status_code, len(response.content)


def figures() -> dict[str, Any]:
    from fastapi.testclient import TestClient

    import mloop
    from mloop.server.app import create_server_app
    from mloop.stores.workspace import reset_workspaces

    with fresh_home():
        os.environ.pop("MLOOP_DB_URL", None)
        workspace = mloop.get_workspace()
        start = time.perf_counter()
        ids = build_runs(workspace)
        big = build_big_run(workspace)
        build_s = time.perf_counter() - start
        note(f"{RUNS:,} runs and a {STEPS}-step run written in {build_s:.1f} s")
        pages = {
            f"/runs ({RUNS:,} runs, newest 50)": "/runs",
            "/runs?q=metrics.auc > 0.9 and params.model = 'xgb', sorted by auc": "/runs?q=metrics.auc+%3E+0.9+and+"
            "params.model+%3D+%27xgb%27&sort=metrics.auc&desc=1",
            "/runs, the last page": f"/runs?page={RUNS // 50 + 1}",
            "/api/v1/runs?limit=50": "/api/v1/runs?limit=50",
            f"/runs/ID ({STEPS} steps, logs, {METRIC_KEYS} metric charts)": f"/runs/{big}",
            f"/compare of 10 runs ({METRIC_KEYS - 1} metrics, 4 params)": "/compare?runs=" + ",".join(ids[-10:]),
        }
        out: dict[str, Any] = {"runs": RUNS, "steps": STEPS, "build_s": build_s, "pages": {}}
        with TestClient(create_server_app()) as client:
            for label, url in pages.items():
                times, status, size = timed(client, url)
                if status != 200:
                    raise RuntimeError(f"{url} answered {status}")
                out["pages"][label] = {"url": url, "times_s": times, "bytes": size}
                print(f"[mloop] {label}: median {statistics.median(times) * 1e3:.1f} ms, {size:,} bytes",
                      file=sys.stderr)
        reset_workspaces()
    return out


def print_table(found: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"UI pages (issue 12): server-side time, median of {REPEATS}, SQLite")
    table.add_column("page")
    for column in ("median", "p90", "size", "target"):
        table.add_column(column, justify="right")
    for label, page in found["pages"].items():
        times = sorted(page["times_s"])
        median = statistics.median(times)
        table.add_row(label, f"{median * 1e3:.1f} ms {'✓' if median < TARGET_S else '✗'}",
                      f"{times[int(len(times) * 0.9) - 1] * 1e3:.1f} ms", f"{page['bytes'] / 1024:.0f} KiB",
                      f"< {TARGET_S * 1e3:.0f} ms")
    console = Console()
    if not console.is_terminal:
        console = Console(width=150)
    console.print(table)


def main() -> None:
    load = os.getloadavg()
    if load[0] > 0.5 * (os.cpu_count() or 1):
        note(f"the machine is busy (load average {load[0]:.1f}): timings will be noisy")
    found = figures()
    print_table(found)
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps({
        "benchmark": "ui_pages",
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform(),
                    "load_average_at_start": load},
        "workloads": {"runs": RUNS, "steps": STEPS, "layers": LAYERS, "metric_keys": METRIC_KEYS,
                      "history_points": HISTORY_POINTS, "repeats": REPEATS},
        "targets": {"page_s": TARGET_S},
        "mloop": found,
    }, indent=2) + "\n")
    print(f"wrote {RESULTS.relative_to(HERE.parent)}")


if __name__ == "__main__":
    main()
