"""Issue 4's workloads on MLflow. Runs INSIDE the MLflow venv (see peers.py), one workload per call:

    ~/.cache/mloop-bench/mlflow/bin/python benchmarks/workloads_mlflow.py WORKLOAD [ARGS...]

in a scratch folder (the current folder holds MLflow's SQLite database and artifacts). Prints
progress to stderr and one JSON object with the figures (seconds) as the last line of stdout.
MLflow runs as it comes, with its SQLite backend, telemetry off (shared/PEERS.md).
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")


def log(*args: object) -> None:
    print("[mlflow]", *args, file=sys.stderr, flush=True)


def _mlflow(folder: Path):  # noqa: ANN202 - the module
    import mlflow

    mlflow.set_tracking_uri(f"sqlite:///{folder / 'mlflow.db'}")
    mlflow.set_registry_uri(f"sqlite:///{folder / 'mlflow.db'}")
    return mlflow


def registry(data_path: str, versions: str = "100", loads: str = "20") -> dict:
    """Register one logged model `versions` times, move an alias to each version, load by alias."""
    import pandas as pd
    import skops.io as sio
    from mlflow.models import infer_signature
    from mlflow.tracking import MlflowClient
    from sklearn.ensemble import HistGradientBoostingClassifier

    count, load_count = int(versions), int(loads)
    folder = Path.cwd()
    t0 = time.perf_counter()
    mlflow = _mlflow(folder)
    import_s = time.perf_counter() - t0
    frame = pd.read_parquet(data_path)
    features, labels = frame.drop(columns="y"), frame["y"]
    model = HistGradientBoostingClassifier(max_iter=50, random_state=0).fit(features, labels)
    mlflow.set_experiment("registry-bench")
    with mlflow.start_run():
        info = mlflow.sklearn.log_model(
            model, name="model", serialization_format="skops",
            skops_trusted_types=sio.get_untrusted_types(data=sio.dumps(model)),
            signature=infer_signature(features, model.predict(features)),
        )
    log(f"logged {info.model_uri}")

    register = []
    for _ in range(count):
        start = time.perf_counter()
        mlflow.register_model(info.model_uri, "bench")
        register.append(time.perf_counter() - start)
    client = MlflowClient()
    move = []
    for version in range(1, count + 1):
        start = time.perf_counter()
        client.set_registered_model_alias("bench", "champion", str(version))
        move.append(time.perf_counter() - start)
    load = []
    sample = features.head(100)
    for _ in range(load_count):
        start = time.perf_counter()
        loaded = mlflow.pyfunc.load_model("models:/bench@champion")
        load.append(time.perf_counter() - start)
    predictions = loaded.predict(sample)
    log(f"register median {statistics.median(register) * 1e3:.1f} ms, alias move "
        f"{statistics.median(move) * 1e3:.1f} ms, load {statistics.median(load) * 1e3:.1f} ms")
    return {
        "version": mlflow.__version__, "import_s": import_s, "versions": count,
        "register_s": register, "alias_move_s": move, "load_by_alias_s": load,
        "predictions": [int(p) for p in predictions],
    }


def logging(single_points: str = "1000", async_points: str = "20000") -> dict:
    """Tracking: 100,000 points from one run with `log_batch` (its limit: 1,000 metrics a call),
    then single `log_metric` calls: synchronous ones (each is a transaction; measured on fewer
    points) and asynchronous ones (`synchronous=False`, then `flush_async_logging`)."""
    os.environ.setdefault("MLFLOW_ASYNC_LOGGING_BUFFERING_SECONDS", "1")  # a whole number (PEERS.md)
    import tracking_data as d
    from mlflow.entities import Metric
    from mlflow.tracking import MlflowClient

    mlflow = _mlflow(Path.cwd())
    mlflow.set_experiment("logging-bench")
    client = MlflowClient()
    figures: dict = {"version": mlflow.__version__, "points": d.POINTS}
    with mlflow.start_run() as run:
        keys = [f"m{k}" for k in range(d.BATCH_KEYS)]
        start = time.perf_counter()
        now = int(time.time() * 1000)
        for first in range(0, d.POINTS, 1000):
            client.log_batch(run.info.run_id, metrics=[
                Metric(keys[i % d.BATCH_KEYS], 0.1, now, i // d.BATCH_KEYS) for i in range(first, first + 1000)])
        figures["batched_s"] = time.perf_counter() - start
    log(f"batched {d.POINTS} points in {figures['batched_s']:.2f} s")
    with mlflow.start_run():
        count = int(single_points)
        start = time.perf_counter()
        for step in range(count):
            mlflow.log_metric("loss", 0.5, step=step)
        figures["single_sync_s"], figures["single_sync_points"] = time.perf_counter() - start, count
    log(f"{count} synchronous log_metric in {figures['single_sync_s']:.2f} s")
    with mlflow.start_run():
        count = int(async_points)
        start = time.perf_counter()
        for step in range(count):
            mlflow.log_metric("loss", 0.5, step=step, synchronous=False)
        mlflow.flush_async_logging()
        figures["single_async_s"], figures["single_async_points"] = time.perf_counter() - start, count
    log(f"{count} asynchronous log_metric + flush in {figures['single_async_s']:.2f} s")
    return figures


def search(runs: str = "") -> dict:
    """10,000 runs with 5 params and 5 metrics, then the filtered, ordered search of
    tracking_data. One template run is made through MLflow's API; the others are copies of its
    rows (with their own ids and values) inserted with SQL, because creating 10,000 runs through
    the API takes tens of minutes here."""
    import sqlite3
    import uuid

    import tracking_data as d

    count = int(runs or d.RUNS)
    folder = Path.cwd()
    mlflow = _mlflow(folder)
    experiment = mlflow.set_experiment("search-bench")
    with mlflow.start_run() as template:
        mlflow.log_params(d.run_params(0))
        mlflow.log_metrics(d.run_metrics(0))
    start = time.perf_counter()
    db = sqlite3.connect(folder / "mlflow.db")
    columns = [row[1] for row in db.execute("PRAGMA table_info(runs)")]
    row = dict(zip(columns, db.execute("SELECT * FROM runs WHERE run_uuid = ?", (template.info.run_id,)).fetchone(),
                   strict=True))
    tags = db.execute("SELECT key, value FROM tags WHERE run_uuid = ?", (template.info.run_id,)).fetchall()
    runs_rows, params, metrics, tag_rows = [], [], [], []
    for index in range(1, count):
        run_id = uuid.uuid4().hex
        runs_rows.append(tuple({**row, "run_uuid": run_id, "name": f"run-{index}", "start_time": row["start_time"] + index,
                                "artifact_uri": row["artifact_uri"].replace(template.info.run_id, run_id)}.values()))
        params += [(k, v, run_id) for k, v in d.run_params(index).items()]
        metrics += [(k, v, row["start_time"], run_id, 0, 0) for k, v in d.run_metrics(index).items()]
        tag_rows += [(k, v, run_id) for k, v in tags]
    with db:
        db.executemany(f"INSERT INTO runs ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})", runs_rows)
        db.executemany("INSERT INTO params (key, value, run_uuid) VALUES (?, ?, ?)", params)
        db.executemany("INSERT INTO metrics (key, value, timestamp, run_uuid, step, is_nan) VALUES (?, ?, ?, ?, ?, ?)",
                       metrics)
        db.executemany("INSERT INTO latest_metrics (key, value, timestamp, run_uuid, step, is_nan) "
                       "VALUES (?, ?, ?, ?, ?, ?)", metrics)
        db.executemany("INSERT INTO tags (key, value, run_uuid) VALUES (?, ?, ?)", tag_rows)
    db.close()
    build_s = time.perf_counter() - start
    log(f"{count} runs inserted in {build_s:.1f} s")

    def once(limit: int):  # noqa: ANN202
        return mlflow.search_runs(experiment_ids=[experiment.experiment_id], filter_string=d.FILTER,
                                  order_by=[f"metrics.{d.ORDER_BY} DESC"], max_results=limit)

    figures: dict = {"version": mlflow.__version__, "runs": count, "build_s": build_s}
    for limit, suffix in ((d.LIMIT, ""), (d.LIMIT_LARGE, "_large")):
        frame = once(limit)  # warm-up
        times = []
        for _ in range(d.SEARCH_REPEATS):
            start = time.perf_counter()
            frame = once(limit)
            times.append(time.perf_counter() - start)
        log(f"search median {statistics.median(times) * 1e3:.1f} ms, {len(frame)} rows")
        figures.update({f"search{suffix}_s": times, f"rows{suffix}": len(frame),
                        f"top{suffix}": [float(v) for v in frame[f"metrics.{d.ORDER_BY}"].head(5)]})
    return figures


WORKLOADS: dict[str, Callable[..., dict]] = {"registry": registry, "logging": logging, "search": search}


def main() -> None:
    if len(sys.argv) < 2 or sys.argv[1] not in WORKLOADS:
        sys.exit(f"usage: workloads_mlflow.py {{{'|'.join(WORKLOADS)}}} [ARGS...]")
    print(json.dumps(WORKLOADS[sys.argv[1]](*sys.argv[2:])))


if __name__ == "__main__":
    main()
