"""Issue 10's serving benchmark: mloop serve beside a minimal FastAPI app, BentoML, MLflow and
LitServe, side by side in one run on the same model and cores.

    python benchmarks/bench_serving.py [--quick] [--duration S] [--rounds R] [--warmup S]
                                       [--concurrency 1,16,64] [--tools fastapi,bentoml,mlflow,litserve,mloop]

The model: scikit-learn HistGradientBoostingClassifier(max_iter=100) on 20 float features of
seeded synthetic data, trained once here; saved with joblib for the peers (and as an MLflow model
for MLflow), registered as 'bench@champion' in a temporary mloop workspace for mloop.
Each tool runs as its own server process on 127.0.0.1 (peers in their own venvs under
~/.cache/mloop-bench/<tool>), one worker, the same thread settings (THREAD_ENV). A server is
timed only after its health route answers and one answer equals the model's own predict_proba.
wrk (Debian package, installed when missing) POSTs one single-row JSON body in the tool's own
format. Every server is started first; then, at each concurrency, --rounds rounds give each
server one timed run of --duration seconds in turn (after --warmup untimed seconds before its
first), so outside load on the shared machine hits every tool alike (serving_runs.py). Each
server's CPU time per answered request is read from /proc around its runs; prediction logging's
cost is the median, over the interleaved rounds, of mloop's CPU per request with logging on
against off, beside the log writer thread's own share (from mloop's /metrics).
Prints a table and writes benchmarks/results/serving.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import asdict
from functools import partial
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import serving_servers as servers  # noqa: E402
from common import note  # noqa: E402
from serving_load import ensure_wrk  # noqa: E402
from serving_peers import serving_python  # noqa: E402
from serving_runs import LoadPlan, Planned, run_all  # noqa: E402
from serving_servers import APPS, THREAD_ENV, ModelFiles, Target  # noqa: E402

RESULTS = HERE / "results" / "serving.json"
TOOLS = ("fastapi", "bentoml", "mlflow", "litserve", "mloop")
FEATURES = 20
ROWS = 5_000
BASELINE = ("BentoML", "batching")
CONTROL = "batching (control)"


def train_model() -> tuple[object, object]:
    import numpy as np
    import pandas as pd
    from sklearn.ensemble import HistGradientBoostingClassifier

    rng = np.random.default_rng(10)
    frame = pd.DataFrame(rng.standard_normal((ROWS, FEATURES)), columns=[f"f{i}" for i in range(FEATURES)])
    weights = rng.standard_normal(FEATURES)
    labels = (frame.to_numpy() @ weights + rng.normal(0.0, 1.0, ROWS) > 0).astype(int)
    model = HistGradientBoostingClassifier(max_iter=100, random_state=0).fit(frame, labels)
    return model, frame


def save_model(folder: Path, tools: list[str]) -> ModelFiles:
    """Train once; the joblib file for the peers, the MLflow model, the mloop registration."""
    import joblib

    model, frame = train_model()
    joblib_path = folder / "model.joblib"
    joblib.dump(model, joblib_path)
    row = frame.iloc[[7]]
    mloop_home = folder / "mloop"
    mloop_home.mkdir()
    if "mloop" in tools:
        register_in_mloop(model, frame, mloop_home)
    mlflow_dir = save_mlflow_model(folder, joblib_path, frame) if "mlflow" in tools else None
    return ModelFiles(joblib_path=joblib_path, mlflow_dir=mlflow_dir, mloop_home=mloop_home,
                      columns=list(frame.columns), row=[float(v) for v in row.iloc[0]],
                      probability=float(model.predict_proba(row)[0, 1]))


def register_in_mloop(model: object, frame: object, home: Path) -> None:
    before = os.environ.get("MLOOP_HOME")
    os.environ["MLOOP_HOME"] = str(home)
    try:
        import mloop

        version = mloop.register_model("bench", model, training_data=frame, description="serving benchmark")
        mloop.promote(version.ref, "champion", force=True, reason="serving benchmark")
    finally:
        if before is None:
            os.environ.pop("MLOOP_HOME", None)
        else:
            os.environ["MLOOP_HOME"] = before


def save_mlflow_model(folder: Path, joblib_path: Path, frame: object) -> Path | None:
    python = serving_python("mlflow")
    if python is None:
        return None
    sample = folder / "sample.json"
    frame.head(50).to_json(sample, orient="split", index=False)  # type: ignore[attr-defined]
    output = folder / "mlflow-model"
    env = {**os.environ, **THREAD_ENV, "MLFLOW_DISABLE_TELEMETRY": "true"}
    env.pop("PYTHONPATH", None)
    saved = subprocess.run([python, str(APPS / "mlflow_model.py"), str(joblib_path), str(sample), str(output)],
                           capture_output=True, text=True, env=env, timeout=600)
    if saved.returncode != 0:
        note(f"could not save the MLflow model; its rows show the failure:\n{saved.stderr[-1500:]}")
        return None
    return output


def plan(tools: list[str], model: ModelFiles) -> list[Planned]:
    """What to start, in table order; a tool that cannot run has its reason instead."""
    planned: list[Planned] = []
    for tool in tools:
        if tool == "mloop":
            planned += plan_mloop(model)
            continue
        python = serving_python(tool)
        missing = None if python else f"{tool}: could not build its venv under ~/.cache/mloop-bench"
        if tool == "mlflow" and python and model.mlflow_dir is None:
            missing = "mlflow: the MLflow model could not be saved"
        for name, mode, maker in PEER_TARGETS[tool]:
            planned.append(Planned(name, mode, None if missing else partial(maker, python, model), missing))
    return planned


def plan_mloop(model: ModelFiles) -> list[Planned]:
    """mloop with batching (its defaults) and without; with prediction logging off and on once
    `mloop serve` has the switch (logging off in the other rows then)."""
    help_text = servers.mloop_serve_help(model)
    if help_text is None:
        return [Planned("mloop", mode, None, "mloop serve: not available") for mode in ("batching", "none")]
    flags = servers.logging_flags(help_text)
    if flags is None:
        note("mloop serve has no prediction-logging switch yet: its rows run with its default")
        variants = [("batching", True, ()), ("none", False, ())]
    else:
        # the control is a second logging-off server: what two identical servers differ by here,
        # printed beside logging's cost (on a shared VM it can be larger than the cost)
        variants = [("batching", True, flags.off), ("batching + logging", True, flags.on),
                    (CONTROL, True, flags.off), ("none", False, flags.off)]
    return [Planned("mloop", mode, partial(servers.mloop, model, batching=batching, extra=extra, mode=mode))
            for mode, batching, extra in variants]


PEER_TARGETS: dict[str, list[tuple[str, str, Callable[..., Target]]]] = {
    "fastapi": [("FastAPI (minimal)", "none", servers.fastapi)],
    "bentoml": [("BentoML", "batching", partial(servers.bentoml, batching=True)),
                ("BentoML", "none", partial(servers.bentoml, batching=False))],
    "mlflow": [("MLflow", "none", servers.mlflow)],
    "litserve": [("LitServe", "batching", partial(servers.litserve, batching=True)),
                 ("LitServe", "none", partial(servers.litserve, batching=False))],
}


def print_table(rows: list[dict]) -> None:
    from rich.console import Console
    from rich.table import Table

    baseline = {r["concurrency"]: r["requests_per_s"] for row in rows if (row["tool"], row["mode"]) == BASELINE
                for r in row["results"]}
    table = Table(title=f"Serving: one-row requests, HistGradientBoostingClassifier(100) on {FEATURES} floats, "
                        "1 worker, " + " ".join(f"{k}={v}" for k, v in THREAD_ENV.items()))
    for column in ("tool", "mode", "concurrency", "req/s", "p50 ms", "p99 ms", "errors", "CPU µs/req",
                   "vs BentoML (batching)", "note"):
        table.add_column(column, justify="left" if column in ("tool", "mode", "note") else "right")
    for row in rows:
        if not row["results"]:
            table.add_row(row["tool"], row["mode"], "—", "—", "—", "—", "—", "—", "—", row["problem"] or "")
            continue
        for result in row["results"]:
            base = baseline.get(result["concurrency"])
            ratio = f"{result['requests_per_s'] / base:.2f}×" if base else "—"
            cpu = result.get("cpu_us_per_request")
            table.add_row(row["tool"], row["mode"], str(result["concurrency"]), f"{result['requests_per_s']:,.0f}",
                          f"{result['p50_ms']:.2f}", f"{result['p99_ms']:.2f}", str(result["errors"]),
                          f"{cpu:,.0f}" if cpu else "—", ratio, row["problem"] or "")
    console = Console()
    if not console.is_terminal:
        console = Console(width=200)
    console.print(table)
    for line in target_checks(rows, baseline):
        console.print(line)


def target_checks(rows: list[dict], baseline: dict[int, float]) -> list[str]:
    """Issue 10's targets for mloop, each with ✓ or ✗ (only those this run measured)."""
    def figures(mode: str, concurrency: int) -> dict | None:
        return next((r for row in rows if row["tool"] == "mloop" and row["mode"] == mode
                     for r in row["results"] if r["concurrency"] == concurrency), None)

    def mark(ok: bool) -> str:
        return "✓" if ok else "✗"

    lines = []
    high = figures("batching", 64)
    if high and baseline.get(64):
        ratio = high["requests_per_s"] / baseline[64]
        lines.append(f"{mark(ratio >= 2 and high['p99_ms'] <= 100)} target c=64: ≥ 2× BentoML (batching) with "
                     f"p99 ≤ 100 ms — mloop {ratio:.2f}×, p99 {high['p99_ms']:.1f} ms")
    for mode in ("batching", "none"):
        single = figures(mode, 1)
        if single:
            lines.append(f"{mark(single['p50_ms'] <= 1.5 and single['p99_ms'] <= 5)} target c=1 ({mode}): p50 ≤ 1.5 ms, "
                         f"p99 ≤ 5 ms — p50 {single['p50_ms']:.2f} ms, p99 {single['p99_ms']:.2f} ms")
    for concurrency in (1, 16, 64):
        off, on = figures("batching", concurrency), figures("batching + logging", concurrency)
        if off and on and off["requests_per_s"]:
            lines.append(logging_cost(concurrency, off, on, figures(CONTROL, concurrency)))
    return lines


