"""Issue 10's batch-scoring benchmark: `mloop.score_batch` beside a hand-written pandas baseline.

    python benchmarks/bench_batch_scoring.py

Workload: 1,000,000 rows × 20 float features (plus a row id) in one Parquet file (row groups of
122,880 rows, as DuckDB writes them), scored by a
scikit-learn HistGradientBoostingClassifier (max_iter=100, trained on 100,000 other rows and
registered in a temporary mloop workspace). Every side runs in a fresh process (its peak RSS is
its own) and writes the same scores to a Parquet file:
- baseline: `pandas.read_parquet` of the feature columns, `model.predict_proba` in one go, the
  predicted class from the probabilities, and `DataFrame.to_parquet`; and the same with
  `predict_proba` called on 100k-row slices of the frame in memory: the model's own cost of
  being called in chunks (HistGradientBoosting starts one OpenMP region a tree a call, which
  costs much more when other processes hold the cores);
- mloop: `score_batch(..., id_column="row_id")` at chunk sizes 100k and 1M (id, prediction, one
  probability column a class, model version; written through a temp file and a rename); and at
  100k once more with the CLI's live progress bar drawn (to a terminal that is /dev/null).
Seconds are those of the one timed call, after each process loaded the model and warmed up on 10
rows (imports are not timed). The data are cached under ~/.cache/mloop-bench/data. Prints a table
and writes benchmarks/results/batch_scoring.json.
"""

from __future__ import annotations

import json
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from common import fresh_home, note  # noqa: E402

RESULTS = HERE / "results" / "batch_scoring.json"
CACHE = Path(os.environ.get("MLOOP_BENCH_CACHE", Path.home() / ".cache" / "mloop-bench")) / "data"
ROWS = 1_000_000
TRAIN_ROWS = 100_000
#: rows per Parquet row group, as DuckDB writes them (Spark's are of similar size). A Parquet
#: reader decodes a row group at a time, so it bounds the memory of any chunked reader: a file
#: written as one 1M-row group (pyarrow's default) costs ~170 MB decoded whatever the chunk size.
ROW_GROUP = 122_880
FEATURES = [f"f{i}" for i in range(20)]
MODEL = "bench-hgb/1"
SIDES = [  # (key, label, workload arguments)
    ("baseline", "pandas.read_parquet + predict_proba in one go", ["baseline"]),
    ("baseline_100k", "pandas.read_parquet + predict_proba in 100k slices", ["baseline", "100000"]),
    ("mloop_100k", "mloop score_batch, chunks of 100k", ["mloop", "100000"]),
    ("mloop_1m", "mloop score_batch, chunks of 1M", ["mloop", "1000000"]),
    ("mloop_100k_bar", "mloop score_batch, chunks of 100k, live progress bar", ["mloop", "100000", "bar"]),
]


def data_file(rows: int, seed: int, labelled: bool) -> Path:
    """`rows` × 20 standard-normal features (and a row id, or the label y), written once."""
    path = CACHE / f"batch-scoring-{rows}x20-s{seed}-rg{ROW_GROUP}{'-labelled' if labelled else ''}.parquet"
    if path.exists():
        return path
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    CACHE.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    matrix = rng.standard_normal((rows, len(FEATURES)))
    columns = {name: matrix[:, i] for i, name in enumerate(FEATURES)}
    if labelled:
        logit = matrix[:, 0] + 0.5 * matrix[:, 1] - matrix[:, 2] * matrix[:, 3] + 0.3 * matrix[:, 4] ** 2
        columns["y"] = (logit + rng.normal(0.0, 0.5, rows) > 0.3).astype(np.int64)
    else:
        columns = {"row_id": np.arange(rows, dtype=np.int64)} | columns
    temp = path.with_suffix(".tmp")
    pq.write_table(pa.table(columns), temp, row_group_size=ROW_GROUP)
    os.replace(temp, path)
    return path


def register_model() -> None:
    import pandas as pd
    from sklearn.ensemble import HistGradientBoostingClassifier

    import mloop

    train = pd.read_parquet(data_file(TRAIN_ROWS, seed=1, labelled=True))
    model = HistGradientBoostingClassifier(max_iter=100, random_state=0).fit(train[FEATURES], train["y"])
    mloop.register_model(MODEL.split("/")[0], model, training_data=train[FEATURES])


