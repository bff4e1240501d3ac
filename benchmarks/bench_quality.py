"""Issue 8's data-quality benchmark: mloop beside a hand-written baseline and the peer tools, in one run.

    python benchmarks/bench_quality.py          # MLOOP_BENCH_BIG=1 adds the 5 GB memory workload

Sections (data in quality_data.py, DuckDB-generated Parquet in the bench cache):
1. validation of 1,000,000 rows × 20 columns with the 20 checks of `CHECKS`: mloop on the Parquet
   file and on the pandas DataFrame, a hand-written single-pass DuckDB query for the same 20 answers
   (on the file), Pandera and Great Expectations (pandas in memory); median of 3 after a warm-up;
2. drift of 100,000 vs 100,000 rows × 20 columns, x0..x4 shifted by 0.3 std: mloop, the plain
   scipy baseline (ks_2samp + wasserstein_distance per column), Evidently; and 1,000,000 vs
   1,000,000 rows of one distribution, where nothing may be flagged;
3. drift against a stored profile (`profile_data` once) vs against the raw reference file;
4. 100,000 rows × 1,000 numeric columns: profile and drift time and peak RSS, each in a fresh
   process; Evidently and the scipy baseline on 50 of the columns;
5. peak RSS while validating a ~5 GB Parquet file (68M rows of the validation table) with 6 checks,
   then with all 20, each in a fresh process (only with MLOOP_BENCH_BIG=1, or once the file exists;
   generating it takes a minute or two).
The peers run in their own venvs (peers.py) through workloads_quality_peers.py; a peer that cannot
run shows '—' with a note, and never fails the benchmark. Prints one table per section and writes
benchmarks/results/quality.json.
"""

from __future__ import annotations

import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import quality_data as d  # noqa: E402
from common import note  # noqa: E402
from quality_runs import (  # noqa: E402
    REPEATS,
    Row,
    checks_file,
    child_cell,
    flagged,
    in_process,
    mloop_child,
    none_cell,
    peer,
    peer_time,
    print_table,
    ratio,
    seconds,
    timed,
    verdict,
    versions,
)

RESULTS = HERE / "results" / "quality.json"
RATIO_TARGET = 2.0  # mloop within 2× of the hand-written baseline
SHIFTED = [f"x{i}" for i in range(5)]
WIDE = (100_000, 1_000)
WIDE_PEER_COLUMNS = 50
BIG_ROWS = 68_000_000  # ~5.0 GB of the validation table (73 bytes a row)
BIG_RSS_TARGET_MB = 2048
EVIDENTLY_TIMEOUT = 60  # Evidently on 1M rows or 50 wide columns: stopped after this, shown as "> N s"


# ---------------------------------------------------------------- the checks


def mloop_checks(checks: list[dict]) -> list[dict]:
    """`CHECKS` in mloop's form: the kind under the key `check`."""
    return [{"check": c["kind"], **{k: v for k, v in c.items() if k != "kind"}} for c in checks]


def duckdb_sql(path: Path, checks: list[dict]) -> str:
    """The hand-written single-pass query: one failing-row count per check (row_count: the count)."""
    return f"SELECT {', '.join(map(_answer, checks))} FROM read_parquet('{path}')"


def _answer(check: dict) -> str:
    column, kind = check.get("column"), check["kind"]
    if kind == "not_null":
        return f"count_if({column} IS NULL)"
    if kind == "range":
        return f"count_if({column} < {check['min']} OR {column} > {check['max']})"
    if kind == "allowed_values":
        return f"count_if({column} NOT IN ({', '.join(repr(v) for v in check['values'])}))"
    if kind == "unique":
        return f"count({column}) - count(DISTINCT {column})"
    if kind == "regex":
        return f"count_if(NOT regexp_full_match({column}, '{check['pattern']}'))"
    return "count(*)"


def duckdb_failures(answers: tuple, checks: list[dict]) -> int:
    return sum(not (c["min"] <= a <= c["max"]) if c["kind"] == "row_count" else a > 0
               for a, c in zip(answers, checks, strict=True))


# ---------------------------------------------------------------- 1. validation


