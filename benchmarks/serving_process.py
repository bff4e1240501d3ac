"""One server process of the serving benchmark: started in a session of its own (so its workers
are stopped with it), ready when its health route answers 200, checked with one real prediction,
stopped cleanly (SIGINT, then SIGTERM, then SIGKILL to its process group)."""

from __future__ import annotations

import json
import math
import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path

from serving_servers import Target


def free_port() -> int:
    with closing(socket.socket()) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def running(target: Target, base_url: str, log_path: Path,
            ready_timeout_s: float = 180.0) -> Iterator[subprocess.Popen]:
    """The server of `target`, ready and answering correctly, for the length of the block."""
    with open(log_path, "wb") as log:
        process = subprocess.Popen(target.command, cwd=target.cwd, env=target.env, stdout=log,
                                   stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
    try:
        _wait_ready(process, base_url + target.health, ready_timeout_s, log_path)
        yield process
    finally:
        stop(process)


_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def session_cpu_seconds(session: int) -> float:
    """User + system CPU seconds so far of the live processes of a server started in a session of
    its own (`session` is its pid): that process, every process of its session, and every
    descendant (some servers start their workers in sessions of their own), from /proc; 0.0
    where /proc is missing."""
    stats: dict[int, tuple[int, int, int]] = {}  # pid -> (parent, session, ticks)
    for entry in os.scandir("/proc") if os.path.isdir("/proc") else ():
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as handle:
                fields = handle.read().rsplit(b")", 1)[1].split()
        except OSError:  # gone meanwhile
            continue
        # after the command: state(0) ppid(1) pgrp(2) session(3) ... utime(11) stime(12)
        stats[int(entry.name)] = (int(fields[1]), int(fields[3]), int(fields[11]) + int(fields[12]))
    counted = {pid for pid, (_, sid, _) in stats.items() if sid == session or pid == session}
    grew = True
    while grew:  # descendants, whatever their session
        more = {pid for pid, (parent, _, _) in stats.items() if parent in counted} - counted
        counted |= more
        grew = bool(more)
    return sum(stats[pid][2] for pid in counted) / _TICKS


def _wait_ready(process: subprocess.Popen, url: str, timeout_s: float, log_path: Path) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"exited with code {process.returncode} before it was ready; "
                               f"its log ({log_path}) ends: {_tail(log_path)}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.2)
    raise RuntimeError(f"not ready after {timeout_s:.0f} s ({url}); its log ({log_path}) ends: {_tail(log_path)}")


def check_prediction(target: Target, base_url: str, expected: float) -> float:
    """POST the benchmark's body once; the answer must be the model's own probability."""
    request = urllib.request.Request(base_url + target.predict, data=target.body.encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            answer = json.loads(response.read())
    except urllib.error.HTTPError as error:
        raise RuntimeError(f"the check request got HTTP {error.code}: {error.read()[:300]!r}") from None
    try:
        got = target.read_probability(answer)
    except (KeyError, IndexError, TypeError, ValueError):
        raise RuntimeError(f"cannot read a probability from the answer {json.dumps(answer)[:300]}") from None
    if not math.isclose(got, expected, rel_tol=1e-6, abs_tol=1e-9):
        raise RuntimeError(f"wrong prediction: {got!r}, the model itself gives {expected!r}")
    return got


def stop(process: subprocess.Popen) -> None:
    for sig, wait_s in ((signal.SIGINT, 20), (signal.SIGTERM, 10), (signal.SIGKILL, 10)):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            break
        try:
            process.wait(wait_s)
        except subprocess.TimeoutExpired:
            continue
        if sig is signal.SIGKILL or not _group_alive(process.pid):
            break
        time.sleep(0.5)  # the leader is gone; give its workers a moment before the next signal
    process.wait()


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


def _tail(path: Path, chars: int = 800) -> str:
    try:
        return path.read_text(errors="replace")[-chars:].strip()
    except OSError:
        return "(no log)"
