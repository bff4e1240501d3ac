"""How bench_quality.py times its workloads, runs the ones in other processes (mloop's fresh-process
workloads and the peers) and prints its tables."""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

import peers
from common import note

HERE = Path(__file__).resolve().parent
REPEATS = 3
PEER_TIMEOUT = 600
#: one table row: workload, mloop, baseline, peers, target, verdict
Row = tuple[str, str, str, str, str, str]


def timed(fn: Callable[..., Any], *args: Any, repeats: int = REPEATS, warmup: bool = True) -> tuple[float, Any]:
    """Median seconds of `repeats` calls of fn(*args) (after one untimed call), and the last result."""
    if warmup:
        fn(*args)
    times, result = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        result = fn(*args)
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def run_json(command: list[str], label: str, timeout: float) -> dict | None:
    """The JSON a workload script prints last; {"timeout": s} if it ran out of time; None on failure."""
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, cwd=HERE)
    except subprocess.TimeoutExpired:
        note(f"{label} did not finish within {timeout:.0f} s; it shows '> {timeout:.0f} s'")
        return {"timeout": timeout}
    try:
        return json.loads(done.stdout.strip().splitlines()[-1])
    except (IndexError, ValueError):
        note(f"{label} failed (exit {done.returncode}); it shows '—'\n{done.stderr[-1500:]}")
        return None


def peer(tool: str, arguments: list[str], timeout: float = PEER_TIMEOUT) -> dict | None:
    """A workload of workloads_quality_peers.py in `tool`'s venv (the scipy baseline: this python)."""
    python = sys.executable if tool == "scipy" else peers.peer_python(tool)
    if python is None:
        return None
    return run_json([python, str(HERE / "workloads_quality_peers.py"), tool, *arguments], tool, timeout)


def in_process(label: str, fn: Callable[[], dict]) -> dict | None:
    try:
        return fn()
    except Exception:
        note(f"{label} failed; its figures show '—'\n{traceback.format_exc()}")
        return None


def seconds(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value * 1e3:.0f} ms" if value < 1 else f"{value:.2f} s"


def peer_time(found: dict | None) -> str:
    if not found:
        return "—"
    return f"> {found['timeout']:.0f} s" if "timeout" in found else seconds(found["seconds"])


def ratio(mine: float | None, base: float | None) -> float | None:
    return None if mine is None or not base else mine / base


def verdict(ok: bool | None) -> str:
    return "" if ok is None else ("✓" if ok else "✗")


def flagged(columns: list[str] | None) -> str:
    if columns is None:
        return "—"
    return ", ".join(columns) if len(columns) <= 6 else f"{len(columns)} columns"


def megabytes(value: float | None) -> str:
    return "—" if value is None else f"{value:,.0f} MB"


def checks_file(checks: list[dict], folder: str, name: str) -> str:
    path = Path(folder) / name
    path.write_text(json.dumps(checks))
    return str(path)


def mloop_child(arguments: list[str], label: str, timeout: float = PEER_TIMEOUT) -> dict | None:
    """A workload of workloads_quality_mloop.py in a fresh process of this python."""
    return run_json([sys.executable, str(HERE / "workloads_quality_mloop.py"), *arguments], label, timeout)


def child_cell(found: dict | None) -> str:
    if not found:
        return "—"
    if "timeout" in found:
        return f"> {found['timeout']:.0f} s"
    return f"{seconds(found['seconds'])}, peak {megabytes(found['peak_rss_mb'])}"


def none_cell(columns: list[str] | None) -> str:
    return "—" if columns is None else ("none" if not columns else flagged(columns))


def print_table(console: Any, title: str, rows: list[Row]) -> None:
    from rich.table import Table

    table = Table(title=title, title_justify="left")
    table.add_column("workload")
    for column in ("mloop", "baseline", "peers", "target", "verdict"):
        table.add_column(column, justify="left" if column in ("baseline", "peers") else "right")
    for row in rows:
        table.add_row(*row)
    console.print(table)


def versions(*sections: dict) -> str:
    found: dict[str, str] = {}

    def walk(value: Any, key: str = "") -> None:
        if isinstance(value, dict):
            if "version" in value and key:
                found.setdefault(key, value["version"])
            for name, item in value.items():
                walk(item, name)

    for section in sections:
        walk(section)
    return ", ".join(f"{name} {version}" for name, version in sorted(found.items())) or "none ran"
