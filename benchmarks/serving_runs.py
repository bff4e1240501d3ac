"""How the serving benchmark loads its servers: every server started first, then, at each
concurrency, rounds that give each server one timed wrk run in turn.

The machine is shared (two cores, other work coming and going), so a burst of outside load should
hit every tool alike rather than whichever one happened to be timed then: interleaved rounds
spread it, and each figure is taken over all the rounds of a tool (req/s over their total time,
the median of their p50 and p99).
"""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import asdict, dataclass, field
from pathlib import Path

from common import note
from serving_load import LoadResult, run_wrk
from serving_process import check_prediction, free_port, running
from serving_servers import Target


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
        live: list[tuple[Row, Target, str]] = []
        for item, row in zip(planned, rows, strict=True):
            if item.make is None:
                print(item.missing, flush=True)
                continue
            port = free_port()
            target, base = item.make(port), f"http://127.0.0.1:{port}"
            row.settings = target.settings
            try:
                started = time.perf_counter()
                servers.enter_context(running(target, base, logs / f"{target.tool.split()[0].lower()}-"
                                                                   f"{target.mode.replace(' ', '')}.log"))
                row.ready_s = time.perf_counter() - started
                check_prediction(target, base, expected)
            except Exception as error:  # one tool failing never stops the others
                row.problem = f"{target.name}: {error}"
                note(row.problem)
                continue
            note(f"{target.name}: ready in {row.ready_s:.1f} s, answer checked; {target.settings}")
            live.append((row, target, base))
        for concurrency in load.concurrency:
            _one_concurrency(live, concurrency, load, wrk)
        for row, target, base in live:
            if row.problem is None:
                try:
                    check_prediction(target, base, expected)  # still right after all the load
                except Exception as error:
                    row.problem = f"{target.name} after the load: {error}"
                    note(row.problem)
    return rows


def _one_concurrency(live: list[tuple[Row, Target, str]], concurrency: int, load: LoadPlan, wrk: str) -> None:
    runs: dict[int, list[LoadResult]] = {id(row): [] for row, _, _ in live}
    load_average = os.getloadavg()[0]  # other work on the machine skews every figure
    for round_number in range(load.rounds):
        for row, target, base in live:
            if row.problem is not None:
                continue
            url = base + target.predict
            try:
                if round_number == 0 and load.warmup_s > 0:
                    run_wrk(wrk, url, target.body, concurrency, load.warmup_s)
                result = run_wrk(wrk, url, target.body, concurrency, load.duration_s)
            except Exception as error:
                row.problem = f"{target.name} at concurrency {concurrency}: {error}"
                note(row.problem)
                continue
            runs[id(row)].append(result)
            note(f"{target.name} c={concurrency} round {round_number + 1}/{load.rounds}: "
                 f"{result.requests_per_s:,.0f} req/s, p50 {result.p50_ms:.2f} ms, p99 {result.p99_ms:.2f} ms, "
                 f"{result.errors} errors")
    for row, _, _ in live:
        if runs[id(row)]:
            row.results.append(combine(concurrency, runs[id(row)]) | {"load_average_before": load_average})


def combine(concurrency: int, runs: list[LoadResult]) -> dict:
    """One figure per tool and concurrency from its rounds."""
    seconds = sum(r.seconds for r in runs)
    return {
        "concurrency": concurrency,
        "requests_per_s": sum(r.ok for r in runs) / seconds if seconds else 0.0,
        "p50_ms": statistics.median(r.p50_ms for r in runs),
        "p99_ms": statistics.median(r.p99_ms for r in runs),
        "max_ms": max(r.max_ms for r in runs),
        "errors": sum(r.errors for r in runs),
        "requests": sum(r.requests for r in runs),
        "seconds": seconds,
        "rounds": [asdict(r) | {"requests_per_s": r.requests_per_s} for r in runs],
    }
