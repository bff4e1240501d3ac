"""Issue 12's server benchmark: logging 100,000 metric points through a tracking server, mloop vs
MLflow, side by side in one run.

    python benchmarks/bench_server_logging.py

Each tool's server runs as its own process on 127.0.0.1 over a SQLite backend in a scratch folder
(`mloop server`; `mlflow server --backend-store-uri sqlite:///...`), and the client logs from this
machine, timed from the first call until the last point is on the server:
- batched — mloop: `log_metrics` of 10 metrics per call at 10,000 steps (the SDK's writer thread
  sends one HTTP request per flush); MLflow: `MlflowClient.log_batch` of 1,000 `Metric`s per call
  (its limit), i.e. 100 requests;
- single calls — mloop: 100,000 `log_metric` calls (batched by the same writer).
The count of stored points is checked after each workload. MLflow runs in its own venv (peers.py),
this file playing its client (`--mlflow-client URL`), and is skipped with a note if it cannot be
installed. Prints a table and writes benchmarks/results/server_logging.json.
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
POINTS = 100_000
KEYS = 10
REPEATS = 3
TARGET = 20_000  # points/s, batched


def wait_listening(url: str, process: subprocess.Popen[bytes], path: str, log: Path) -> None:
    import urllib.error
    import urllib.request

    deadline = time.monotonic() + 120
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with {process.returncode}:\n{log.read_text()[-2000:]}")
        try:
            with urllib.request.urlopen(url + path, timeout=1):
                return
        except (urllib.error.URLError, OSError):
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"the server at {url} did not answer within 120 s:\n{log.read_text()[-2000:]}")
        time.sleep(0.2)


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


# ---------------------------------------------------------------- mloop


def mloop_figures() -> dict | None:
    with tempfile.TemporaryDirectory(prefix="mloop-server-bench-") as folder:
        server_dir, client_dir = Path(folder) / "server", Path(folder) / "client"
        server_dir.mkdir()
        client_dir.mkdir()
        port = free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith("MLOOP_")}
        log = Path(folder) / "server.log"
        with open(log, "wb") as out:
            server = subprocess.Popen([sys.executable, "-m", "mloop.cli.main", "server", "--port", str(port)],
                                      cwd=server_dir, env=env, stdout=out, stderr=subprocess.STDOUT)
        url = f"http://127.0.0.1:{port}"
        try:
            wait_listening(url, server, "/api/v1/health", log)
            before = os.getcwd()
            os.environ.update({"MLOOP_HOME": str(client_dir), "MLOOP_TRACKING_URI": url})
            os.chdir(client_dir)
            try:
                return _logging()
            finally:
                os.chdir(before)
                os.environ.pop("MLOOP_TRACKING_URI")
                os.environ.pop("MLOOP_HOME")
        except Exception:
            print("note: the mloop side failed; its column shows '—'\n" + traceback.format_exc(), file=sys.stderr)
            return None
        finally:
            stop(server)


def _logging() -> dict:
    import mloop
    from mloop.tracking import flush

    keys = [f"m{k}" for k in range(KEYS)]
    batched, single = [], []
    for _ in range(REPEATS):
        with mloop.start_run("server-logging-bench") as run:
            start = time.perf_counter()
            for step in range(POINTS // KEYS):
                mloop.log_metrics(dict.fromkeys(keys, 0.1), step=step)
            flush()
            batched.append(time.perf_counter() - start)
        if len(mloop.get_metric_history(run.id, "m0")) != POINTS // KEYS:
            raise RuntimeError("mloop did not store every batched point")
        with mloop.start_run("server-logging-bench") as run:
            start = time.perf_counter()
            for step in range(POINTS):
                mloop.log_metric("loss", 0.5, step=step)
            flush()
            single.append(time.perf_counter() - start)
        if len(mloop.get_metric_history(run.id, "loss")) != POINTS:
            raise RuntimeError("mloop did not store every single point")
    print(f"[mloop] batched {[round(t, 3) for t in batched]} s, single {[round(t, 3) for t in single]} s",
          file=sys.stderr)
    return {"version": mloop.__version__, "batched_s": statistics.median(batched),
            "single_s": statistics.median(single)}


# ---------------------------------------------------------------- MLflow


def mlflow_figures() -> dict | None:
    sys.path.insert(0, str(HERE))
    import peers

    python = peers.peer_python("mlflow")
    if python is None:
        return None
    with tempfile.TemporaryDirectory(prefix="mlflow-server-bench-") as folder:
        port = free_port()
        env = {**os.environ, "MLFLOW_DISABLE_TELEMETRY": "true",
               "PATH": f"{Path(python).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
        log = Path(folder) / "server.log"
        with open(log, "wb") as out:
            server = subprocess.Popen(
                [str(Path(python).parent / "mlflow"), "server", "--host", "127.0.0.1", "--port", str(port),
                 "--backend-store-uri", f"sqlite:///{folder}/mlflow.db", "--default-artifact-root",
                 f"{folder}/artifacts", "--workers", "1"], cwd=folder, env=env, stdout=out, stderr=subprocess.STDOUT)
        url = f"http://127.0.0.1:{port}"
        try:
            wait_listening(url, server, "/health", log)
            done = subprocess.run([python, __file__, "--mlflow-client", url], cwd=folder, env=env,
                                  capture_output=True, text=True, timeout=1800)
            for line in done.stderr.splitlines():
                if line.startswith("[mlflow]"):
                    print(line, file=sys.stderr)
            return json.loads(done.stdout.strip().splitlines()[-1])
        except Exception:
            print("note: the MLflow side failed; its column shows '—'\n" + traceback.format_exc(), file=sys.stderr)
            return None
        finally:
            stop(server)


def mlflow_client(url: str) -> None:
    """Runs INSIDE the MLflow venv: `log_batch` of 1,000 metrics a call through the server at `url`."""
    import mlflow
    from mlflow.entities import Metric
    from mlflow.tracking import MlflowClient

    client = MlflowClient(tracking_uri=url)
    experiment = client.create_experiment("server-logging-bench")
    keys = [f"m{k}" for k in range(KEYS)]
    times = []
    for _ in range(REPEATS):
        run = client.create_run(experiment)
        now = int(time.time() * 1000)
        start = time.perf_counter()
        for first in range(0, POINTS, 1000):
            client.log_batch(run.info.run_id, metrics=[
                Metric(keys[i % KEYS], 0.1, now, i // KEYS) for i in range(first, first + 1000)])
        times.append(time.perf_counter() - start)
        client.set_terminated(run.info.run_id)
        if len(client.get_metric_history(run.info.run_id, "m0")) != POINTS // KEYS:
            raise RuntimeError("MLflow did not store every point")
    print(f"[mlflow] batched {[round(t, 3) for t in times]} s", file=sys.stderr)
    print(json.dumps({"version": mlflow.__version__, "batched_s": statistics.median(times)}))


# ---------------------------------------------------------------- table


def rate(seconds: float | None) -> str:
    return "—" if not seconds else f"{POINTS / seconds:,.0f} pts/s"


def main() -> None:
    load = os.getloadavg()
    if load[0] > 0.5 * (os.cpu_count() or 1):
        print(f"note: the machine is busy (load average {load[0]:.1f}): timings will be noisy", file=sys.stderr)
    mloop, mlflow = mloop_figures() or {}, mlflow_figures() or {}
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"Logging {POINTS:,} metric points through a tracking server (SQLite behind it), "
                        f"median of {REPEATS}")
    for column, justify in (("workload", "left"), ("mloop", "right"), ("MLflow", "right"), ("target", "right")):
        table.add_column(column, justify=justify)  # type: ignore[arg-type]
    batched = mloop.get("batched_s")
    mark = "" if not batched else (" ✓" if POINTS / batched >= TARGET else " ✗")
    table.add_row("batched (mloop: log_metrics × 10 keys; MLflow: log_batch × 1,000)", rate(batched) + mark,
                  rate(mlflow.get("batched_s")), f"≥ {TARGET:,} pts/s")
    table.add_row("single log_metric calls (mloop's writer batches them)", rate(mloop.get("single_s")), "—", "")
    console = Console() if sys.stdout.isatty() else Console(width=150)
    console.print(table)
    results = HERE / "results" / "server_logging.json"
    results.parent.mkdir(exist_ok=True)
    results.write_text(json.dumps({
        "benchmark": "server_logging",
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform(),
                    "load_average_at_start": load},
        "workloads": {"points": POINTS, "keys": KEYS, "repeats": REPEATS}, "targets": {"batched_points_per_s": TARGET},
        "mloop": mloop or None, "mlflow": mlflow or None,
    }, indent=2) + "\n")
    print(f"wrote {results.relative_to(HERE.parent)}")


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--mlflow-client":
        mlflow_client(sys.argv[2])
    else:
        main()
