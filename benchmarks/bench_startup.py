"""Issue 7's start-up benchmark: what a user waits for before anything happens.

    python benchmarks/bench_startup.py

Each figure is a whole new process, timed from spawn to exit (median of RUNS after one warm-up):
- `python -c "import mloop"` and `mloop --help`, against a bare `python -c pass` (the baseline:
  interpreter start-up, which no library can remove);
- the same for MLflow (`import mlflow`, `mlflow --help`) and Prefect (`import prefect`), each in its
  own venv (peers.py), skipped with a note when it cannot be installed.
Targets (issue 7): `import mloop` and `mloop --help` under 0.3 s. Prints a table and writes
benchmarks/results/startup.json.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import peers  # noqa: E402
from common import note  # noqa: E402

RESULTS = HERE / "results" / "startup.json"
RUNS = 15
TARGET_S = 0.300


def timed(command: list[str], env: dict[str, str] | None = None) -> list[float] | None:
    """Wall-clock seconds of RUNS runs of `command` (after one warm-up), or None if it fails."""
    times = []
    for index in range(RUNS + 1):
        start = time.perf_counter()
        done = subprocess.run(command, capture_output=True, env=env)
        elapsed = time.perf_counter() - start
        if done.returncode != 0:
            note(f"{' '.join(command)} exited {done.returncode}: {done.stderr.decode()[-300:]}")
            return None
        if index:
            times.append(elapsed)
    return times


def figures() -> dict[str, dict[str, list[float] | None]]:
    python = sys.executable
    mloop_cli = str(Path(python).with_name("mloop"))
    results: dict[str, dict[str, list[float] | None]] = {
        "baseline": {"import": timed([python, "-c", "pass"])},
        "mloop": {"import": timed([python, "-c", "import mloop"]), "help": timed([mloop_cli, "--help"])},
    }
    env = {**os.environ, "MLFLOW_DISABLE_TELEMETRY": "true", "DO_NOT_TRACK": "1"}
    mlflow = peers.peer_python("mlflow")
    if mlflow:
        results["MLflow"] = {"import": timed([mlflow, "-c", "import mlflow"], env),
                             "help": timed([str(Path(mlflow).with_name("mlflow")), "--help"], env)}
    prefect = peers.peer_python("prefect")
    if prefect:
        results["Prefect"] = {"import": timed([prefect, "-c", "import prefect"], env),
                              "help": timed([str(Path(prefect).with_name("prefect")), "--help"], env)}
    return results


def seconds(values: list[float] | None, target: float | None = None) -> str:
    if not values:
        return "—"
    text = f"{statistics.median(values) * 1e3:.0f} ms"
    return text if target is None else f"{text} {'✓' if statistics.median(values) < target else '✗'}"


def print_table(results: dict[str, dict[str, list[float] | None]]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"Start-up (issue 7): a new process, spawn to exit, median of {RUNS}")
    for column in ("command", "import", "--help", "target"):
        table.add_column(column, justify="left" if column == "command" else "right")
    table.add_row("python -c pass (interpreter alone)", seconds(results["baseline"]["import"]), "", "")
    for tool, values in results.items():
        if tool == "baseline":
            continue
        target = TARGET_S if tool == "mloop" else None
        table.add_row(tool, seconds(values.get("import"), target), seconds(values.get("help"), target),
                      f"< {TARGET_S * 1e3:.0f} ms" if target else "")
    console = Console()
    if not console.is_terminal:
        console = Console(width=120)
    console.print(table)


def main() -> None:
    load = os.getloadavg()
    if load[0] > 0.5 * (os.cpu_count() or 1):
        note(f"the machine is busy (load average {load[0]:.1f}): timings will be noisy")
    results = figures()
    print_table(results)
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps({
        "benchmark": "startup",
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform(),
                    "load_average_at_start": load},
        "runs": RUNS, "target_s": TARGET_S,
        "median_s": {tool: {k: statistics.median(v) if v else None for k, v in values.items()}
                     for tool, values in results.items()},
    }, indent=2) + "\n")
    print(f"wrote {RESULTS.relative_to(HERE.parent)}")


if __name__ == "__main__":
    main()
