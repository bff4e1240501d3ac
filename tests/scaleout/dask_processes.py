"""Real Dask processes for the scale-out tests: a `dask scheduler`, `dask worker` processes with
resources, and what a test needs to break them (which worker a process belongs to, SIGKILL)."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from mloop_env import MLOOP_VARIABLES
from servers import S3_CREDENTIALS, free_port, stop_process, wait_until_listening

HERE = Path(__file__).resolve().parent
BIN = Path(sys.executable).parent
#: what every worker offers; the resource tests and the README use the same numbers
WORKER_RESOURCES = "CPU=2,MEMORY=4e9"


@dataclass
class DaskCluster:
    address: str
    scheduler: subprocess.Popen[bytes]
    #: worker name -> the `dask worker` process (a nanny; the worker itself is its child)
    workers: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    logs: Path = Path()

    def worker_named(self, pid: int) -> str | None:
        """Which worker a process belongs to: the `dask worker` process or one of its descendants."""
        for name, process in self.workers.items():
            if pid == process.pid or process.pid in ancestors(pid):
                return name
        return None

    def stop(self) -> None:
        for process in [*self.workers.values(), self.scheduler]:
            stop_process(process)


def ancestors(pid: int) -> list[int]:
    found = []
    while pid > 1:
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            break
        pid = int(stat.rsplit(")", 1)[1].split()[1])  # field 4, after the parenthesised command
        found.append(pid)
    return found


def worker_env(logs: Path, find_links: Path, envs_dir: Path) -> dict[str, str]:
    """What a worker machine is given: the test steps importable, S3 credentials, the shared
    environment cache and the offline wheels. Not the S3 endpoint: runs send theirs with every
    task (`s3_endpoint_url`), so a worker only needs credentials."""
    env = {k: v for k, v in os.environ.items() if k not in MLOOP_VARIABLES and not k.startswith("AWS_")}
    env = offline_uv_env(find_links, env)
    env.update(S3_CREDENTIALS, MLOOP_ENVS_DIR=str(envs_dir),
               MLOOP_CACHE_DIR=str(logs / "worker-cache"),
               PYTHONPATH=os.pathsep.join(p for p in (str(HERE), os.environ.get("PYTHONPATH", "")) if p))
    return env


def start_scheduler(logs: Path, env: dict[str, str]) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    with open(logs / f"scheduler-{port}.log", "wb") as log:
        scheduler = subprocess.Popen(
            [str(BIN / "dask"), "scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard",
             "--dashboard-address", "127.0.0.1:0"],  # its HTTP server (health checks) on a free port
            cwd=HERE, env=env, stdout=log, stderr=subprocess.STDOUT)
    wait_until_listening(port, scheduler, "dask scheduler")
    return scheduler, f"tcp://127.0.0.1:{port}"


def start_worker(address: str, name: str, logs: Path, env: dict[str, str],
                 resources: str = WORKER_RESOURCES) -> subprocess.Popen[bytes]:
    with open(logs / f"worker-{name}.log", "ab") as log:
        return subprocess.Popen(
            [str(BIN / "dask"), "worker", address, "--name", name, "--nthreads", "2", "--resources", resources,
             "--no-dashboard", "--local-directory", str(logs / f"scratch-{name}"), "--death-timeout", "60"],
            cwd=HERE, env=env, stdout=log, stderr=subprocess.STDOUT)


def wait_for_workers(address: str, count: int, timeout: float = 60) -> None:
    from distributed import Client

    with Client(address, timeout="10s", set_as_default=False) as client:
        client.wait_for_workers(count, timeout=timeout)


def start_cluster(logs: Path, env: dict[str, str], names: tuple[str, ...]) -> DaskCluster:
    logs.mkdir(parents=True, exist_ok=True)
    scheduler, address = start_scheduler(logs, env)
    cluster = DaskCluster(address, scheduler, logs=logs)
    try:
        for name in names:
            cluster.workers[name] = start_worker(address, name, logs, env)
        wait_for_workers(address, len(names))
    except BaseException:
        cluster.stop()
        raise
    return cluster


def offline_uv_env(find_links: Path, base: dict[str, str] | None = None) -> dict[str, str]:
    env = dict(os.environ if base is None else base)
    env.update(UV_FIND_LINKS=str(find_links), UV_NO_INDEX="1", UV_OFFLINE="1")
    return env


def kill(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)


def wait_for_file(folder: Path, pattern: str, timeout: float = 60) -> Path:
    deadline = time.monotonic() + timeout
    while True:
        found = sorted(folder.glob(pattern)) if folder.is_dir() else []
        if found and found[0].stat().st_size:  # created and written: a step writes its trace file in two moves
            return found[0]
        if time.monotonic() > deadline:
            raise AssertionError(f"no {pattern} appeared in {folder} within {timeout:g} s")
        time.sleep(0.02)