def validation_figures(folder: str) -> dict:
    import duckdb
    import pandas as pd

    import mloop

    path, checks = d.validation(1_000_000), d.CHECKS
    suite = mloop.Suite(name="bench", checks=mloop_checks(checks))
    query = duckdb_sql(path, checks)

    def hand_written() -> tuple:
        connection = duckdb.connect()
        try:
            return connection.sql(query).fetchall()[0]
        finally:
            connection.close()

    figures: dict[str, Any] = {"rows": 1_000_000, "columns": 20, "checks": len(checks), "sql": query}
    figures["mloop_file_s"], report = timed(mloop.validate, path, suite)
    frame = pd.read_parquet(path)
    figures["mloop_pandas_s"], frame_report = timed(mloop.validate, frame, suite)
    figures["duckdb_s"], answers = timed(hand_written)
    figures["failures"] = {"mloop_file": len(report.failed), "mloop_pandas": len(frame_report.failed),
                           "duckdb": duckdb_failures(answers, checks)}
    listed = checks_file(checks, folder, "checks.json")
    for tool in ("pandera", "great_expectations"):
        figures[tool] = peer(tool, ["validate", str(path), listed, "--warmup"])
    print(f"[validation] mloop {figures['mloop_file_s']:.3f} s (file), {figures['mloop_pandas_s']:.3f} s (pandas); "
          f"DuckDB {figures['duckdb_s']:.3f} s", file=sys.stderr)
    return figures


def validation_rows(f: dict) -> list[Row]:
    if not f:
        return [("validation", "—", "—", "—", f"≤ {RATIO_TARGET:g}× DuckDB", "")]
    pandera, gx = f.get("pandera"), f.get("great_expectations")
    rows: list[Row] = []
    for key, label in (("mloop_file_s", "Parquet file"), ("mloop_pandas_s", "pandas DataFrame in memory")):
        r = ratio(f[key], f["duckdb_s"])
        peers_cell = f"Pandera {peer_time(pandera)}; GX {peer_time(gx)}" if key == "mloop_pandas_s" else ""
        rows.append((f"validate {f['rows']:,} × {f['columns']}, {f['checks']} checks: {label}", seconds(f[key]),
                     f"DuckDB SQL {seconds(f['duckdb_s'])} (mloop {r:.2f}×)", peers_cell,
                     f"≤ {RATIO_TARGET:g}× DuckDB", verdict(r is not None and r <= RATIO_TARGET)))
    counts = [f["failures"]["mloop_file"], f["failures"]["mloop_pandas"], f["failures"]["duckdb"]]
    peer_counts = [p["failures"] for p in (pandera, gx) if p and "failures" in p]
    rows.append(("checks failed (every tool must find 0)", f"{counts[0]} (file), {counts[1]} (pandas)",
                 f"DuckDB {counts[2]}",
                 f"Pandera {_failures(pandera)}; GX {_failures(gx)}", "0",
                 verdict(not any(counts) and not any(peer_counts))))
    return rows


def _failures(found: dict | None) -> str:
    return "—" if not found or "failures" not in found else str(found["failures"])


# ---------------------------------------------------------------- 2. drift


def drift_figures() -> dict:
    import pandas as pd

    import mloop

    figures: dict[str, Any] = {}
    ref, cur = d.drift_pair(100_000, 5)
    small: dict[str, Any] = {"rows": 100_000, "columns": 20, "shifted": SHIFTED}
    small["mloop_file_s"], report = timed(mloop.detect_drift, ref, cur)
    small["mloop_flagged"] = report.drifted_columns
    left, right = pd.read_parquet(ref), pd.read_parquet(cur)
    small["mloop_pandas_s"], frame_report = timed(mloop.detect_drift, left, right)
    small["mloop_pandas_flagged"] = frame_report.drifted_columns
    small["scipy"] = peer("scipy", ["drift", str(ref), str(cur), "--warmup"])
    small["evidently"] = peer("evidently", ["drift", str(ref), str(cur)], timeout=EVIDENTLY_TIMEOUT)
    figures["100k"] = small
    print(f"[drift] 100k: mloop {small['mloop_file_s']:.3f} s, flagged {report.drifted_columns}", file=sys.stderr)

    ref, cur = d.drift_pair(1_000_000, 0)
    large: dict[str, Any] = {"rows": 1_000_000, "columns": 20, "shifted": []}
    large["mloop_file_s"], report = timed(mloop.detect_drift, ref, cur)
    large["mloop_flagged"] = report.drifted_columns
    large["ks_pvalues"] = [c.ks_pvalue for c in report.columns]
    large["raw_ks_flagged"] = [c.name for c in report.columns if c.ks_pvalue is not None and c.ks_pvalue < 0.05]
    large["scipy"] = peer("scipy", ["drift", str(ref), str(cur), "--repeats", "1"])
    large["evidently"] = peer("evidently", ["drift", str(ref), str(cur)], timeout=EVIDENTLY_TIMEOUT)
    figures["1m"] = large
    print(f"[drift] 1M: mloop {large['mloop_file_s']:.3f} s, flagged {report.drifted_columns}", file=sys.stderr)
    return figures


