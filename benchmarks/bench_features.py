"""Issue 9's point-in-time benchmark: `point_in_time_join` vs a hand-written DuckDB ASOF JOIN on the
same Parquet files, and Feast's `get_historical_features` beside them, in one run.

    python benchmarks/bench_features.py

Data (DuckDB writes it once under the bench cache): E entities × 10 event times × 10 float features
f0..f9, event times 0–3 days apart per entity and a `created` time 0–5 days after each event (so
"known at the time" excludes many latest rows); entity rows with random keys (2% unknown) and random
times, a label column. Workloads:
- 1,000,000 feature rows joined to 100,000 entity rows (median of REPEATS, interleaved):
  the hand-written `ASOF LEFT JOIN` (no de-duplication, no row order) is the baseline; mloop by event
  time (a view without created field, and one with it and `known_at_time=False`) must be within
  1.5× of it with identical values; mloop "as known at the time" (the default with a created field)
  beside the hand-written range join + arg_max it uses and the exact running-arg_max window + ASOF
  formulation it does not (both give its values); two views of 5 features each (mloop: one query
  per view, in row order) vs one hand-written query with two ASOF joins;
- 10,000,000 feature rows joined to 1,000,000 entity rows, in feature rows/s;
- Feast (its own venv, duckdb offline store) on the 1M workload; `feast apply` is not timed.
Prints a table and writes benchmarks/results/features.json.
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
import zlib
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import peers  # noqa: E402
from common import note  # noqa: E402

RESULTS = HERE / "results" / "features.json"
CACHE = peers.CACHE / "data"
FEATURES = [f"f{i}" for i in range(10)]
TARGET_RATIO = 1.5
REPEATS = int(os.environ.get("MLOOP_BENCH_REPEATS", "5"))


# ---------------------------------------------------------------- data


def _write(path: Path, sql: str) -> Path:
    if path.exists():
        return path
    import duckdb

    CACHE.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false")
    con.execute(f"SELECT setseed({zlib.crc32(path.name.encode()) / 2**32})")
    con.execute(f"COPY ({sql}) TO '{tmp}' (FORMAT parquet, ROW_GROUP_SIZE 122880)")
    os.replace(tmp, path)
    return path


def feature_file(entities: int, per: int = 10) -> Path:
    values = ", ".join(f"random() AS {f}" for f in FEATURES)
    day = 86400e6
    return _write(CACHE / f"features-{entities}x{per}x10.parquet", f"""
        SELECT e AS entity_id, ts AS event_timestamp, ts + to_microseconds((random() * 5 * {day})::BIGINT) AS created,
               {values}
        FROM (SELECT i // {per} AS e, TIMESTAMP '2024-01-01' + to_microseconds(((i % {per}) * 3 * {day}
                     + random() * 3 * {day})::BIGINT) AS ts FROM range({entities * per}) t(i))""")


def entity_file(entities: int, rows: int) -> Path:
    return _write(CACHE / f"entity-rows-{entities}-{rows}.parquet", f"""
        SELECT (random() * {entities} * 1.02)::BIGINT AS entity_id,
               TIMESTAMP '2023-12-31' + to_microseconds((random() * 33 * 86400e6)::BIGINT) AS event_timestamp,
               random() < 0.5 AS label
        FROM range({rows})""")


# ---------------------------------------------------------------- the contenders


def handwritten(features: Path, rows: Path, *, ordered: bool = False) -> str:
    values = ", ".join(f"f.{f}" for f in FEATURES)
    if not ordered:
        return (f"SELECT e.*, {values} FROM read_parquet('{rows}') e ASOF LEFT JOIN read_parquet('{features}') f "
                "ON e.entity_id = f.entity_id AND e.event_timestamp >= f.event_timestamp")
    return (f"SELECT {values} FROM (SELECT *, row_number() OVER () AS r FROM read_parquet('{rows}')) e "
            f"ASOF LEFT JOIN read_parquet('{features}') f ON e.entity_id = f.entity_id "
            "AND e.event_timestamp >= f.event_timestamp ORDER BY e.r")


def handwritten_two_views(features: Path, rows: Path) -> str:
    a = ", ".join(f"a.{f}" for f in FEATURES[:5])
    b = ", ".join(f"b.{f}" for f in FEATURES[5:])
    return (f"SELECT e.*, {a}, {b} FROM read_parquet('{rows}') e "
            f"ASOF LEFT JOIN (SELECT entity_id, event_timestamp, {', '.join(FEATURES[:5])} FROM read_parquet('{features}')) a "
            "ON e.entity_id = a.entity_id AND e.event_timestamp >= a.event_timestamp "
            f"ASOF LEFT JOIN (SELECT entity_id, event_timestamp, {', '.join(FEATURES[5:])} FROM read_parquet('{features}')) b "
            "ON e.entity_id = b.entity_id AND e.event_timestamp >= b.event_timestamp")


def _known_source(features: Path) -> str:
    return (f"(SELECT entity_id, epoch_us(event_timestamp) AS t, epoch_us(created) AS c, hash({', '.join(FEATURES)}) "
            f"AS h, {', '.join(FEATURES)} FROM read_parquet('{features}'))")


def handwritten_known_range(features: Path, rows: Path) -> str:
    payload = ", ".join(f"'{f}': f.{f}" for f in FEATURES)
    return (f"SELECT v.* FROM (SELECT e.r, arg_max({{{payload}}}, {{'t': f.t, 'c': f.c, 'h': f.h}}) AS v "
            f"FROM (SELECT row_number() OVER () AS r, entity_id, epoch_us(event_timestamp) AS t FROM read_parquet('{rows}')) e "
            f"LEFT JOIN {_known_source(features)} f ON e.entity_id = f.entity_id AND f.t <= e.t AND f.c <= e.t "
            "GROUP BY e.r) ORDER BY r")


def handwritten_known_window(features: Path, rows: Path) -> str:
    values = ", ".join(f"f.{f}" for f in FEATURES)
    return (f"WITH s AS {_known_source(features)}, "
            "w AS (SELECT entity_id, greatest(t, c) AS g, max({'t': t, 'c': c, 'h': h}) OVER "
            "(PARTITION BY entity_id ORDER BY greatest(t, c)) AS best FROM s), "
            f"a AS (SELECT e.r, e.entity_id, w.best FROM (SELECT row_number() OVER () AS r, entity_id, "
            f"epoch_us(event_timestamp) AS t FROM read_parquet('{rows}')) e ASOF LEFT JOIN w "
            "ON e.entity_id = w.entity_id AND e.t >= w.g) "
            f"SELECT {values} FROM a LEFT JOIN s f ON a.entity_id = f.entity_id AND a.best.t = f.t "
            "AND a.best.c = f.c AND a.best.h = f.h ORDER BY a.r")


def duckdb_run(sql: str) -> Callable[[], object]:
    import duckdb

    def run() -> object:
        con = duckdb.connect()
        try:
            return con.sql(sql).to_arrow_table()
        finally:
            con.close()
    return run


def mloop_run(features: Path, rows: Path, *, created: bool, known: bool = True, split: bool = False) -> Callable[[], object]:
    import pyarrow.parquet as pq

    from mloop.features.offline import ViewQuery, point_in_time_join

    def view(name: str, names: list[str]) -> ViewQuery:
        return ViewQuery(name=name, source=str(features), join_keys=("entity_id",), timestamp_field="event_timestamp",
                         created_timestamp_field="created" if created else None, features=tuple(names), ttl=None)

    views = [view("a", FEATURES[:5]), view("b", FEATURES[5:])] if split else [view("fv", FEATURES)]

    def run() -> object:  # reading the entity rows is part of the time, as the baseline reads them
        return point_in_time_join(pq.read_table(rows), views, known_at_time=known)
    return run


def timed(runs: dict[str, Callable[[], object]], repeats: int) -> tuple[dict[str, list[float]], dict[str, object]]:
    times: dict[str, list[float]] = {name: [] for name in runs}
    last: dict[str, object] = {}
    for name, run in runs.items():  # warm-up: file cache, imports
        last[name] = run()
    for _ in range(repeats):  # interleaved, so a busy moment of the machine hits every contender
        for name, run in runs.items():
            start = time.perf_counter()
            last[name] = run()
            times[name].append(time.perf_counter() - start)
    for name, values in times.items():
        print(f"[features] {name}: {[round(v, 3) for v in values]} s", file=sys.stderr, flush=True)
    return times, last


def same_values(table: object, reference: object) -> bool:
    return all(table.column(f).equals(reference.column(f)) for f in FEATURES)  # type: ignore[attr-defined]


# ---------------------------------------------------------------- workloads


def one_million() -> dict:
    features, rows = feature_file(100_000), entity_file(100_000, 100_000)
    runs = {
        "asof": duckdb_run(handwritten(features, rows)),
        "mloop_event": mloop_run(features, rows, created=False),
        "mloop_created_event": mloop_run(features, rows, created=True, known=False),
        "mloop_known": mloop_run(features, rows, created=True),
        "range_known": duckdb_run(handwritten_known_range(features, rows)),
        "window_known": duckdb_run(handwritten_known_window(features, rows)),
        "asof_two_views": duckdb_run(handwritten_two_views(features, rows)),
        "mloop_two_views": mloop_run(features, rows, created=False, split=True),
    }
    times, last = timed(runs, REPEATS)
    reference = duckdb_run(handwritten(features, rows, ordered=True))()
    known = last["mloop_known"]
    return {
        "feature_rows": 1_000_000, "entity_rows": 100_000, "times_s": times,
        "same": {"mloop_event": same_values(last["mloop_event"], reference),
                 "mloop_created_event": same_values(last["mloop_created_event"], reference),
                 "mloop_two_views": same_values(last["mloop_two_views"], reference),
                 "range_known": same_values(last["range_known"], known),
                 "window_known": same_values(last["window_known"], known)},
        "known_nulls": known.column("f0").null_count,  # type: ignore[attr-defined]
        "event_nulls": reference.column("f0").null_count,
    }


def ten_million() -> dict:
    features, rows = feature_file(1_000_000), entity_file(1_000_000, 1_000_000)
    runs = {"asof": duckdb_run(handwritten(features, rows)),
            "mloop_event": mloop_run(features, rows, created=False),
            "mloop_known": mloop_run(features, rows, created=True)}
    times, last = timed(runs, 2)
    reference = duckdb_run(handwritten(features, rows, ordered=True))()
    return {"feature_rows": 10_000_000, "entity_rows": 1_000_000, "times_s": times,
            "same": {"mloop_event": same_values(last["mloop_event"], reference)}}


def feast_figures() -> dict | None:
    python = peers.peer_python("feast")
    if python is None:
        return None
    features, rows = feature_file(100_000), entity_file(100_000, 100_000)
    with tempfile.TemporaryDirectory(prefix="feast-bench-") as folder:
        out = Path(folder) / "out.parquet"
        try:
            done = subprocess.run([python, str(HERE / "workloads_feast.py"), str(features), str(rows), str(out)],
                                  cwd=folder, capture_output=True, text=True, timeout=1800,
                                  env={**os.environ, "FEAST_REPEATS": "3"})
        except subprocess.TimeoutExpired:
            note("Feast took over 30 minutes; its column shows '—'")
            return None
        RESULTS.parent.mkdir(exist_ok=True)
        RESULTS.with_name("feast-features.log").write_text(done.stderr)
        try:
            figures = json.loads(done.stdout.strip().splitlines()[-1])
        except (IndexError, ValueError):
            note(f"Feast's workload failed (exit {done.returncode}); see results/feast-features.log")
            return None
        import pyarrow.parquet as pq

        reference = duckdb_run(handwritten(features, rows, ordered=True))()
        figures["same"] = same_values(pq.read_table(out), reference)
    return figures


# ---------------------------------------------------------------- table


def seconds(values: list[float] | None) -> str:
    if not values:
        return "—"
    value = statistics.median(values)
    return f"{value * 1e3:.0f} ms" if value < 1 else f"{value:.2f} s"


def ratio(values: list[float] | None, baseline: list[float] | None, target: float | None = None) -> str:
    if not values or not baseline:
        return "—"
    value = statistics.median(values) / statistics.median(baseline)
    return f"{value:.2f}×" + ("" if target is None else (" ✓" if value <= target else " ✗"))


def rate(rows: int, values: list[float] | None) -> str:
    return "—" if not values else f"{rows / statistics.median(values):,.0f} rows/s"


def yes(flag: bool | None) -> str:
    return "—" if flag is None else ("yes" if flag else "NO")


def table_rows(m: dict, big: dict, feast: dict | None) -> list[tuple[str, str, str, str, str]]:
    t, same = m.get("times_s", {}), m.get("same", {})
    base = t.get("asof")
    rows = [
        ("1M × 100k: hand-written ASOF LEFT JOIN (baseline)", seconds(base), "1.00×", "", ""),
        ("1M × 100k: mloop, no created field", seconds(t.get("mloop_event")),
         ratio(t.get("mloop_event"), base, TARGET_RATIO), yes(same.get("mloop_event")), f"≤ {TARGET_RATIO}×"),
        ("1M × 100k: mloop, created field, known_at_time=False", seconds(t.get("mloop_created_event")),
         ratio(t.get("mloop_created_event"), base, TARGET_RATIO), yes(same.get("mloop_created_event")),
         f"≤ {TARGET_RATIO}×"),
        ("1M × 100k: mloop, created field, as known at the time", seconds(t.get("mloop_known")),
         ratio(t.get("mloop_known"), base), "", ""),
        ("  same, hand-written range join + arg_max (mloop's SQL)", seconds(t.get("range_known")),
         ratio(t.get("range_known"), base), yes(same.get("range_known")), ""),
        ("  same, hand-written running-max window + ASOF", seconds(t.get("window_known")),
         ratio(t.get("window_known"), base), yes(same.get("window_known")), ""),
        ("1M × 100k, 2 views × 5 features: hand-written, one query", seconds(t.get("asof_two_views")),
         ratio(t.get("asof_two_views"), base), "", ""),
        ("1M × 100k, 2 views × 5 features: mloop, a query per view", seconds(t.get("mloop_two_views")),
         ratio(t.get("mloop_two_views"), t.get("asof_two_views")) + " of 2-view", yes(same.get("mloop_two_views")), ""),
    ]
    if feast:
        rows.append((f"1M × 100k: Feast {feast['version']} get_historical_features (duckdb store)",
                     seconds(feast.get("retrieval_s")), ratio(feast.get("retrieval_s"), base), yes(feast.get("same")), ""))
    else:
        rows.append(("1M × 100k: Feast get_historical_features", "—", "—", "—", "not run (see note)"))
    bt = big.get("times_s", {})
    for key, label in (("asof", "hand-written ASOF"), ("mloop_event", "mloop, no created field"),
                       ("mloop_known", "mloop, as known at the time")):
        rows.append((f"10M × 1M: {label}", seconds(bt.get(key)), rate(10_000_000, bt.get(key)),
                     yes(big.get("same", {}).get(key)) if key == "mloop_event" else "", ""))
    return rows


def print_table(m: dict, big: dict, feast: dict | None) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title="Point-in-time join (issue 9): feature rows × entity rows, 10 float features")
    table.add_column("workload")
    for column in ("time (median)", "vs baseline / rate", "same values", "target"):
        table.add_column(column, justify="right")
    for row in table_rows(m, big, feast):
        table.add_row(*row)
    console = Console()
    if not console.is_terminal:
        console = Console(width=160)
    console.print(table)
    if m:
        console.print(f"Entity rows with no value: {m['event_nulls']:,} by event time, {m['known_nulls']:,} as known "
                      f"at the time (late rows excluded). mloop times include reading the entity rows with pyarrow.")


def _safely(work: Callable[[], dict], what: str) -> dict:
    try:
        return work()
    except Exception:
        note(f"the {what} workload failed; its figures show '—'\n" + traceback.format_exc())
        return {}


def main() -> None:
    load = os.getloadavg()
    if load[0] > 0.5 * (os.cpu_count() or 1):
        note(f"the machine is busy (load average {load[0]:.1f}): timings will be noisy")
    import duckdb

    m = _safely(one_million, "1M")
    feast = feast_figures()
    big = _safely(ten_million, "10M") if not os.environ.get("MLOOP_BENCH_QUICK") else {}
    print_table(m, big, feast)
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps({
        "benchmark": "features",
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform(),
                    "duckdb": duckdb.__version__, "load_average_at_start": load},
        "targets": {"ratio_to_handwritten_asof": TARGET_RATIO},
        "repeats": REPEATS,
        "one_million": m, "ten_million": big, "feast": feast,
    }, indent=2, default=str) + "\n")
    print(f"wrote {RESULTS.relative_to(HERE.parent)}")


if __name__ == "__main__":
    main()
