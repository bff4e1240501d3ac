"""One mloop data-quality workload in a fresh process, so its peak RSS is its own; prints one JSON
document (bench_quality.py runs it).

    python workloads_quality_mloop.py profile DATA.parquet
    python workloads_quality_mloop.py drift REF.parquet CUR.parquet [--columns N]   (the first N columns)
    python workloads_quality_mloop.py validate DATA.parquet CHECKS.json

`seconds` is the one timed call, after mloop warmed up on a 10-row table (so first-use imports
of scipy, DuckDB and pyarrow are not timed, as for the peers); `peak_rss_mb` is the process's peak
resident memory (VmHWM), `ready_rss_mb` its peak after the warm-up, before the data was touched.
"""

from __future__ import annotations

import json
import resource
import sys
import time


def peak_rss_mb() -> float:
    """This process's peak resident memory. /proc's VmHWM is this program's own: ru_maxrss is not
    reset by exec on Linux, so it would report the parent's peak if that was higher."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KB on Linux


def warm_up(mloop) -> None:  # noqa: ANN001 - the module
    import pyarrow as pa

    tiny = pa.table({"x": [float(i) for i in range(10)], "c": ["a", "b"] * 5})
    mloop.profile_data(tiny)
    mloop.detect_drift(tiny, tiny)
    mloop.validate(tiny, [{"check": "regex", "column": "c", "pattern": "a|b"}, {"check": "unique", "column": "x"}])


def main() -> None:
    import mloop

    workload, *paths = sys.argv[1:]
    columns = None
    if "--columns" in paths:
        at = paths.index("--columns")
        columns, paths = int(paths[at + 1]), paths[:at] + paths[at + 2:]
    warm_up(mloop)
    ready = peak_rss_mb()
    start = time.perf_counter()
    if workload == "profile":
        found = mloop.profile_data(paths[0])
        seconds = time.perf_counter() - start
        result = {"columns": len(found.columns), "rows": found.rows}
    elif workload == "drift":
        names = None
        if columns:
            import pyarrow.parquet as pq

            names = pq.read_schema(paths[0]).names[:columns]
        report = mloop.detect_drift(paths[0], paths[1], columns=names)
        seconds = time.perf_counter() - start
        result = {"columns": len(report.compared), "drifted": report.drifted_columns, "rows": report.current_rows}
    elif workload == "validate":
        with open(paths[1]) as file:
            checks = [{"check": c["kind"], **{k: v for k, v in c.items() if k != "kind"}} for c in json.load(file)]
        report = mloop.validate(paths[0], mloop.Suite(name="bench", checks=checks))
        seconds = time.perf_counter() - start
        result = {"checks": len(report.results), "failures": len(report.failed), "rows": report.rows}
    else:
        raise SystemExit(f"unknown workload {workload!r}")
    print(json.dumps({"seconds": seconds, "peak_rss_mb": peak_rss_mb(), "ready_rss_mb": ready, **result}))


if __name__ == "__main__":
    main()
