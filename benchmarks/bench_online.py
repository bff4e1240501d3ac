"""Issue 9's online-store benchmark: SQLite (the default) and Redis side by side in one run.

    python benchmarks/bench_online.py

Workloads, the same for both stores:
- materialize: `write_batch` of 100,000 entities × 10 float features into an empty view, timed
  from the call to its return (encoding included; rows/s); then the same batch again, every row
  an update (the upsert path);
- single reads: 10,000 `read` calls of 1 entity × 10 features, each timed (p50, p99 in µs);
- batch reads: 1,000 `read` calls of 100 random entities (p50, p99).
Redis is the one at 127.0.0.1:6379 (MLOOP_BENCH_REDIS_URL), under a prefix of its own that is
deleted afterwards; without it its column shows '—'. Prints a table and writes
benchmarks/results/online.json.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import sys
import tempfile
import time
import traceback
import uuid
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from common import note  # noqa: E402

RESULTS = HERE / "results" / "online.json"
REDIS_URL = os.environ.get("MLOOP_BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")
ENTITIES = 100_000
FEATURES = 10
SINGLE_READS = 10_000
BATCH = 100
BATCH_READS = 1_000
TARGET_P99_S = {"sqlite": 0.001, "redis": 0.002}


def workload() -> tuple[list[str], np.ndarray, dict[str, np.ndarray]]:
    from mloop.stores.online import entity_keys

    rng = np.random.default_rng(9)
    keys = entity_keys([np.char.add("customer-", np.arange(ENTITIES).astype(str))])
    times = np.datetime64("2024-01-01T00:00:00", "us") + rng.integers(0, 10**13, ENTITIES).astype("timedelta64[us]")
    return keys, times, {f"f{i}": rng.standard_normal(ENTITIES) for i in range(FEATURES)}


def measure(store: Any) -> dict:
    keys, times, features = workload()
    view = "customer_stats"
    start = time.perf_counter()
    written = store.write_batch(view, keys, times, features)
    insert_s = time.perf_counter() - start
    start = time.perf_counter()
    updated = store.write_batch(view, keys, times, features)  # equal times: every row is replaced
    update_s = time.perf_counter() - start
    if written != ENTITIES or updated != ENTITIES or store.stats(view).rows != ENTITIES:
        raise RuntimeError(f"wrote {written} then {updated} rows, expected {ENTITIES}")
    names = list(features)
    rng = np.random.default_rng(3)
    picks = rng.integers(0, ENTITIES, SINGLE_READS)
    for index in picks[:200]:  # warm-up: connections, prepared statements
        store.read(view, [keys[index]], names)
    single = []
    for index in picks:
        key = [keys[index]]
        start = time.perf_counter()
        row = store.read(view, key, names)[0]
        single.append(time.perf_counter() - start)
        if row is None or len(row.values) != FEATURES:
            raise RuntimeError(f"read of {key} returned {row}")
    if store.read(view, [keys[picks[0]]], names)[0].values["f0"] != features["f0"][picks[0]]:
        raise RuntimeError("a read returned another value than was written")
    batches = []
    for _ in range(BATCH_READS):
        chosen = [keys[i] for i in rng.integers(0, ENTITIES, BATCH)]
        start = time.perf_counter()
        rows = store.read(view, chosen, names)
        batches.append(time.perf_counter() - start)
        if any(row is None for row in rows):
            raise RuntimeError("a batch read missed a stored entity")
    return {
        "insert_s": insert_s, "insert_rows_per_s": ENTITIES / insert_s,
        "update_s": update_s, "update_rows_per_s": ENTITIES / update_s,
        "single": percentiles(single), "batch": percentiles(batches),
    }


def percentiles(seconds: list[float]) -> dict:
    ordered = sorted(seconds)
    return {"p50_s": statistics.median(ordered), "p99_s": ordered[int(len(ordered) * 0.99) - 1],
            "max_s": ordered[-1], "calls": len(ordered)}


def sqlite_figures() -> dict | None:
    from mloop.stores.online import open_online_store

    try:
        with tempfile.TemporaryDirectory(prefix="mloop-bench-online-") as folder:
            store = open_online_store(f"sqlite:///{folder}/online.db")
            try:
                figures = measure(store)
                figures["file_mb"] = sum(f.stat().st_size for f in Path(folder).iterdir()) / 1e6
                return figures
            finally:
                store.close()
    except Exception:
        note("the SQLite side failed; its column shows '—'\n" + traceback.format_exc())
        return None


def redis_figures() -> dict | None:
    from mloop.core.errors import ConfigError
    from mloop.stores.online import open_online_store

    prefix = f"mloop-bench-{uuid.uuid4().hex[:8]}:"
    store = open_online_store(f"{REDIS_URL}?prefix={prefix}")
    try:
        store.check_writable()
        figures = measure(store)
        info = store._client.info("memory")  # type: ignore[attr-defined]
        figures["server_used_memory_mb"] = info["used_memory"] / 1e6
        return figures
    except ConfigError as error:
        note(f"{error}; the Redis column shows '—'")
        return None
    except Exception:
        note("the Redis side failed; its column shows '—'\n" + traceback.format_exc())
        return None
    finally:
        try:
            store.delete_view("customer_stats")
        except Exception as error:
            note(f"could not clean up Redis prefix {prefix}: {error}")
        store.close()


def rate(figures: dict | None, key: str) -> str:
    return "—" if not figures else f"{figures[key]:,.0f} rows/s"


def micros(figures: dict | None, workload: str, which: str, target_s: float | None = None) -> str:
    if not figures:
        return "—"
    value = figures[workload][which]
    text = f"{value * 1e6:,.0f} µs"
    return text if target_s is None else f"{text} {'✓' if value < target_s else '✗'}"


def print_table(sqlite: dict | None, redis: dict | None) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title="Online store (issue 9): SQLite and Redis, in-process, 10 float features")
    table.add_column("workload")
    for column in ("SQLite", "Redis", "target"):
        table.add_column(column, justify="right")
    targets = f"p99 < {TARGET_P99_S['sqlite'] * 1e3:g} ms SQLite, < {TARGET_P99_S['redis'] * 1e3:g} ms Redis"
    table.add_row(f"materialize {ENTITIES:,} new entities (write_batch)", rate(sqlite, "insert_rows_per_s"),
                  rate(redis, "insert_rows_per_s"), "")
    table.add_row(f"materialize the same {ENTITIES:,} again (all updates)", rate(sqlite, "update_rows_per_s"),
                  rate(redis, "update_rows_per_s"), "")
    for which in ("p50_s", "p99_s"):
        label = which[:3]
        table.add_row(f"read 1 entity, {SINGLE_READS:,} calls: {label}",
                      micros(sqlite, "single", which, TARGET_P99_S["sqlite"] if label == "p99" else None),
                      micros(redis, "single", which, TARGET_P99_S["redis"] if label == "p99" else None),
                      targets if label == "p99" else "")
    for which in ("p50_s", "p99_s"):
        table.add_row(f"read {BATCH} entities, {BATCH_READS:,} calls: {which[:3]}",
                      micros(sqlite, "batch", which), micros(redis, "batch", which), "")
    console = Console()
    if not console.is_terminal:
        console = Console(width=150)
    console.print(table)


def main() -> None:
    load = os.getloadavg()
    if load[0] > 0.5 * (os.cpu_count() or 1):
        note(f"the machine is busy (load average {load[0]:.1f}): timings will be noisy")
    sqlite = sqlite_figures()
    redis = redis_figures()
    print_table(sqlite, redis)
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps({
        "benchmark": "online",
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform(),
                    "load_average_at_start": load},
        "workloads": {"entities": ENTITIES, "features": FEATURES, "single_reads": SINGLE_READS, "batch": BATCH,
                      "batch_reads": BATCH_READS, "redis_url": REDIS_URL},
        "targets": {"single_read_p99_s": TARGET_P99_S},
        "sqlite": sqlite,
        "redis": redis,
    }, indent=2) + "\n")
    print(f"wrote {RESULTS.relative_to(HERE.parent)}")


if __name__ == "__main__":
    main()
