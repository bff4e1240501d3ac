"""Issue 11's monitoring benchmark: the monitor kinds over the prediction log, beside a hand-written
floor and the peer tools, in one run.

    python benchmarks/bench_monitoring.py            # --quick (or MLOOP_BENCH_QUICK=1): small sizes

Data (monitoring_data.py) is written as in production: a registered model (its training profile
stored at registration) and its predictions logged by PredictionBatch -> PredictionLogger -> Parquet
segments. Workloads:
1. data_drift over a window of 1,000,000 logged predictions × 20 inputs (x0..x4 shifted by 0.3 std)
   against the stored training profile, end to end (`kind_function("data_drift")(...)`: read the
   log, group by version, profile, judge); median of REPEATS after a warm-up. Beside it: the
   hand-written floor (one DuckDB scan of the same 20 typed columns of the same segments into Arrow,
   then per column a numpy sort, quantiles on the profile's grid and Wasserstein / std against the
   same stored sketches; no significance test, no null shares, no categories), the same
   kind on segments that hold JSON text only (how segments were written before this issue: one run),
   and Evidently's DataDriftPreset on the same 1M × 20 frame vs the 100,000-row training frame (its
   own venv; it needs the training data itself: it cannot use a stored profile). Target: < 2 s.
   Then estimated_performance (CBPE) on the same window's logged scores (a labels lookup included),
   beside NannyML's CBPE (its own venv; fitted on the model's scores and labels of the training
   frame, then estimating the 1M rows as one chunk).
2. skew replay of 100,000 logged requests (entity keys + online features, 7 features of a
   FeatureService) vs the plain point-in-time join of the same entity rows (`get_training_frame`,
   not stored): the floor the replay is built on.
Prints one table per workload and writes benchmarks/results/monitoring.json.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import monitoring_data as d  # noqa: E402
import peers  # noqa: E402
from common import fresh_home, note  # noqa: E402
from quality_runs import flagged, peer, peer_time, print_table, ratio, run_json, seconds, verdict  # noqa: E402

RESULTS = HERE / "results" / "monitoring.json"
QUICK = "--quick" in sys.argv or os.environ.get("MLOOP_BENCH_QUICK") == "1"
DRIFT_ROWS = 100_000 if QUICK else 1_000_000
SKEW_REQUESTS = 10_000 if QUICK else 100_000
SKEW_CUSTOMERS = 2_000 if QUICK else 10_000
REPEATS = 3
TARGET_SECONDS = 2.0
EVIDENTLY_TIMEOUT = 900


def median_time(fn: Any, repeats: int = REPEATS) -> tuple[float, Any]:
    fn()  # warm-up: imports, first file reads
    times, result = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


# ---------------------------------------------------------------- 1. data drift


def drift_workload(folder: str) -> dict[str, Any]:
    from mloop.monitoring.kinds import kind_function
    from mloop.monitoring.model import Monitor
    from mloop.stores.workspace import get_workspace

    start = time.perf_counter()
    version, train = d.drift_log(DRIFT_ROWS)
    written = time.perf_counter() - start
    workspace = get_workspace()
    end = d.START + timedelta(days=1)
    monitor = Monitor(name="drift", kind="data_drift", model="drift")
    evaluate = kind_function("data_drift")

    kind_seconds, measured = median_time(lambda: evaluate(monitor, workspace, d.START, end))
    files = [s.path for s in workspace.predictions.segments(model="drift")]
    profile = mloop_profile(version)
    floor_seconds, floor_drifted = median_time(lambda: hand_written_drift(files, profile, d.START, end))
    read_seconds, _ = median_time(lambda: read_only(monitor, workspace, d.START, end))

    cbpe_monitor = Monitor(name="cbpe", kind="estimated_performance", model="drift")
    estimate = kind_function("estimated_performance")
    cbpe_seconds, cbpe = median_time(lambda: estimate(cbpe_monitor, workspace, d.START, end))
    nanny = nannyml(folder, train, version, files)
    peers_found = evidently(folder, train, files)
    strip_typed_columns(files)
    start = time.perf_counter()
    json_measured = evaluate(monitor, workspace, d.START, end)
    json_seconds = time.perf_counter() - start
    return {"rows": measured.rows, "columns": len(d.COLUMNS), "write_seconds": written,
            "kind_seconds": kind_seconds, "read_seconds": read_seconds, "drifted": measured.values["drifted"],
            "summary": measured.summary, "floor_seconds": floor_seconds, "floor_drifted": floor_drifted,
            "json_segments_seconds": json_seconds, "json_segments_drifted": json_measured.values["drifted"],
            "evidently": peers_found, "cbpe_seconds": cbpe_seconds, "cbpe_estimates": cbpe.values["estimates"],
            "cbpe_summary": cbpe.summary, "nannyml": nanny}


def mloop_profile(version: Any) -> Any:
    from mloop.quality.training import stored_training_profile

    return stored_training_profile(version._workspace, version.name, version.version, version.lineage)


def read_only(monitor: Any, workspace: Any, start: Any, end: Any) -> int:
    from mloop.monitoring.logged import logged_predictions

    return logged_predictions(monitor, workspace, start, end, parts=("inputs",), leading=("version",)).num_rows


def hand_written_drift(files: list[str], profile: Any, start: Any, end: Any) -> list[str]:
    """The floor: one DuckDB scan of the typed columns into Arrow, then per column a numpy sort,
    the quantiles on the sketch grid, and Wasserstein (the mean gap between the quantile
    functions) / reference std > 0.1 against the same stored sketches."""
    import duckdb
    import numpy as np

    from mloop.quality.sketch import GRID

    columns = ", ".join(f'"input.{name}"' for name in d.COLUMNS)
    connection = duckdb.connect()
    try:
        connection.execute("SET TimeZone = 'UTC'")
        table = connection.sql(f"SELECT {columns} FROM read_parquet(?, union_by_name = true) "
                               "WHERE model = 'drift' AND time >= ? AND time < ?",
                               params=[files, start, end]).to_arrow_table()
    finally:
        connection.close()
    drifted = []
    for name in d.COLUMNS:
        values = np.sort(table[f"input.{name}"].to_numpy())
        position = GRID * (len(values) - 1)
        low = np.floor(position).astype(np.int64)
        high = np.minimum(low + 1, len(values) - 1)
        quantiles = values[low] + (position - low) * (values[high] - values[low])
        reference = profile.column(name)
        distance = float(np.trapezoid(np.abs(quantiles - reference.sketch), GRID))
        if distance / reference.std > 0.1:
            drifted.append(name)
    return drifted


def strip_typed_columns(files: list[str]) -> None:
    """Rewrite the segments as they were written before typed columns: JSON text only."""
    import duckdb
    import pyarrow.parquet as pq

    from mloop.serving.prediction_segments import segment_rows_sql

    for path in files:
        sql, params = segment_rows_sql([path])
        connection = duckdb.connect()
        try:
            table = connection.sql(f"SELECT * FROM ({sql})", params=params).to_arrow_table()
        finally:
            connection.close()
        pq.write_table(table, path, compression="zstd")


def evidently(folder: str, train: Any, files: list[str]) -> dict | None:
    import duckdb

    ref, cur = Path(folder) / "reference.parquet", Path(folder) / "current.parquet"
    train[d.COLUMNS].to_parquet(ref)
    columns = ", ".join(f'"input.{name}" AS {name}' for name in d.COLUMNS)
    duckdb.sql(f"COPY (SELECT {columns} FROM read_parquet({files!r}, union_by_name = true)) TO '{cur}' "
               "(FORMAT parquet)")
    return peer("evidently", ["drift", str(ref), str(cur), "--repeats", "1"], timeout=EVIDENTLY_TIMEOUT)


def nannyml(folder: str, train: Any, version: Any, files: list[str]) -> dict | None:
    """NannyML's CBPE on the same logged scores; its reference: the model's scores and labels on
    the training frame (NannyML calibrates on a labelled reference; mloop's estimate needs none)."""
    import duckdb
    import pandas as pd

    model = version.load().model
    proba = model.predict_proba(train[d.COLUMNS])[:, 1]
    ref, cur = Path(folder) / "cbpe_reference.parquet", Path(folder) / "cbpe_analysis.parquet"
    pd.DataFrame({"y_true": train["y"], "y_pred_proba": proba, "y_pred": (proba >= 0.5).astype(int)}).to_parquet(ref)
    duckdb.sql('COPY (SELECT "output.probability_1" AS y_pred_proba, "output.prediction" AS y_pred '
               f"FROM read_parquet({files!r}, union_by_name = true)) TO '{cur}' (FORMAT parquet)")
    python = peers.peer_python("nannyml")
    if python is None:
        return None
    return run_json([python, str(HERE / "workloads_monitoring_peers.py"), "nannyml", "cbpe", str(ref), str(cur)],
                    "nannyml", timeout=EVIDENTLY_TIMEOUT)


# ---------------------------------------------------------------- 2. skew


def skew_workload(folder: str) -> dict[str, Any]:
    from mloop.core.clock import utcnow
    from mloop.features.training import get_training_frame
    from mloop.monitoring.kinds import kind_function
    from mloop.monitoring.model import Monitor
    from mloop.stores.workspace import get_workspace

    start = time.perf_counter()
    version, entities = d.skew_log(Path(folder), SKEW_REQUESTS, SKEW_CUSTOMERS)
    written = time.perf_counter() - start
    workspace = get_workspace()
    now = utcnow()
    monitor = Monitor(name="skew", kind="skew", model="skew")
    evaluate = kind_function("skew")
    window = (now - timedelta(hours=1), now + timedelta(hours=1))
    kind_seconds, measured = median_time(lambda: evaluate(monitor, workspace, *window))
    floor_seconds, _ = median_time(lambda: get_training_frame(entities, "bench_v1", store=False))
    return {"requests": measured.values["replayed"], "features": len(measured.values["features"]),
            "write_seconds": written, "kind_seconds": kind_seconds, "floor_seconds": floor_seconds,
            "value": measured.value, "summary": measured.summary}


# ---------------------------------------------------------------- the run


def run(name: str, workload: Any) -> dict[str, Any] | None:
    with fresh_home() as folder, tempfile.TemporaryDirectory(prefix="mloop-bench-data-") as scratch:
        os.environ.pop("MLOOP_DB_URL", None)
        try:
            return workload(scratch if name == "drift" else folder)
        except Exception:
            import traceback

            note(f"the {name} workload failed; its figures show '—'\n{traceback.format_exc()}")
            return None
        finally:
            from mloop.stores.workspace import reset_workspaces

            reset_workspaces()


def main() -> int:
    from rich.console import Console

    console = Console(width=150)
    drift = run("drift", drift_workload)
    skew = run("skew", skew_workload)
    rows = []
    if drift:
        found = drift["evidently"]
        shown = f"Evidently {peer_time(found)}" + (f" (flags {flagged(found.get('drifted'))})" if found and
                                                    "drifted" in found else "")
        rows.append((f"data_drift, {drift['rows']:,} logged × {drift['columns']} vs stored profile",
                     seconds(drift["kind_seconds"]),
                     f"DuckDB+numpy {seconds(drift['floor_seconds'])} ({_times(drift, 'floor_seconds')})",
                     shown, f"< {TARGET_SECONDS:g} s", verdict(drift["kind_seconds"] < TARGET_SECONDS)))
        rows.append(("  of which: reading the window's typed inputs", seconds(drift["read_seconds"]), "", "", "", ""))
        rows.append(("  the same on JSON-only segments (before)", seconds(drift["json_segments_seconds"]),
                     "", "", "", ""))
        rows.append(("  flagged (x0..x4 shifted)", flagged(drift["drifted"]), flagged(drift["floor_drifted"]),
                     "", "x0..x4", verdict(drift["drifted"] == d.SHIFTED)))
        nanny = drift["nannyml"]
        estimates = drift["cbpe_estimates"]
        rows.append((f"estimated_performance (CBPE), {drift['rows']:,} logged scores", seconds(drift["cbpe_seconds"]),
                     "", f"NannyML {peer_time(nanny)}" + (f" (auc {nanny['roc_auc']:.3f})" if nanny and "roc_auc" in nanny
                                                         else ""), "", ""))
        rows.append(("  estimated auc / accuracy", f"{estimates['auc']:.3f} / {estimates['accuracy']:.3f}", "",
                     f"{nanny['roc_auc']:.3f} / {nanny['accuracy']:.3f}" if nanny and "roc_auc" in nanny else "",
                     "", ""))
    if skew:
        rows.append((f"skew replay, {skew['requests']:,} logged requests × {skew['features']} features",
                     seconds(skew["kind_seconds"]), f"plain PIT join {seconds(skew['floor_seconds'])} "
                     f"({_times(skew, 'floor_seconds')})", "", "", ""))
    print_table(console, f"monitoring{' (quick)' if QUICK else ''}", rows)
    for name, found in (("drift", drift), ("skew", skew)):
        if found:
            console.print(f"{name}: {found['summary']}")
    if not QUICK:
        RESULTS.parent.mkdir(exist_ok=True)
        RESULTS.write_text(json.dumps({"machine": {"python": platform.python_version(), "cpus": os.cpu_count()},
                                       "drift": drift, "skew": skew}, indent=2, default=str) + "\n")
    return 0 if drift and skew else 1


def _times(found: dict[str, Any], key: str) -> str:
    value = ratio(found["kind_seconds"], found[key])
    return "—" if value is None else f"mloop {value:.1f}×"


if __name__ == "__main__":
    sys.exit(main())
