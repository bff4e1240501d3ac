"""Issue 4's registry benchmark: mloop vs MLflow (SQLite backends), side by side in one run.

    python benchmarks/bench_registry.py

Workload, the same for both on the same data (2,000 rows × 8 features, a HistGradientBoosting
classifier, 50 iterations): register one trained model as 100 versions of a model, move the
`champion` alias to each version in turn, then load the model by alias 20 times. Figures are
milliseconds per operation (median; p90 beside it).

- mloop: the model is the output of a pipeline step (so registration follows lineage to the
  training data to infer the signature on the first registration); registering verifies the
  artifact hash and loads it to check it is a fitted model; every version is blessed (recorded
  metrics) before the alias moves, because `champion` only takes blessed versions; loading by
  alias verifies the artifact hash and returns a signature-checking wrapper.
- MLflow: the model is logged once with `mlflow.sklearn.log_model` (skops format, signature
  given), then `mlflow.register_model` 100 times, `set_registered_model_alias`, and
  `mlflow.pyfunc.load_model("models:/bench@champion")` (its signature-checking wrapper).
  It runs in its own venv (peers.py) through workloads_mlflow.py and is skipped with a note if it
  cannot be installed. Prints a table and writes benchmarks/results/registry.json.
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

RESULTS = HERE / "results" / "registry.json"
VERSIONS = 100
LOADS = 20
LOAD_AGAIN_TARGET_S = 0.010
ROWS, FEATURES = 2_000, 8


def note(message: str) -> None:
    print(f"note: {message}", file=sys.stderr, flush=True)


def write_data(path: Path) -> None:
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(0)
    features = rng.normal(size=(ROWS, FEATURES))
    labels = (features[:, :4].sum(axis=1) + rng.normal(0.0, 1.0, ROWS) > 0).astype(int)
    frame = pd.DataFrame(features, columns=[f"f{i}" for i in range(FEATURES)]).assign(y=labels)
    frame.to_parquet(path)


# ---------------------------------------------------------------- mloop


def mloop_figures(data_path: Path) -> dict | None:
    try:
        return _run_mloop(data_path)
    except Exception:
        note("the mloop side failed; its column shows '—'\n" + traceback.format_exc())
        return None


def _run_mloop(data_path: Path) -> dict:
    import pandas as pd

    import mloop

    @mloop.step
    def load(path: Path) -> pd.DataFrame:
        return pd.read_parquet(path)

    @mloop.step
    def train(frame: pd.DataFrame):  # noqa: ANN202 - a fitted estimator
        from sklearn.ensemble import HistGradientBoostingClassifier

        return HistGradientBoostingClassifier(max_iter=50, random_state=0).fit(frame.drop(columns="y"), frame["y"])

    @mloop.pipeline(name="registry-bench")
    def training(path: str = str(data_path)):
        train(load(mloop.Data(path)))

    with tempfile.TemporaryDirectory(prefix="mloop-bench-registry-") as folder:
        os.environ["MLOOP_HOME"] = folder
        os.chdir(folder)
        try:
            return _workload(mloop, training, data_path)
        finally:
            os.chdir(HERE)


def _workload(mloop, training, data_path: Path) -> dict:  # noqa: ANN001 - the module and a pipeline
    import pandas as pd

    run = training.run()
    model = run.output("train")
    register = []
    for _ in range(VERSIONS):
        start = time.perf_counter()
        mloop.register_model("bench", model, metrics={"val_auc": 0.9})
        register.append(time.perf_counter() - start)
    policy = mloop.Blessing(metric="val_auc", min=0.5)
    for number in range(1, VERSIONS + 1):
        mloop.bless(f"bench/{number}", policy)
    move = []
    for number in range(1, VERSIONS + 1):
        start = time.perf_counter()
        mloop.promote(f"bench/{number}", "champion")
        move.append(time.perf_counter() - start)
    load_times = []
    for _ in range(LOADS):
        start = time.perf_counter()
        loaded = mloop.load_model("bench@champion")
        load_times.append(time.perf_counter() - start)
    sample = pd.read_parquet(data_path).drop(columns="y").head(100)
    print(f"[mloop] register first {register[0] * 1e3:.1f} ms, median {statistics.median(register) * 1e3:.1f} ms; "
          f"alias move {statistics.median(move) * 1e3:.1f} ms; load {statistics.median(load_times) * 1e3:.1f} ms",
          file=sys.stderr)
    return {"version": mloop.__version__, "register_s": register, "alias_move_s": move, "load_by_alias_s": load_times,
            "predictions": [int(p) for p in loaded.predict(sample)]}


# ---------------------------------------------------------------- MLflow


def mlflow_figures(data_path: Path) -> dict | None:
    python = peers.peer_python("mlflow")
    if python is None:
        return None
    log = RESULTS.with_name("mlflow-registry.log")
    log.parent.mkdir(exist_ok=True)
    env = {**os.environ, "MLFLOW_DISABLE_TELEMETRY": "true"}
    with tempfile.TemporaryDirectory(prefix="mlflow-bench-") as folder:
        try:
            done = subprocess.run([python, str(HERE / "workloads_mlflow.py"), "registry", str(data_path),
                                   str(VERSIONS), str(LOADS)], cwd=folder, env=env, capture_output=True, text=True,
                                  timeout=1800)
        except subprocess.TimeoutExpired:
            note("MLflow's registry workload took over 30 minutes; its column shows '—'")
            return None
    log.write_text(done.stderr)
    for line in done.stderr.splitlines():
        if line.startswith("[mlflow]"):
            print(line, file=sys.stderr)
    try:
        return json.loads(done.stdout.strip().splitlines()[-1])
    except (IndexError, ValueError):
        note(f"MLflow's registry workload failed (exit {done.returncode}); see {log}; its column shows '—'")
        return None


# ---------------------------------------------------------------- table


def per_op(values: list[float] | None) -> str:
    if not values:
        return "—"
    ordered = sorted(values)
    p90 = ordered[int(0.9 * (len(ordered) - 1))]
    return f"{statistics.median(values) * 1e3:.2f} ms (p90 {p90 * 1e3:.2f})"


def ratio(ours: list[float] | None, theirs: list[float] | None) -> str:
    if not ours or not theirs:
        return "—"
    return f"{statistics.median(theirs) / statistics.median(ours):.1f}×"


def print_table(mloop: dict | None, mlflow: dict | None) -> None:
    from rich.console import Console
    from rich.table import Table

    m, f = mloop or {}, mlflow or {}
    table = Table(title=f"Model registry (issue 4): mloop vs MLflow, SQLite, ms per operation, median of "
                        f"{VERSIONS} / {LOADS}")
    for column in ("operation", "mloop", "MLflow", "mloop faster by"):
        table.add_column(column, justify="left" if column == "operation" else "right")
    register_m = m.get("register_s")
    table.add_row("register a version", per_op(register_m), per_op(f.get("register_s")),
                  ratio(register_m, f.get("register_s")))
    table.add_row("  first registration (mloop infers the signature from lineage)",
                  f"{register_m[0] * 1e3:.1f} ms" if register_m else "—", "—", "")
    key = "alias_move_s"
    table.add_row("move the champion alias", per_op(m.get(key)), per_op(f.get(key)), ratio(m.get(key), f.get(key)))
    # The first load in a process reads and verifies the bytes; later loads of the same version are
    # what a serving process or a notebook does all day (target: ≤ 10 ms, issue 7).
    first_m, first_f = (m.get("load_by_alias_s") or [])[:1], (f.get("load_by_alias_s") or [])[:1]
    again_m, again_f = (m.get("load_by_alias_s") or [])[1:], (f.get("load_by_alias_s") or [])[1:]
    table.add_row("load by alias, first in the process", per_op(first_m), per_op(first_f), ratio(first_m, first_f))
    warm = per_op(again_m)
    if again_m:
        warm += " ✓" if statistics.median(again_m) <= LOAD_AGAIN_TARGET_S else " ✗"
    table.add_row(f"load by alias, loaded before (target ≤ {LOAD_AGAIN_TARGET_S * 1e3:.0f} ms)", warm,
                  per_op(again_f), ratio(again_m, again_f))
    console = Console()
    if not console.is_terminal:
        console = Console(width=140)
    console.print(table)
    if mloop and mlflow:
        same = mloop["predictions"] == mlflow["predictions"]
        console.print(f"MLflow {mlflow['version']}. Both loaded models predict the same classes on 100 rows: "
                      f"{'yes' if same else 'no'}.")


def main() -> None:
    load = os.getloadavg()
    if load[0] > 0.5 * (os.cpu_count() or 1):
        note(f"the machine is busy (load average {load[0]:.1f}): timings will be noisy")
    with tempfile.TemporaryDirectory(prefix="registry-bench-data-") as folder:
        data_path = Path(folder) / "data.parquet"
        write_data(data_path)
        mloop = mloop_figures(data_path)
        mlflow = mlflow_figures(data_path)
    print_table(mloop, mlflow)
    RESULTS.parent.mkdir(exist_ok=True)
    summary = {name: {key: (statistics.median(value) if isinstance(value, list) and key.endswith("_s") else value)
                      for key, value in figures.items() if key != "predictions"}
               for name, figures in (("mloop", mloop), ("mlflow", mlflow)) if figures}
    RESULTS.write_text(json.dumps({
        "benchmark": "registry",
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform(),
                    "load_average_at_start": load},
        "workload": {"versions": VERSIONS, "loads": LOADS, "rows": ROWS, "features": FEATURES,
                     "model": "HistGradientBoostingClassifier(max_iter=50)"},
        "median_s": summary,
        "mloop_first_register_s": mloop["register_s"][0] if mloop else None,
    }, indent=2) + "\n")
    print(f"wrote {RESULTS.relative_to(HERE.parent)}")


if __name__ == "__main__":
    main()
