"""How the serving benchmark loads its servers: every server started first, then, at each
concurrency, rounds that give each server one timed wrk run in turn.

The machine is shared (two cores, other work coming and going), so a burst of outside load should
hit every tool alike rather than whichever one happened to be timed then: interleaved rounds
spread it, and each figure is taken over all the rounds of a tool (req/s over their total time,
the median of their p50 and p99).

Each server's CPU time (every process of its session, from /proc) is read before each of its
timed runs and once more after the last, `SETTLE_S` after the load stops: a round's CPU is the
difference to the next reading, so work a request causes after its answer (the prediction log's
writer flushing every 2 s) counts in the round that caused it. CPU per answered request is the
cost a server pays for its answers whatever else the shared machine does, steadier than req/s.
An mloop server that logs predictions also reports its log writer thread's CPU in /metrics,
read at the same moments: the share of the server's CPU that went to writing the log.
"""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import asdict, dataclass, field
from itertools import pairwise
from pathlib import Path

from common import note
from serving_load import LoadResult, run_wrk
from serving_process import check_prediction, free_port, running, session_cpu_seconds
from serving_servers import Target

#: seconds between the end of the load and a CPU reading (longer than any server's background flush)
SETTLE_S = 2.5


@dataclass(frozen=True)
class Planned:
    tool: str
    mode: str
    make: Callable[[int], Target] | None  # the Target on a port
    missing: str | None = None  # why there is none


@dataclass
class Row:
    tool: str
    mode: str
    problem: str | None = None
    settings: str = ""
    ready_s: float | None = None
    results: list[dict] = field(default_factory=list)  # one per concurrency


@dataclass(frozen=True)
class LoadPlan:
    concurrency: list[int]
    rounds: int
    duration_s: float  # of one timed run
    warmup_s: float  # untimed, before a server's first round at each concurrency


def run_all(planned: list[Planned], expected: float, load: LoadPlan, wrk: str, logs: Path) -> list[Row]:
    rows = [Row(item.tool, item.mode, item.missing) for item in planned]
    with ExitStack() as servers:
        live: list[tuple[Row, Target, str, int]] = []
        for item, row in zip(planned, rows, strict=True):
            if item.make is None:
                print(item.missing, flush=True)
                continue
            port = free_port()
            target, base = item.make(port), f"http://127.0.0.1:{port}"
            row.settings = target.settings
            try:
                started = time.perf_counter()
                process = servers.enter_context(running(target, base, logs / f"{target.tool.split()[0].lower()}-"
                                                                             f"{target.mode.replace(' ', '')}.log"))
                row.ready_s = time.perf_counter() - started
                check_prediction(target, base, expected)
            except Exception as error:  # one tool failing never stops the others
                row.problem = f"{target.name}: {error}"
                note(row.problem)
                continue
            note(f"{target.name}: ready in {row.ready_s:.1f} s, answer checked; {target.settings}")
            live.append((row, target, base, process.pid))
        for concurrency in load.concurrency:
            _one_concurrency(live, concurrency, load, wrk)
        for row, target, base, _ in live:
            if row.problem is None:
                try:
                    check_prediction(target, base, expected)  # still right after all the load
                except Exception as error:
                    row.problem = f"{target.name} after the load: {error}"
                    note(row.problem)
    return rows


def _one_concurrency(live: list[tuple[Row, Target, str, int]], concurrency: int, load: LoadPlan, wrk: str) -> None:
    runs: dict[int, list[LoadResult]] = {id(row): [] for row, _, _, _ in live}
    cpu: dict[int, list[float]] = {id(row): [] for row, _, _, _ in live}  # readings before each run, then the end
    writer: dict[int, list[float | None]] = {id(row): [] for row, _, _, _ in live}  # mloop's log writer, likewise
    load_average = os.getloadavg()[0]  # other work on the machine skews every figure
    for round_number in range(load.rounds):
        for row, target, base, session in live:
            if row.problem is not None:
                continue
            url = base + target.predict
            try:
                if round_number == 0 and load.warmup_s > 0:
                    run_wrk(wrk, url, target.body, concurrency, load.warmup_s)
                    time.sleep(SETTLE_S)  # the warm-up's own background work stays out of the first round
                cpu[id(row)].append(session_cpu_seconds(session))
                writer[id(row)].append(log_writer_cpu_seconds(base) if target.tool == "mloop" else None)
                result = run_wrk(wrk, url, target.body, concurrency, load.duration_s)
            except Exception as error:
                row.problem = f"{target.name} at concurrency {concurrency}: {error}"
                note(row.problem)
                continue
            runs[id(row)].append(result)
            note(f"{target.name} c={concurrency} round {round_number + 1}/{load.rounds}: "
                 f"{result.requests_per_s:,.0f} req/s, p50 {result.p50_ms:.2f} ms, p99 {result.p99_ms:.2f} ms, "
                 f"{result.errors} errors")
    time.sleep(SETTLE_S)
    for row, target, base, session in live:
        if runs[id(row)]:
            readings = [*cpu[id(row)], session_cpu_seconds(session)]
            used = [after - before for before, after in pairwise(readings)][:len(runs[id(row)])]
            result = combine(concurrency, runs[id(row)], used) | {"load_average_before": load_average}
            written = [*writer[id(row)], log_writer_cpu_seconds(base) if target.tool == "mloop" else None]
            if None not in written and sum(used):
                result["log_writer_cpu_share"] = (written[len(used)] - written[0]) / sum(used)  # type: ignore[operator]
            row.results.append(result)


def log_writer_cpu_seconds(base: str) -> float | None:
    """mloop's `mloop_prediction_log_writer_cpu_seconds` from the server's /metrics (None: absent)."""
    import re
    import urllib.request

    try:
        with urllib.request.urlopen(base + "/metrics", timeout=10) as response:
            text = response.read().decode()
    except OSError:
        return None
    found = re.search(r"^mloop_prediction_log_writer_cpu_seconds (\S+)$", text, re.M)
    return float(found.group(1)) if found else None


def combine(concurrency: int, runs: list[LoadResult], cpu_s: list[float] | None = None) -> dict:
    """One figure per tool and concurrency from its rounds (`cpu_s`: the server's CPU seconds in each)."""
    seconds = sum(r.seconds for r in runs)
    ok = sum(r.ok for r in runs)
    cpu_s = cpu_s or []
    return {
        "concurrency": concurrency,
        "requests_per_s": ok / seconds if seconds else 0.0,
        "cpu_us_per_request": sum(cpu_s) * 1e6 / ok if ok and len(cpu_s) == len(runs) else None,
        "p50_ms": statistics.median(r.p50_ms for r in runs),
        "p99_ms": statistics.median(r.p99_ms for r in runs),
        "max_ms": max(r.max_ms for r in runs),
        "errors": sum(r.errors for r in runs),
        "requests": sum(r.requests for r in runs),
        "seconds": seconds,
        "rounds": [asdict(r) | {"requests_per_s": r.requests_per_s,
                                "cpu_s": cpu_s[index] if index < len(cpu_s) else None}
                   for index, r in enumerate(runs)],
    }
