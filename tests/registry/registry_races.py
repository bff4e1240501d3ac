"""Child processes for registry races; they import this folder's modules."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def child_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(HERE), env.get("PYTHONPATH", "")) if p)
    env["COLUMNS"] = "250"
    return env


def race(script: str, count: int, folder: Path, timeout: float = 120) -> list[str]:
    """Start `count` children running `script` (argv[1] is the child's index, argv[2] a 'go' file
    to wait for once ready) and release them together; their stdout, after all exit 0."""
    go = folder / "go"
    children = [subprocess.Popen([sys.executable, "-c", script, str(i), str(go)], cwd=folder, env=child_env(),
                                 text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE) for i in range(count)]
    deadline = time.monotonic() + timeout
    while not all((folder / f"ready{i}").exists() for i in range(count)) and time.monotonic() < deadline:
        if any(child.poll() is not None for child in children):
            break
        time.sleep(0.01)
    go.touch()
    results = [child.communicate(timeout=timeout) for child in children]
    assert [child.returncode for child in children] == [0] * count, [err for _, err in results]
    return [out for out, _ in results]


READY = """
import pathlib, sys, time
pathlib.Path(f"ready{sys.argv[1]}").touch()
while not pathlib.Path(sys.argv[2]).exists():
    time.sleep(0.002)
"""