# --------------------------------------------------------------------------- one side, in its own process
def peak_rss_mb() -> float:
    """This process's peak resident memory (VmHWM: ru_maxrss survives exec on Linux)."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def workload(kind: str, source: str, output: str, *options: str) -> dict[str, Any]:
    import numpy as np
    import pandas as pd

    import mloop

    loaded = mloop.load_model(MODEL)
    tiny = pd.DataFrame(np.zeros((10, len(FEATURES))), columns=FEATURES).assign(row_id=np.arange(10))
    mloop.score_batch(MODEL, tiny, output + ".warm.parquet", id_column="row_id")
    os.unlink(output + ".warm.parquet")
    ready = peak_rss_mb()
    if kind == "baseline":
        model = loaded.model
        step = int(options[0]) if options else ROWS
        start = time.perf_counter()
        frame = pd.read_parquet(source, columns=FEATURES)
        probabilities = np.concatenate([model.predict_proba(frame.iloc[i:i + step]) for i in range(0, len(frame), step)])
        scores = pd.DataFrame({"prediction": model.classes_.take(probabilities.argmax(axis=1))}
                              | {f"probability_{c}": probabilities[:, i] for i, c in enumerate(model.classes_)})
        scores.to_parquet(output)
        seconds, rows = time.perf_counter() - start, len(scores)
    else:
        chunk = int(options[0])
        if "bar" in options:
            from rich.console import Console

            import mloop.cli.predict as predict_cli

            predict_cli.err_console = Console(file=open(os.devnull, "w"), force_terminal=True)  # noqa: SIM115
            bar = predict_cli.ScoringProgress(f"scoring {source} with {MODEL}")
        start = time.perf_counter()
        if "bar" in options:
            with bar:
                result = mloop.score_batch(MODEL, source, output, id_column="row_id", chunk_rows=chunk,
                                           progress=bar.update)
        else:
            result = mloop.score_batch(MODEL, source, output, id_column="row_id", chunk_rows=chunk)
        seconds, rows = time.perf_counter() - start, result.rows
    return {"seconds": seconds, "rows": rows, "rows_per_s": rows / seconds, "peak_rss_mb": peak_rss_mb(),
            "ready_rss_mb": ready}


def run_side(arguments: list[str], source: Path, folder: str) -> dict[str, Any] | None:
    output = os.path.join(folder, f"scores-{'-'.join(arguments)}.parquet")
    done = subprocess.run([sys.executable, __file__, "--workload", arguments[0], str(source), output, *arguments[1:]],
                          capture_output=True, text=True)
    if done.returncode != 0:
        note(f"{' '.join(arguments)} failed; its row shows '—'\n{done.stderr}")
        return None
    os.unlink(output)
    return json.loads(done.stdout.strip().splitlines()[-1])


def print_table(figures: dict[str, dict[str, Any] | None]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"Batch scoring (issue 10): {ROWS:,} rows × {len(FEATURES)} float features, "
                        "HistGradientBoostingClassifier(max_iter=100), Parquet in and out")
    for column, justify in (("side", "left"), ("seconds", "right"), ("rows/s", "right"), ("peak RSS", "right"),
                            ("RSS before the data", "right"), ("vs baseline", "right")):
        table.add_column(column, justify=justify)  # type: ignore[arg-type]
    base = figures.get("baseline")
    for key, label, _ in SIDES:
        found = figures.get(key)
        if not found:
            table.add_row(label, "—", "—", "—", "—", "—")
            continue
        ratio = f"{found['rows_per_s'] / base['rows_per_s']:.2f}× rows/s" if base else "—"
        table.add_row(label, f"{found['seconds']:.2f}", f"{found['rows_per_s']:,.0f}", f"{found['peak_rss_mb']:,.0f} MB",
                      f"{found['ready_rss_mb']:,.0f} MB", ratio)
    console = Console()
    if not console.is_terminal:
        console = Console(width=150)
    console.print(table)


def main() -> None:
    load = os.getloadavg()
    if load[0] > 0.5 * (os.cpu_count() or 1):
        note(f"the machine is busy (load average {load[0]:.1f}): timings will be noisy")
    source = data_file(ROWS, seed=2, labelled=False)
    figures: dict[str, dict[str, Any] | None] = {}
    with fresh_home() as folder:
        register_model()
        for key, _, arguments in SIDES:
            figures[key] = run_side(arguments, source, folder)
    print_table(figures)
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps({
        "benchmark": "batch_scoring",
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform(),
                    "load_average_at_start": load},
        "workload": {"rows": ROWS, "features": len(FEATURES), "model": "HistGradientBoostingClassifier(max_iter=100)",
                     "train_rows": TRAIN_ROWS, "input": str(source)},
        "sides": {key: {"label": label, **(figures.get(key) or {})} for key, label, _ in SIDES},
    }, indent=2) + "\n")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--workload":
        print(json.dumps(workload(*sys.argv[2:])))
    else:
        main()
