"""The data of the data-quality benchmarks, written once as Parquet under the bench cache (DuckDB
generates it, so even the 5 GB file takes about a minute), and the checks every tool runs.

- `validation(rows)`: 20 columns — id (unique int), 10 numeric n0..n9 in [0, 1000], 5 categorical
  strings, an email-like string, a timestamp, and two numeric columns (score, age) with a few nulls
  that no not-null check covers; every check of CHECKS passes.
- `drift_pair(rows, shifted)`: 20 standard-normal columns x0..x19 on both sides; on the current
  side the first `shifted` columns move by 0.3 std.
- `wide(rows, columns, tag)`: `columns` uniform [0, 1) columns.

Every file has its own random seed (from its name): files written with one seed would be copies of
each other, so a "current" side would equal its reference column for column.
"""

from __future__ import annotations

import os
import zlib
from pathlib import Path

CACHE = Path(os.environ.get("MLOOP_BENCH_CACHE", Path.home() / ".cache" / "mloop-bench")) / "data"
NUMERIC = [f"n{i}" for i in range(10)]
CATEGORIES = {"country": ["DE", "FR", "US", "GB", "IT"], "channel": ["web", "app", "store"],
              "tier": ["free", "pro", "team", "enterprise"], "device": ["ios", "android", "desktop"],
              "currency": ["EUR", "USD", "GBP"]}


def _write(path: Path, select: str, rows: int) -> Path:
    if path.exists():
        return path
    import duckdb

    CACHE.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false")
    con.execute(f"SELECT setseed({zlib.crc32(path.name.encode()) / 2**32})")
    con.execute(f"COPY (SELECT {select} FROM range({rows}) t(i)) TO '{tmp}' (FORMAT parquet, ROW_GROUP_SIZE 122880)")
    os.replace(tmp, path)
    return path


def _normal(shift: float = 0.0) -> str:  # Box–Muller from DuckDB's random()
    return f"(sqrt(-2 * ln(1 - random())) * cos(2 * pi() * random()) + {shift})"


def validation_file(rows: int) -> Path:
    """Where `validation(rows)` writes its file (to see whether it exists without writing it)."""
    return CACHE / f"validation-{rows}x20.parquet"


def validation(rows: int) -> Path:
    cats = ", ".join(f"({[*values]!r})[1 + floor(random() * {len(values)})::INT] AS {name}"
                     for name, values in CATEGORIES.items())
    numeric = ", ".join(f"round(random() * 1000, 2) AS {n}" for n in NUMERIC)
    select = (f"i AS id, {numeric}, {cats}, 'user' || i || '@example.com' AS email, "
              "TIMESTAMP '2026-01-01' + to_seconds(i % 86400) AS event_time, "
              "CASE WHEN random() < 0.01 THEN NULL ELSE random() END AS score, "
              "CASE WHEN random() < 0.02 THEN NULL ELSE floor(random() * 100)::INT END AS age")
    return _write(validation_file(rows), select, rows)


def drift_pair(rows: int, shifted: int, columns: int = 20) -> tuple[Path, Path]:
    ref = _write(CACHE / f"drift-ref-{rows}x{columns}.seeded.parquet",
                 ", ".join(f"{_normal()} AS x{c}" for c in range(columns)), rows)
    cur = _write(CACHE / f"drift-cur-{rows}x{columns}-s{shifted}.seeded.parquet",
                 ", ".join(f"{_normal(0.3 if c < shifted else 0.0)} AS x{c}" for c in range(columns)), rows)
    return ref, cur


def wide(rows: int, columns: int, tag: str = "a") -> Path:
    return _write(CACHE / f"wide-{tag}-{rows}x{columns}.seeded.parquet",
                  ", ".join(f"random() AS w{c}" for c in range(columns)), rows)


# The 20 checks of the validation benchmark, as plain data every tool's adapter reads.
CHECKS: list[dict] = (
    [{"kind": "not_null", "column": c} for c in ("id", "n0", "n1", "n2", "country", "channel", "email")]
    + [{"kind": "range", "column": c, "min": 0, "max": 1000} for c in ("n0", "n1", "n2", "n3", "n4", "n5")]
    + [{"kind": "allowed_values", "column": c, "values": CATEGORIES[c]} for c in ("country", "channel", "tier",
                                                                                 "device")]
    + [{"kind": "unique", "column": "id"},
       {"kind": "regex", "column": "email", "pattern": r"[a-z0-9]+@example\.com"},
       {"kind": "row_count", "min": 1, "max": 10_000_000}]
)
assert len(CHECKS) == 20
