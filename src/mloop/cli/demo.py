"""`mloop demo`: runs `mloop.demo.run_demo` and tells what each stage actually did."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path
from typing import Any

from rich.console import Console

from mloop.cli import render
from mloop.cli.runs import print_run


def print_start(console: Console, number: int, goal: str) -> None:
    console.print()
    console.print(f"[bold]{number}. {render.escape(goal)}[/]", soft_wrap=True)


def print_stage(console: Console, stage: Any) -> None:
    """What a stage did: the plan, steps executed and reused, the gate's verdict."""
    if stage.plan is not None:
        for item in stage.plan.steps:
            console.print(f"  plan: {item.node:<10} {item.action:<7} {render.escape(item.reason)}", soft_wrap=True)
    for run in stage.runs:
        print_run(run)
        executed = sum(1 for s in run.steps if s.status == "succeeded")
        cached = sum(1 for s in run.steps if s.status == "cached")
        console.print(f"{executed} step(s) executed, {cached} reused from cache")
        console.print(f"data: {render.escape(run.output('data_validation.report').load().summary())}", soft_wrap=True)
        console.print(f"metrics: {run.output('evaluate').load()}")
        console.print(f"gate: {render.escape(str(run.output('bless').load()['summary']))}", soft_wrap=True)


def print_result(console: Console, result: Any) -> None:
    if result.drift is not None:
        console.print(f"drift: {render.escape(result.drift.summary())}", soft_wrap=True)
        console.print(f"report: {result.drift_report}", soft_wrap=True)
    console.print()
    console.print(f"[bold]{len(result.stages) + 2}. the champion and its lineage[/]")
    best = ", ".join(f"{row['run_id']} (val_auc {row['metrics.val_auc']:.4f})" for row in result.best_runs)
    console.print(f"serving churn@champion = version {result.champion_version}; best runs: {best}", soft_wrap=True)
    for source, digest, size in result.data_sources:
        console.print(f"model {result.model_id[:12]} was trained from {source} (sha256 {digest[:12]}, {size} bytes)",
                      soft_wrap=True)
    command, activate = mloop_command(result.folder)
    console.print(f"\nstate is in {result.folder / '.mloop'}; try:", soft_wrap=True)
    console.print(f"  cd {_shown(result.folder, Path.cwd())}", soft_wrap=True)
    for args in ("runs list", "models show churn@champion", f"artifacts lineage {result.model_id[:12]}"):
        console.print(f"  {command} {args}", soft_wrap=True)
    if activate:
        console.print(f"(mloop is not on your PATH: run it as above, or first: source {activate})", soft_wrap=True)


def mloop_command(folder: Path) -> tuple[str, str | None]:
    """How to type the `mloop` command from `folder`: `mloop` when it is on PATH, else the path of
    the script installed next to this Python (e.g. ../.venv/bin/mloop), with its venv's activate script."""
    if shutil.which("mloop"):
        return "mloop", None
    script = Path(sys.executable).with_name("mloop")
    if not script.exists():
        return "python -m mloop.cli.main", None
    activate = script.with_name("activate")
    return _shown(script, folder), (_shown(activate, folder) if activate.exists() else None)


def _shown(path: Path, start: Path) -> str:
    """`path` relative to `start` when that is shorter (./x for a file in it), else absolute."""
    relative = os.path.relpath(path, start)
    if len(relative) >= len(str(path)):
        return str(path)
    return relative if "/" in relative else f"./{relative}"
