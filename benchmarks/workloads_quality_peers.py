"""Data-quality workloads run by a peer tool in its own venv (peers.py); prints one JSON document.

    python workloads_quality_peers.py pandera|great_expectations validate DATA.parquet CHECKS.json
    python workloads_quality_peers.py evidently drift REF.parquet CUR.parquet [--columns N]
    python workloads_quality_peers.py scipy drift REF.parquet CUR.parquet   (the plain numpy/scipy baseline)
    options: --repeats N (default 3; 1 for evidently), --warmup (one untimed run first),
             --columns N (drift: only the first N columns of both files)

Each tool gets the same pandas DataFrames, read before the clock starts; the time is the median
of `repeats` runs of the check itself. The JSON also holds the tool's version and the process's
peak RSS (MB), which includes the DataFrames.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import time


def timed(fn, repeats: int) -> tuple[float, object]:  # noqa: ANN001
    times, result = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


# ---------------------------------------------------------------- validation


def pandera_validate(df, checks: list[dict]):  # noqa: ANN001, ANN201
    import pandera.pandas as pa

    columns: dict[str, dict] = {}
    for check in checks:
        if check["kind"] == "row_count":
            continue
        spec = columns.setdefault(check["column"], {"checks": [], "nullable": True, "unique": False})
        kind = check["kind"]
        if kind == "not_null":
            spec["nullable"] = False
        elif kind == "range":
            spec["checks"].append(pa.Check.in_range(check["min"], check["max"]))
        elif kind == "allowed_values":
            spec["checks"].append(pa.Check.isin(check["values"]))
        elif kind == "unique":
            spec["unique"] = True
        elif kind == "regex":
            spec["checks"].append(pa.Check.str_matches(check["pattern"]))
    row_count = next(c for c in checks if c["kind"] == "row_count")
    schema = pa.DataFrameSchema(
        {name: pa.Column(checks=s["checks"], nullable=s["nullable"], unique=s["unique"]) for name, s in columns.items()},
        checks=[pa.Check(lambda frame: row_count["min"] <= len(frame) <= row_count["max"])],
    )

    def run() -> int:
        try:
            schema.validate(df, lazy=True)
            return 0
        except pa.errors.SchemaErrors as errors:
            return len(errors.failure_cases)

    return run


def gx_validate(df, checks: list[dict]):  # noqa: ANN001, ANN201
    import great_expectations as gx

    context = gx.get_context(mode="ephemeral")
    batch = (context.data_sources.add_pandas("bench").add_dataframe_asset("frame")
             .add_batch_definition_whole_dataframe("all"))
    suite = context.suites.add(gx.ExpectationSuite(name="bench"))
    e = gx.expectations
    for check in checks:
        kind = check["kind"]
        if kind == "not_null":
            suite.add_expectation(e.ExpectColumnValuesToNotBeNull(column=check["column"]))
        elif kind == "range":
            suite.add_expectation(e.ExpectColumnValuesToBeBetween(column=check["column"], min_value=check["min"],
                                                                  max_value=check["max"]))
        elif kind == "allowed_values":
            suite.add_expectation(e.ExpectColumnValuesToBeInSet(column=check["column"], value_set=check["values"]))
        elif kind == "unique":
            suite.add_expectation(e.ExpectColumnValuesToBeUnique(column=check["column"]))
        elif kind == "regex":
            suite.add_expectation(e.ExpectColumnValuesToMatchRegex(column=check["column"], regex=check["pattern"]))
        elif kind == "row_count":
            suite.add_expectation(e.ExpectTableRowCountToBeBetween(min_value=check["min"], max_value=check["max"]))

    def run() -> int:
        result = batch.get_batch(batch_parameters={"dataframe": df}).validate(suite)
        return sum(1 for r in result.results if not r.success)

    return run


# ---------------------------------------------------------------- drift


def scipy_drift(ref, cur):  # noqa: ANN001, ANN201
    """The plain baseline: per column, ks_2samp and wasserstein_distance; verdict W/std > 0.1."""
    import numpy as np
    from scipy import stats

    def run() -> list[str]:
        drifted = []
        for column in ref.columns:
            a, b = ref[column].to_numpy(), cur[column].to_numpy()
            stats.ks_2samp(a, b)
            if stats.wasserstein_distance(a, b) / np.std(a, ddof=1) > 0.1:
                drifted.append(column)
        return drifted

    return run


def evidently_drift(ref, cur):  # noqa: ANN001, ANN201
    from evidently import Report
    from evidently.presets import DataDriftPreset

    def run() -> list[str]:
        snapshot = Report([DataDriftPreset()]).run(reference_data=ref, current_data=cur)
        drifted = []
        for metric in snapshot.dict()["metrics"]:
            config, value = metric.get("config", {}), metric.get("value")
            if not str(config.get("type", "")).endswith("ValueDrift") or not isinstance(value, (int, float)):
                continue
            # its default per-column method: a p-value test (drift when p < threshold) up to 1,000
            # rows, normed Wasserstein beyond (drift when the distance >= threshold)
            if "Wasserstein" in config["method"] or "distance" in config["method"]:
                drifted += [config["column"]] if value >= config["threshold"] else []
            else:
                drifted += [config["column"]] if value < config["threshold"] else []
        return drifted

    return run


def main() -> None:
    import pandas as pd

    parser = argparse.ArgumentParser()
    parser.add_argument("tool", choices=["pandera", "great_expectations", "evidently", "scipy"])
    parser.add_argument("workload", choices=["validate", "drift"])
    parser.add_argument("paths", nargs=2)
    parser.add_argument("--repeats", type=int)
    parser.add_argument("--warmup", action="store_true")
    parser.add_argument("--columns", type=int)
    args = parser.parse_args()
    repeats = args.repeats or (1 if args.tool == "evidently" else 3)
    if args.workload == "validate":
        df = pd.read_parquet(args.paths[0])
        with open(args.paths[1]) as file:
            checks = json.load(file)
        run = {"pandera": pandera_validate, "great_expectations": gx_validate}[args.tool](df, checks)
        key, rows = "failures", len(df)
    else:
        names = None
        if args.columns:
            import pyarrow.parquet as pq

            names = pq.read_schema(args.paths[0]).names[:args.columns]
        ref, cur = pd.read_parquet(args.paths[0], columns=names), pd.read_parquet(args.paths[1], columns=names)
        run = {"evidently": evidently_drift, "scipy": scipy_drift}[args.tool](ref, cur)
        key, rows = "drifted", len(ref)
    if args.warmup:
        run()
    seconds, found = timed(run, repeats)
    print(json.dumps({"seconds": seconds, key: found, "rows": rows, "version": _version(args.tool),
                      "peak_rss_mb": peak_rss_mb()}))


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


def _version(tool: str) -> str:
    from importlib import metadata

    return metadata.version(tool.replace("_", "-"))


if __name__ == "__main__":
    main()
