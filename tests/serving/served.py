"""`mloop serve` as a user starts it: a real process on a free port of 127.0.0.1, stopped after the
test; `metric(...)` reads one value from its /metrics page."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from servers import free_port, stop_process


class Server:
    def __init__(self, process: subprocess.Popen[bytes], url: str, log: Path) -> None:
        self.process, self.url, self.log = process, url, log

    def output(self) -> str:
        return self.log.read_text(errors="replace")


@contextmanager
def serving(*args: str, folder: Path | None = None, timeout: float = 60) -> Iterator[Server]:
    """`mloop serve ARGS --port P` in `folder` (the current one by default), ready when it yields."""
    folder = folder or Path.cwd()
    port = free_port()
    log = folder / f"serve-{port}.log"
    # the models' own code (e.g. on-demand feature functions) is importable, as from a project folder
    paths = [str(Path(__file__).parent), *filter(None, [os.environ.get("PYTHONPATH")])]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(paths)}
    with log.open("wb") as out:
        process = subprocess.Popen([sys.executable, "-m", "mloop.cli.main", "serve", *args, "--port", str(port)],
                                   cwd=folder, env=env, stdout=out, stderr=subprocess.STDOUT)
    server = Server(process, f"http://127.0.0.1:{port}", log)
    try:
        wait_ready(server, timeout)
        yield server
    finally:
        stop_process(process)


def wait_ready(server: Server, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while True:
        if server.process.poll() is not None:
            raise RuntimeError(f"mloop serve exited with {server.process.returncode}:\n{server.output()}")
        try:
            if httpx.get(f"{server.url}/v2/health/ready", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"mloop serve was not ready within {timeout:g} s:\n{server.output()}")
        time.sleep(0.1)


def metrics(url: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of the /metrics page: (name, sorted labels) -> value."""
    from prometheus_client.parser import text_string_to_metric_families

    samples = {}
    for family in text_string_to_metric_families(httpx.get(f"{url}/metrics").text):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def metric(url: str, name: str, **labels: str) -> float:
    """The sum of `name`'s samples whose labels include `labels` (0 when there are none)."""
    wanted = set(labels.items())
    return sum(value for (sample, found), value in metrics(url).items() if sample == name and wanted <= set(found))


def run_apart(make):  # type: ignore[no-untyped-def]
    """`asyncio.run(make())` in a thread of its own: the test process may hold a running loop (the
    session's Playwright driver does)."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(lambda: asyncio.run(make())).result()
