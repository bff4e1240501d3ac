"""Issue 4's tracking benchmark: mloop vs MLflow (both on SQLite), side by side in one run.

    python benchmarks/bench_tracking.py

Workloads (data in tracking_data.py, the same for both):
- logging 100,000 metric points from one run, timed from the first call to the end of the final
  flush (so what is measured is on disk):
  batched — mloop: `log_metrics` of 10 metrics per call at 10,000 steps; MLflow: `log_batch` of
  1,000 `Metric`s per call (its limit);
  single calls — mloop: 100,000 `log_metric` calls; MLflow: synchronous `log_metric` (each call is
  a transaction; measured on 1,000 points) and `log_metric(synchronous=False)` on 20,000 points
  then `flush_async_logging()`;
- search: 10,000 runs with 5 params and 5 metrics, then `metrics.m0 > 0.5 and params.p0 = 'v1'`
  ordered by metrics.m1 descending, 100 rows, as a DataFrame (`mloop.search_runs`,
  `mlflow.search_runs`); median of 20 after a warm-up. mloop's runs are made through its public
  API (`start_run` + logging, timed and shown); MLflow's are copies of one API-made run inserted
  with SQL (making them through its API takes tens of minutes here).
MLflow runs in its own venv (peers.py) through workloads_mlflow.py and is skipped with a note if
it cannot be installed. Prints a table and writes benchmarks/results/tracking.json.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import peers  # noqa: E402
import tracking_data as d  # noqa: E402
from common import fresh_home, note  # noqa: E402

RESULTS = HERE / "results" / "tracking.json"
BATCHED_TARGET = 100_000  # points/s
SINGLE_TARGET = 20_000  # points/s
SEARCH_TARGET_S = 0.050
REPEATS = 3




# ---------------------------------------------------------------- mloop


def mloop_figures() -> dict | None:
    try:
        import mloop
    except Exception as error:
        note(f"mloop is not importable ({error!r}); its column shows '—'")
        return None
    try:
        with fresh_home():
            figures = {"version": mloop.__version__, **_logging(mloop)}
        with fresh_home():
            figures.update(_search(mloop))
        return figures
    except Exception:
        note("the mloop side failed; its column shows '—'\n" + traceback.format_exc())
        return None


def _logging(mloop) -> dict:  # noqa: ANN001 - the module
    from mloop.tracking import flush

    keys = [f"m{k}" for k in range(d.BATCH_KEYS)]
    batched, single = [], []
    for _ in range(REPEATS):
        with mloop.start_run("logging-bench"):
            start = time.perf_counter()
            for step in range(d.POINTS // d.BATCH_KEYS):
                mloop.log_metrics(dict.fromkeys(keys, 0.1), step=step)
            flush()
            batched.append(time.perf_counter() - start)
        with mloop.start_run("logging-bench") as run:
            start = time.perf_counter()
            for step in range(d.POINTS):
                mloop.log_metric("loss", 0.5, step=step)
            flush()
            single.append(time.perf_counter() - start)
        if len(mloop.get_metric_history(run.id, "loss")) != d.POINTS:
            raise RuntimeError("mloop did not store every point")
    print(f"[mloop] batched {[round(t, 3) for t in batched]} s, single {[round(t, 3) for t in single]} s",
          file=sys.stderr)
    return {"batched_s": statistics.median(batched), "single_s": statistics.median(single)}


def _search(mloop) -> dict:  # noqa: ANN001 - the module
    start = time.perf_counter()
    for index in range(d.RUNS):
        with mloop.start_run("search-bench", params=d.run_params(index)):
            mloop.log_metrics(d.run_metrics(index))
    build_s = time.perf_counter() - start
    print(f"[mloop] {d.RUNS} runs made through start_run in {build_s:.1f} s", file=sys.stderr)

    def once(limit: int):  # noqa: ANN202
        return mloop.search_runs(d.FILTER, order_by=f"metrics.{d.ORDER_BY}", descending=True, limit=limit)

    figures: dict = {"runs": d.RUNS, "build_s": build_s}
    for limit, suffix in ((d.LIMIT, ""), (d.LIMIT_LARGE, "_large")):
        frame = once(limit)  # warm-up
        times = []
        for _ in range(d.SEARCH_REPEATS):
            start = time.perf_counter()
            frame = once(limit)
            times.append(time.perf_counter() - start)
        print(f"[mloop] search median {statistics.median(times) * 1e3:.1f} ms, {len(frame)} rows", file=sys.stderr)
        figures.update({f"search{suffix}_s": times, f"rows{suffix}": len(frame),
                        f"top{suffix}": [float(v) for v in frame[f"metrics.{d.ORDER_BY}"].head(5)]})
    return figures


# ---------------------------------------------------------------- MLflow


def mlflow_figures() -> dict | None:
    python = peers.peer_python("mlflow")
    if python is None:
        return None
    figures: dict = {}
    log = RESULTS.with_name("mlflow-tracking.log")
    log.parent.mkdir(exist_ok=True)
    logs = []
    for workload in ("logging", "search"):
        with tempfile.TemporaryDirectory(prefix="mlflow-bench-") as folder:
            env = {**os.environ, "MLFLOW_DISABLE_TELEMETRY": "true"}
            try:
                done = subprocess.run([python, str(HERE / "workloads_mlflow.py"), workload], cwd=folder, env=env,
                                      capture_output=True, text=True, timeout=900)
            except subprocess.TimeoutExpired:
                note(f"MLflow's {workload} workload took over 15 minutes; its figures show '—'")
                continue
        logs.append(done.stderr)
        for line in done.stderr.splitlines():
            if line.startswith("[mlflow]"):
                print(line, file=sys.stderr)
        try:
            figures[workload] = json.loads(done.stdout.strip().splitlines()[-1])
        except (IndexError, ValueError):
            note(f"MLflow's {workload} workload failed (exit {done.returncode}); see {log}")
    log.write_text("\n".join(logs))
    return figures or None


# ---------------------------------------------------------------- table


def rate(points: int | None, seconds: float | None) -> float | None:
    return None if not points or not seconds else points / seconds


def points_per_s(value: float | None, target: float | None = None) -> str:
    if value is None:
        return "—"
    text = f"{value:,.0f} pts/s"
    return text if target is None else f"{text} {'✓' if value >= target else '✗'}"


def ms(value: float | None, target: float | None = None) -> str:
    if value is None:
        return "—"
    text = f"{value * 1e3:.1f} ms" if value < 1 else f"{value:.2f} s"
    return text if target is None else f"{text} {'✓' if value < target else '✗'}"


def rows(m: dict, f: dict) -> list[tuple[str, str, str, str]]:
    logging, search = f.get("logging", {}), f.get("search", {})
    m_search = statistics.median(m["search_s"]) if m.get("search_s") else None
    f_search = statistics.median(search["search_s"]) if search.get("search_s") else None
    mlflow_single = points_per_s(rate(logging.get("single_sync_points"), logging.get("single_sync_s")))
    if logging.get("single_async_s"):
        mlflow_single += (f" sync; {points_per_s(rate(logging['single_async_points'], logging['single_async_s']))}"
                          " async")
    same = m.get("top") and search.get("top") and [round(v, 9) for v in m["top"]] == [round(v, 9) for v in search["top"]]
    return [
        (f"log {d.POINTS:,} points, batched (calls + final flush)",
         points_per_s(rate(d.POINTS, m.get("batched_s")), BATCHED_TARGET),
         points_per_s(rate(logging.get("points"), logging.get("batched_s"))), f"≥ {BATCHED_TARGET:,} pts/s"),
        (f"log {d.POINTS:,} points, single log_metric calls (+ final flush)",
         points_per_s(rate(d.POINTS, m.get("single_s")), SINGLE_TARGET), mlflow_single, f"≥ {SINGLE_TARGET:,} pts/s"),
        (f"make {d.RUNS:,} runs × {d.PARAMS} params × {d.METRICS} metrics",
         ms(m.get("build_s")) + " (API)", ms(search.get("build_s")) + (" (SQL copies)" if search else ""), ""),
        (f"search: {d.FILTER}, order by metrics.{d.ORDER_BY} desc, {d.LIMIT} rows (median)",
         ms(m_search, SEARCH_TARGET_S), ms(f_search), f"< {SEARCH_TARGET_S * 1e3:.0f} ms"),
        ("search: same top 5 rows", "—" if not (m and search) else ("yes" if same else "no"), "", ""),
        (f"search: same filter and order, {d.LIMIT_LARGE:,} rows (median)",
         ms(statistics.median(m["search_large_s"]) if m.get("search_large_s") else None, SEARCH_TARGET_S),
         ms(statistics.median(search["search_large_s"]) if search.get("search_large_s") else None),
         f"< {SEARCH_TARGET_S * 1e3:.0f} ms"),
    ]


def print_table(mloop: dict | None, mlflow: dict | None) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title="Tracking (issue 4): mloop vs MLflow, SQLite backends")
    table.add_column("workload")
    for column in ("mloop", "MLflow", "target"):
        table.add_column(column, justify="right")
    for row in rows(mloop or {}, mlflow or {}):
        table.add_row(*row)
    console = Console()
    if not console.is_terminal:
        console = Console(width=150)
    console.print(table)
    if mlflow and "logging" in mlflow:
        console.print(f"MLflow {mlflow['logging']['version']}: synchronous log_metric measured on "
                      f"{mlflow['logging']['single_sync_points']:,} points, asynchronous on "
                      f"{mlflow['logging']['single_async_points']:,} (MLFLOW_ASYNC_LOGGING_BUFFERING_SECONDS=1).")


def main() -> None:
    load = os.getloadavg()
    if load[0] > 0.5 * (os.cpu_count() or 1):
        note(f"the machine is busy (load average {load[0]:.1f}): timings will be noisy")
    mloop = mloop_figures()
    mlflow = mlflow_figures()
    print_table(mloop, mlflow)
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps({
        "benchmark": "tracking",
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform(),
                    "load_average_at_start": load},
        "workloads": {"points": d.POINTS, "batch_keys": d.BATCH_KEYS, "runs": d.RUNS, "params": d.PARAMS,
                      "metrics": d.METRICS, "filter": d.FILTER, "order_by": f"metrics.{d.ORDER_BY} desc",
                      "limit": d.LIMIT, "limit_large": d.LIMIT_LARGE, "search_repeats": d.SEARCH_REPEATS, "logging_repeats": REPEATS},
        "targets": {"batched_points_per_s": BATCHED_TARGET, "single_points_per_s": SINGLE_TARGET,
                    "search_s": SEARCH_TARGET_S},
        "mloop": mloop,
        "mlflow": mlflow,
    }, indent=2) + "\n")
    print(f"wrote {RESULTS.relative_to(HERE.parent)}")


if __name__ == "__main__":
    main()
