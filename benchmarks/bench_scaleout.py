"""Issue 3's scale-out benchmark, side by side in one run.

    python benchmarks/bench_scaleout.py

1. 200 independent steps that each sleep 0.5 s on 2 Dask workers x 4 threads (a real
   `dask scheduler` and two `dask worker` processes started here): wall time against the ideal
   200 x 0.5 / 8 = 12.5 s and the overhead per step, beside mloop's local thread executor with 8
   workers, and beside Prefect 3 with its Dask task runner on a cluster of the same shape (its own
   venv, its own scheduler and workers of the same dask version).
2. Artifact round trip of a ~100 MB DataFrame (save + load, hash-verified): local folder vs S3
   (a moto server on 127.0.0.1), MB/s.
Prints a table and writes benchmarks/results/scaleout.json.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import peers  # noqa: E402
import workloads_scaleout as w  # noqa: E402
from common import note  # noqa: E402

RESULTS = HERE / "results" / "scaleout.json"
IDEAL = w.STEPS * w.SLEEP / (w.WORKERS * w.THREADS)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def dask_cluster(bin_dir: Path, env: dict[str, str] | None = None) -> Iterator[str]:
    """A real scheduler and WORKERS worker processes with THREADS threads each."""
    port = free_port()
    address = f"tcp://127.0.0.1:{port}"
    env = dict(env or os.environ, PYTHONPATH=str(HERE))
    procs = [subprocess.Popen([str(bin_dir / "dask"), "scheduler", "--host", "127.0.0.1", "--port", str(port),
                               "--no-dashboard"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)]
    time.sleep(1.5)
    for index in range(w.WORKERS):
        procs.append(subprocess.Popen(
            [str(bin_dir / "dask"), "worker", address, "--nthreads", str(w.THREADS), "--nworkers", "1",
             "--name", f"w{index}", "--resources", f"CPU={w.THREADS}", "--no-dashboard"],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
    try:
        yield address
    finally:
        for proc in reversed(procs):
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()


def wait_for_workers(address: str) -> None:
    from distributed import Client

    with Client(address, timeout="30s") as client:
        client.wait_for_workers(w.WORKERS, timeout=60)


def mloop_fan_out(executor: str, address: str = "") -> float:
    from mloop import pipeline, step

    nap = step(name="nap", cache=False)(w.nap)

    @pipeline(name=f"fanout-{executor}")
    def fan_out() -> None:
        for i in range(w.STEPS):
            nap(i=i)

    with tempfile.TemporaryDirectory(prefix="mloop-bench-") as home:
        os.environ["MLOOP_HOME"] = home
        started = time.perf_counter()
        run = fan_out.run(executor=executor, address=address or None, max_workers=w.WORKERS * w.THREADS)
        wall = time.perf_counter() - started
        assert run.status == "succeeded" and len(run.steps) == w.STEPS
        os.environ.pop("MLOOP_HOME")
    return wall


def prefect_fan_out() -> float | None:
    import distributed

    python = peers.peer_python("prefect-dask", [*peers.PACKAGES["prefect"], "prefect-dask",
                                                f"distributed=={distributed.__version__}"])
    if python is None:
        return None
    bin_dir = Path(python).parent
    # As Prefect runs on a cluster: one API server that the flow and every worker's tasks report to
    # (left to themselves, the workers' tasks would each start a temporary server of their own).
    with tempfile.TemporaryDirectory(prefix="prefect-bench-") as home, prefect_server(python, home) as env, \
            dask_cluster(bin_dir, env) as address:
        time.sleep(3)
        done = subprocess.run([python, str(HERE / "workloads_prefect_dask.py"), address],
                              env=dict(env, PYTHONPATH=str(HERE)), capture_output=True, text=True, timeout=900)
        if done.returncode != 0:
            note(f"Prefect with DaskTaskRunner failed: {done.stderr[-800:]}")
            return None
        return float(json.loads(done.stdout.strip().splitlines()[-1])["wall_s"])


@contextmanager
def prefect_server(python: str, home: str) -> Iterator[dict[str, str]]:
    """`prefect server start` on a free port; yields the environment that points at it."""
    port = free_port()
    env = dict(peers.prefect_env(home), PREFECT_API_URL=f"http://127.0.0.1:{port}/api")
    proc = subprocess.Popen([python, "-m", "prefect", "server", "start", "--host", "127.0.0.1", "--port", str(port)],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/health", timeout=2) as answer:
                    if answer.status == 200:
                        break
            except OSError:
                time.sleep(0.5)
        yield env
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()


def round_trip(url: str, frame: Any, options: dict[str, str] | None = None) -> tuple[float, float, int]:
    from mloop.stores.artifacts import load_object, open_artifact_store, save_object

    store = open_artifact_store(url, options)
    started = time.perf_counter()
    stored = save_object(store, frame)
    saved = time.perf_counter() - started
    started = time.perf_counter()
    loaded = load_object(store, stored.digest, stored.materializer)
    load = time.perf_counter() - started
    assert len(loaded) == len(frame)
    return saved, load, stored.size


@contextmanager
def moto_server() -> Iterator[str]:
    port = free_port()
    proc = subprocess.Popen([str(Path(sys.executable).parent / "moto_server"), "-H", "127.0.0.1", "-p", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    endpoint = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        yield endpoint
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def artifact_round_trips() -> dict[str, Any]:
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(0)
    frame = pd.DataFrame(rng.normal(size=(1_300_000, 10)), columns=[f"c{i}" for i in range(10)])
    megabytes = frame.memory_usage(deep=True).sum() / 1e6
    results: dict[str, Any] = {"frame_mb": round(float(megabytes), 1)}
    with tempfile.TemporaryDirectory(prefix="mloop-bench-") as folder:
        saved, load, size = round_trip(folder, frame)
        results["local"] = {"save_s": saved, "load_s": load, "stored_mb": size / 1e6}
    os.environ.update(AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench", AWS_DEFAULT_REGION="us-east-1")
    with moto_server() as endpoint, tempfile.TemporaryDirectory(prefix="mloop-s3cache-") as cache:
        import s3fs

        s3fs.S3FileSystem(client_kwargs={"endpoint_url": endpoint}).mkdir("bench")
        os.environ["MLOOP_CACHE_DIR"] = cache
        saved, load, size = round_trip("s3://bench/artifacts", frame, {"endpoint_url": endpoint})
        results["s3"] = {"save_s": saved, "load_s": load, "stored_mb": size / 1e6}
    return results


def main() -> None:
    from rich.console import Console
    from rich.table import Table

    bin_dir = Path(sys.executable).parent
    results: dict[str, Any] = {"ideal_s": IDEAL, "steps": w.STEPS, "sleep_s": w.SLEEP,
                               "slots": w.WORKERS * w.THREADS}
    results["mloop_thread_s"] = mloop_fan_out("thread")
    os.environ["PYTHONPATH"] = str(HERE)
    with dask_cluster(bin_dir) as address:
        wait_for_workers(address)
        results["mloop_dask_s"] = mloop_fan_out("dask", address)
    results["prefect_dask_s"] = prefect_fan_out()
    results["artifacts"] = artifact_round_trips()

    def overhead_ms(wall: float | None) -> str:
        if wall is None:
            return "—"
        return f"{(wall - IDEAL) * results['slots'] / w.STEPS * 1000:.0f} ms"

    table = Table(title=f"{w.STEPS} steps × {w.SLEEP} s on {w.WORKERS} workers × {w.THREADS} threads "
                        f"(ideal {IDEAL:.1f} s)")
    for column in ("runner", "wall", "vs ideal", "overhead per step"):
        table.add_column(column)
    for label, key in (("mloop, local threads (8)", "mloop_thread_s"), ("mloop on Dask", "mloop_dask_s"),
                       ("Prefect 3 + DaskTaskRunner", "prefect_dask_s")):
        wall = results[key]
        table.add_row(label, f"{wall:.2f} s" if wall else "—", f"{wall / IDEAL:.2f}×" if wall else "—",
                      overhead_ms(wall))
    art = results["artifacts"]
    io_table = Table(title=f"artifact round trip, {art['frame_mb']} MB DataFrame (Parquet, sha256-verified)")
    for column in ("store", "save", "load", "save MB/s", "load MB/s"):
        io_table.add_column(column)
    for name in ("local", "s3"):
        row = art[name]
        io_table.add_row("local folder" if name == "local" else "S3 (moto on 127.0.0.1)",
                         f"{row['save_s']:.2f} s", f"{row['load_s']:.2f} s",
                         f"{art['frame_mb'] / row['save_s']:.0f}", f"{art['frame_mb'] / row['load_s']:.0f}")
    console = Console(width=110)
    console.print(table)
    console.print(io_table)
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