def drift_rows(f: dict) -> list[Row]:
    rows: list[Row] = []
    target = f"≤ {RATIO_TARGET:g}× scipy"
    small, large = f.get("100k"), f.get("1m")
    if small:
        scipy, evidently = small["scipy"], small["evidently"]
        base = scipy.get("seconds") if scipy else None
        for key, label in (("mloop_file_s", "Parquet files"), ("mloop_pandas_s", "pandas in memory")):
            r = ratio(small[key], base)
            rows.append((f"drift 100k vs 100k × 20, 5 shifted 0.3 std: {label}", seconds(small[key]),
                         f"scipy {peer_time(scipy)}" + (f" (mloop {r:.2f}×)" if r else ""),
                         f"Evidently {peer_time(evidently)}" if key == "mloop_file_s" else "", target,
                         verdict(None if r is None else r <= RATIO_TARGET)))
        rows.append(("  flagged (x0..x4 are shifted)", _exact(small["mloop_flagged"]),
                     f"scipy {_exact(_drifted(scipy))}", f"Evidently {_exact(_drifted(evidently))}",
                     "exactly x0..x4", verdict(small["mloop_flagged"] == SHIFTED
                                                and small["mloop_pandas_flagged"] == SHIFTED)))
    if large:
        scipy, evidently = large["scipy"], large["evidently"]
        r = ratio(large["mloop_file_s"], scipy.get("seconds") if scipy else None)
        rows.append(("drift 1M vs 1M × 20, one distribution: Parquet files", seconds(large["mloop_file_s"]),
                     f"scipy {peer_time(scipy)}" + (f" (mloop {r:.2f}×)" if r else ""),
                     f"Evidently {peer_time(evidently)}", target, verdict(None if r is None else r <= RATIO_TARGET)))
        rows.append(("  flagged (nothing drifted)", none_cell(large["mloop_flagged"]), f"scipy {none_cell(_drifted(scipy))}",
                     f"Evidently {none_cell(_drifted(evidently))}", "none", verdict(not large["mloop_flagged"])))
        rows.append(("  contrast: a raw KS p < 0.05 would flag", f"{len(large['raw_ks_flagged'])} of 20", "", "",
                     "", ""))
    return rows or [("drift", "—", "—", "—", target, "")]


def _drifted(found: dict | None) -> list[str] | None:
    return None if not found or "drifted" not in found else found["drifted"]


def _exact(columns: list[str] | None) -> str:
    return "—" if columns is None else flagged(columns) + (" ✓" if columns == SHIFTED else " ✗")


# ---------------------------------------------------------------- 3. drift against a stored profile


def profile_figures(drift: dict) -> dict:
    import mloop

    figures: dict[str, Any] = {}
    for key, rows, shifted in (("100k", 100_000, 5), ("1m", 1_000_000, 0)):
        ref, cur = d.drift_pair(rows, shifted)
        start = time.perf_counter()
        stored = mloop.profile_data(ref)
        found: dict[str, Any] = {"rows": rows, "profile_s": time.perf_counter() - start,
                                 "profile_json_bytes": len(json.dumps(stored.to_dict()))}
        found["vs_profile_s"], report = timed(mloop.detect_drift, stored, cur)
        found["vs_profile_flagged"] = report.drifted_columns
        raw = drift.get(key) or {}
        if "mloop_file_s" not in raw:  # the drift section failed: measure the raw side here
            raw = {}
            raw["mloop_file_s"], raw_report = timed(mloop.detect_drift, ref, cur)
            raw["mloop_flagged"] = raw_report.drifted_columns
        found["vs_raw_s"], found["vs_raw_flagged"] = raw["mloop_file_s"], raw["mloop_flagged"]
        found["saved_s"] = found["vs_raw_s"] - found["vs_profile_s"]
        figures[key] = found
    return figures