def logging_cost(concurrency: int, off: dict, on: dict, control: dict | None = None) -> str:
    """Prediction logging's cost: the server's CPU per answered request with it on against off (a
    saturated server's throughput is one over that; steady on a shared machine), and req/s itself;
    beside it what a second logging-off server (`control`) measured against the first."""
    fewer = 1 - on["requests_per_s"] / off["requests_per_s"]
    served = f"req/s {fewer * -100:+.1f}% ({off['requests_per_s']:,.0f} off → {on['requests_per_s']:,.0f} on)"
    if not off.get("cpu_us_per_request") or not on.get("cpu_us_per_request"):
        return f"{'✓' if fewer < 0.05 else '✗'} target c={concurrency}: prediction logging costs < 5% — {served}"
    more, pairs = paired_cpu_change(off, on)
    share = on.get("log_writer_cpu_share")
    writer = f", the log writer's own share of the server's CPU {share * 100:.1f}%" if share is not None else ""
    noise = ""
    if control is not None and control.get("cpu_us_per_request"):
        same, _ = paired_cpu_change(off, control)
        noise = f"; an identical logging-off server measured {same * 100:+.1f}% the same way (A/A)"
    return (f"{'✓' if more < 0.05 else '✗'} target c={concurrency}: prediction logging costs < 5% — CPU per request "
            f"{more * 100:+.1f}% (median of {pairs} interleaved pairs of rounds; {off['cpu_us_per_request']:,.0f} "
            f"→ {on['cpu_us_per_request']:,.0f} µs over all){writer}; {served}{noise}")


