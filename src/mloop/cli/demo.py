"""`mloop demo`: runs the loop demo (mloop.demo.story) and tells each step as it happens."""

from __future__ import annotations

import logging
import os
import shutil
import sys
import time
from pathlib import Path
from typing import Any

from rich.console import Console

from mloop.cli import render


def run(console: Console, folder: Path) -> Any:
    from mloop.demo.story import run_loop_demo

    started = time.monotonic()
    stages = [0]

    def say(kind: str, text: str) -> None:
        if kind == "stage":
            stages[0] += 1
            console.print(f"\n[bold]{stages[0]}. {render.escape(text)}[/]  [dim]{time.monotonic() - started:.0f} s[/]",
                          soft_wrap=True)
        else:
            console.print(f"   {render.escape(text)}", soft_wrap=True)

    alerts = logging.getLogger("mloop.alerts")  # the story tells its alerts itself
    alerts.addHandler(logging.NullHandler())
    previous, alerts.propagate = alerts.propagate, False
    try:
        demo = run_loop_demo(folder, say)
    finally:
        alerts.propagate = previous
    print_result(console, demo, time.monotonic() - started)
    return demo


def print_result(console: Console, demo: Any, seconds: float) -> None:
    command, activate = mloop_command(demo.folder)
    console.print(f"\n[bold]the loop closed in {seconds:.0f} s.[/] state is in {demo.folder / '.mloop'}; look with:",
                  soft_wrap=True)
    console.print(f"  cd {_shown(demo.folder, Path.cwd())}", soft_wrap=True)
    for args in ("status", "monitor results fraud-input-drift", "alerts list", "deployments",
                 f"predictions explain {demo.example_request}", "models show fraud@champion", "schedule list"):
        console.print(f"  {command} {args}", soft_wrap=True)
    console.print(f"  {command} ui      [dim]# all of it in the browser: http://127.0.0.1:5000[/]", soft_wrap=True)
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