def profile_rows(f: dict) -> list[Row]:
    rows: list[Row] = []
    for key in ("100k", "1m"):
        found = f.get(key)
        if not found:
            continue
        n = f"{found['rows']:,}"
        rows.append((f"profile_data(reference), once: {n} × 20", seconds(found["profile_s"]),
                     f"stored as {found['profile_json_bytes'] / 1024:,.0f} KB of JSON", "", "", ""))
        saved = found["saved_s"]
        same = found["vs_profile_flagged"] == found["vs_raw_flagged"]
        rows.append((f"  detect_drift(profile, current) vs (reference file, current): {n}",
                     seconds(found["vs_profile_s"]),
                     f"raw reference {seconds(found['vs_raw_s'])}; saves {seconds(max(saved, 0))} "
                     f"({saved / found['vs_raw_s']:.0%})", "",
                     "faster, same columns flagged",
                     verdict(saved > 0 and same) + ("" if same else " (flagged differ)")))
    return rows or [("drift against a stored profile", "—", "—", "", "", "")]


# ---------------------------------------------------------------- 4. wide


def wide_figures() -> dict:
    rows, columns = WIDE
    a, b = str(d.wide(rows, columns, "a")), str(d.wide(rows, columns, "b"))
    figures: dict[str, Any] = {"rows": rows, "columns": columns, "peer_columns": WIDE_PEER_COLUMNS}
    figures["profile"] = mloop_child(["profile", a], "mloop profile_data (wide)")
    figures["drift"] = mloop_child(["drift", a, b], "mloop detect_drift (wide)")
    narrow = ["--columns", str(WIDE_PEER_COLUMNS)]
    figures["drift_narrow"] = mloop_child(["drift", a, b, *narrow], f"mloop detect_drift ({WIDE_PEER_COLUMNS} columns)")
    figures["scipy"] = peer("scipy", ["drift", a, b, *narrow, "--repeats", "1"])
    figures["evidently"] = peer("evidently", ["drift", a, b, *narrow], timeout=EVIDENTLY_TIMEOUT)
    return figures


def wide_rows(f: dict) -> list[Row]:
    if not f:
        return [("wide", "—", "", "", "", "")]
    size = f"{f['rows']:,} × {f['columns']:,}"
    drift = f.get("drift") or {}
    drifted = drift.get("drifted")
    return [
        (f"profile_data, {size} (fresh process)", child_cell(f.get("profile")), "", "", "", ""),
        (f"detect_drift, {size}, one distribution (fresh process)", child_cell(f.get("drift")), "", "",
         "flags none", verdict(None if drifted is None else not drifted)),
        ("  flagged", none_cell(drifted), "", "", "", ""),
        (f"detect_drift, {f['peer_columns']} of the columns (fresh process)", child_cell(f.get("drift_narrow")),
         f"scipy {child_cell(f.get('scipy'))}", f"Evidently {child_cell(f.get('evidently'))}", "", ""),
    ]


# ---------------------------------------------------------------- 5. memory on a 5 GB file