def paired_cpu_change(first: dict, second: dict) -> tuple[float, int]:
    """The median, over rounds run one after the other, of `second`'s CPU per answered request
    against `first`'s, minus one; and how many pairs (falls back to the totals without rounds)."""
    pairs = [(a["cpu_s"] / a["ok"], b["cpu_s"] / b["ok"]) for a, b in zip(first["rounds"], second["rounds"],
                                                                          strict=False)
             if a.get("cpu_s") and b.get("cpu_s") and a["ok"] and b["ok"]]
    if not pairs:
        return second["cpu_us_per_request"] / first["cpu_us_per_request"] - 1, 0
    return statistics.median(b / a - 1 for a, b in pairs), len(pairs)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=4.0, help="seconds of one timed run (4)")
    parser.add_argument("--rounds", type=int, default=5, help="timed runs per tool and concurrency, interleaved (5)")
    parser.add_argument("--warmup", type=float, default=2.0, help="untimed seconds before a tool's first run (2)")
    parser.add_argument("--concurrency", default="1,16,64", help="open connections, comma-separated (1,16,64)")
    parser.add_argument("--tools", default=",".join(TOOLS), help=f"which of {','.join(TOOLS)} (all)")
    parser.add_argument("--quick", action="store_true", help="a smoke run: one 2 s run per concurrency, 1 s warm-up")
    parser.add_argument("--output", type=Path, default=None,
                        help="the JSON file written (results/serving.json; serving-quick.json with --quick)")
    args = parser.parse_args(argv)
    if args.quick:  # a smoke run never replaces the figures of a full one
        args.duration, args.warmup, args.rounds = 2.0, 1.0, 1
    args.output = args.output or (RESULTS.with_name("serving-quick.json") if args.quick else RESULTS)
    try:
        args.concurrency = [int(c) for c in args.concurrency.split(",") if c.strip()]
    except ValueError:
        parser.error(f"--concurrency takes whole numbers separated by commas, got {args.concurrency!r}")
    if not args.concurrency or min(args.concurrency) < 1:
        parser.error("--concurrency needs at least one number of connections, each 1 or more")
    if args.duration < 1 or args.warmup < 0 or args.rounds < 1:
        parser.error("--duration must be at least 1 second, --rounds at least 1 and --warmup 0 or more")
    args.tools = [t.strip() for t in args.tools.split(",") if t.strip()]
    unknown = sorted(set(args.tools) - set(TOOLS))
    if unknown or not args.tools:
        parser.error(f"unknown tools {unknown}; choose from {','.join(TOOLS)}")
    return args


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    load = os.getloadavg()
    if load[0] > 0.5 * (os.cpu_count() or 1):
        note(f"the machine is busy (load average {load[0]:.1f}): figures will be noisy")
    try:
        wrk = ensure_wrk()
    except RuntimeError as error:
        sys.exit(f"error: {error}")
    print("thread settings for every server: " + " ".join(f"{k}={v}" for k, v in THREAD_ENV.items()), flush=True)
    with tempfile.TemporaryDirectory(prefix="mloop-bench-serving-") as scratch:
        folder = Path(scratch)
        model = save_model(folder, args.tools)
        logs = folder / "logs"
        logs.mkdir()
        load_plan = LoadPlan(args.concurrency, args.rounds, args.duration, args.warmup)
        rows = [asdict(row) for row in run_all(plan(args.tools, model), model.probability, load_plan, wrk, logs)]
    print_table(rows)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    temporary = args.output.with_suffix(".json.tmp")
    temporary.write_text(json.dumps({
        "benchmark": "serving",
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform(),
                    "load_average_at_start": load, "load_average_at_end": os.getloadavg()},
        "workload": {"model": "HistGradientBoostingClassifier(max_iter=100)", "features": FEATURES,
                     "training_rows": ROWS, "concurrency": args.concurrency, "rounds": args.rounds,
                     "duration_s_per_round": args.duration,
                     "warmup_s": args.warmup, "load_generator": "wrk -t1", "thread_env": THREAD_ENV,
                     "baseline": " ".join(BASELINE)},
        "servers": rows,
    }, indent=2) + "\n")
    temporary.replace(args.output)
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
