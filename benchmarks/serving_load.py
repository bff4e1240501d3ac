"""The load generator of the serving benchmark: wrk (Debian package `wrk`) POSTing one JSON body.

One wrk thread drives every concurrency (it needs far less CPU than the servers and shares the
two cores with them); wrk refuses fewer connections than threads, so `-t1 -c1` at concurrency 1.
A Lua `done` hook prints the figures as one JSON line: requests, duration, p50/p99/max latency and
the errors (non-2xx responses, connect/read/write failures, timeouts).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from dataclasses import dataclass

from common import note

MARK = "MLOOP_BENCH_WRK "

_LUA = """
wrk.method = "POST"
wrk.body = [==[%(body)s]==]
wrk.headers["Content-Type"] = "application/json"

local non_2xx = 0

-- counts 3xx too (wrk's own status error counts only >= 400); one counter per wrk thread,
-- and the benchmark runs one thread
response = function(status, headers, body)
  if status < 200 or status > 299 then non_2xx = non_2xx + 1 end
end

done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '%(mark)s{"requests": %%d, "duration_us": %%d, "p50_us": %%d, "p99_us": %%d, "max_us": %%d, ' ..
    '"mean_us": %%f, "non_2xx": %%d, "connect": %%d, "read": %%d, "write": %%d, "timeout": %%d}\\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99), latency.max,
    latency.mean, non_2xx, e.connect, e.read, e.write, e.timeout))
end
"""


@dataclass(frozen=True)
class LoadResult:
    concurrency: int
    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    max_ms: float
    errors: int  # non-2xx responses + socket errors + timeouts
    ok: int  # 2xx responses

    @property
    def requests_per_s(self) -> float:
        """Successful (2xx) responses per second."""
        return self.ok / self.seconds if self.seconds else 0.0


def ensure_wrk() -> str:
    """The wrk binary; installed with apt-get (Debian package `wrk`) when it is missing."""
    found = shutil.which("wrk")
    if found:
        return found
    note("wrk is missing: installing the Debian package with apt-get (once)")
    install = ["apt-get", "install", "-y", "-q", "wrk"]
    try:
        if subprocess.run(install, capture_output=True).returncode != 0:
            subprocess.run(["apt-get", "update", "-q"], capture_output=True)
            subprocess.run(install, capture_output=True)
    except OSError:  # no apt-get here
        pass
    found = shutil.which("wrk")
    if not found:
        raise RuntimeError("wrk is not installed and apt-get could not install it; run: apt-get install -y wrk")
    return found


def run_wrk(wrk: str, url: str, body: str, concurrency: int, seconds: float, timeout_s: float = 5.0) -> LoadResult:
    """One wrk run of `seconds` at `concurrency` open connections, each POSTing `body` to `url`."""
    if "]==]" in body:
        raise ValueError("the request body cannot hold ']==]' (it closes the Lua string)")
    with tempfile.NamedTemporaryFile("w", suffix=".lua", prefix="mloop-bench-") as script:
        script.write(_LUA % {"body": body, "mark": MARK})
        script.flush()
        command = [wrk, "-t1", f"-c{concurrency}", f"-d{max(1, round(seconds))}s", f"--timeout={timeout_s:g}s",
                   "-s", script.name, url]
        finished = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60)
    lines = [line for line in finished.stdout.splitlines() if line.startswith(MARK)]
    if finished.returncode != 0 or not lines:
        raise RuntimeError(f"wrk failed (exit {finished.returncode}): {(finished.stderr or finished.stdout)[-500:]}")
    figures = json.loads(lines[-1][len(MARK):])
    errors = sum(figures[k] for k in ("non_2xx", "connect", "read", "write", "timeout"))
    return LoadResult(concurrency=concurrency, requests=figures["requests"], seconds=figures["duration_us"] / 1e6,
                      p50_ms=figures["p50_us"] / 1e3, p99_ms=figures["p99_us"] / 1e3, max_ms=figures["max_us"] / 1e3,
                      errors=errors, ok=figures["requests"] - figures["non_2xx"])