def big_figures(folder: str) -> dict:
    path = d.validation_file(BIG_ROWS)
    if not path.exists() and os.environ.get("MLOOP_BENCH_BIG") != "1":
        return {"skipped": "set MLOOP_BENCH_BIG=1 to run it (writes a ~5 GB Parquet file to the bench cache once, "
                           "a minute or two)"}
    figures: dict[str, Any] = {"rows": BIG_ROWS}
    if not path.exists():
        note(f"writing {BIG_ROWS:,} rows (~5 GB) to {path} (once) ...")
        start = time.perf_counter()
        d.validation(BIG_ROWS)
        figures["generate_s"] = time.perf_counter() - start
    figures["bytes"] = path.stat().st_size
    wanted = {("not_null", "id"), ("unique", "id"), ("range", "n0"), ("allowed_values", "country"),
              ("regex", "email")}
    every = [c for c in d.CHECKS if c["kind"] != "row_count"] + [{"kind": "row_count", "min": 1, "max": 10 * BIG_ROWS}]
    for key, checks in (("handful", [c for c in every if (c["kind"], c.get("column")) in wanted or
                                     c["kind"] == "row_count"]), ("all", every)):
        figures[key] = {"checks": checks, "mloop": mloop_child(
            ["validate", str(path), checks_file(checks, folder, f"{key}.json")], f"mloop validate (5 GB, {key})",
            timeout=3600)}
    return figures


def big_rows(f: dict) -> list[Row]:
    target = f"< {BIG_RSS_TARGET_MB / 1024:g} GB RSS"
    if "skipped" in f:
        return [("validate a ~5 GB Parquet file", "skipped", f["skipped"], "", target, "")]
    rows: list[Row] = []
    for key, label in (("handful", "checks incl. unique id"), ("all", "checks of section 1")):
        found = f[key]["mloop"] or {}
        peak, failures = found.get("peak_rss_mb"), found.get("failures")
        rows.append((f"validate {f['rows']:,} rows, {f['bytes'] / 1e9:.2f} GB: {len(f[key]['checks'])} {label} "
                     "(fresh process)", child_cell(found or None),
                     "" if failures is None else f"{failures} checks failed", "", target,
                     verdict(None if peak is None else peak < BIG_RSS_TARGET_MB and failures == 0)))
    return rows


# ---------------------------------------------------------------- output


def main() -> None:
    from rich.console import Console

    load = os.getloadavg()
    if load[0] > 0.5 * (os.cpu_count() or 1):
        note(f"the machine is busy (load average {load[0]:.1f} on {os.cpu_count()} cores): timings will be noisy")
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="mloop-bench-quality-") as folder:
        validation = in_process("validation", lambda: validation_figures(folder)) or {}
        drift = in_process("drift", drift_figures) or {}
        profiles = in_process("drift against a profile", lambda: profile_figures(drift)) or {}
        wide = in_process("wide", wide_figures) or {}
        big = in_process("5 GB validation", lambda: big_figures(folder)) or {}
    elapsed = time.perf_counter() - started

    console = Console()
    if not console.is_terminal:
        console = Console(width=190)
    print_table(console, "1. Validation (issue 8): 1,000,000 rows × 20 columns, 20 checks; median of 3 after a warm-up",
                validation_rows(validation))
    print_table(console, "2. Drift (issue 8): mloop vs the plain scipy baseline and Evidently", drift_rows(drift))
    print_table(console, "3. Drift against a stored profile vs against the raw reference", profile_rows(profiles))
    print_table(console, f"4. Wide: {WIDE[0]:,} rows × {WIDE[1]:,} numeric columns", wide_rows(wide))
    print_table(console, "5. Memory: validating a ~5 GB Parquet file", big_rows(big))
    end_load = os.getloadavg()
    console.print(f"{elapsed:.0f} s in all; load average {load[0]:.1f} at the start, {end_load[0]:.1f} at the end, "
                  f"{os.cpu_count()} cores. Peers: {versions(validation, drift, wide)}. Evidently runs once, without a "
                  "warm-up; the scipy baseline at 1M rows and on 50 wide columns runs once; each fresh-process time "
                  "is one call after a warm-up on a 10-row table.")
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps({
        "benchmark": "quality",
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform(),
                    "load_average_at_start": load, "load_average_at_end": end_load},
        "seconds": elapsed,
        "targets": {"validation_ratio_vs_duckdb": RATIO_TARGET, "drift_ratio_vs_scipy": RATIO_TARGET,
                    "big_validation_rss_mb": BIG_RSS_TARGET_MB},
        "repeats": REPEATS,
        "validation": validation, "drift": drift, "drift_vs_profile": profiles, "wide": wide, "big": big,
    }, indent=2, default=str) + "\n")
    print(f"wrote {RESULTS.relative_to(HERE.parent)}")


if __name__ == "__main__":
    main()
