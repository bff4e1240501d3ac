"""`mloop serve` (or another mloop command) as a child process: a free port on 127.0.0.1, waiting
until the server answers ready, stopping it gracefully — what `mloop deploy check`'s load test
and the demo start."""

from __future__ import annotations

import socket
import subprocess
import time
from typing import IO

from mloop.core.errors import ConfigError


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_ready(url: str, process: subprocess.Popen[bytes], log: IO[bytes], what: str, timeout: float = 60) -> None:
    """Return once `url`/v2/health/ready answers 200; ConfigError with the last line of `log` if
    the process exits first, or when `timeout` passes."""
    import httpx

    deadline = time.monotonic() + timeout
    while True:
        if process.poll() is not None:
            log.seek(0)
            tail = log.read().decode(errors="replace").strip().splitlines()[-1:]
            raise ConfigError(f"{what} exited: {' '.join(tail)}")
        try:
            if httpx.get(f"{url}/v2/health/ready", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            raise ConfigError(f"{what} was not ready within {timeout:g} s")
        time.sleep(0.1)


def stop(process: subprocess.Popen[bytes], timeout: float = 15) -> None:
    """SIGTERM (a graceful stop: a server records its deployment stopped), then SIGKILL after `timeout`."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
