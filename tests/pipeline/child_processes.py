"""Child processes for tests that need a second process: a user's other terminal, a crash, the real CLI."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def child_env() -> dict[str, str]:
    """This test's environment (its MLOOP_* workspace) with the test step modules importable."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(HERE), env.get("PYTHONPATH", "")) if p)
    env["COLUMNS"] = "250"  # rich wraps long lines (paths) at 80 columns otherwise
    return env


def start_python(code: str, cwd: Path) -> subprocess.Popen[str]:
    """Start `python -c code` in the background."""
    return subprocess.Popen([sys.executable, "-c", code], cwd=cwd, env=child_env(), text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def mloop_cli(*args: str, cwd: Path, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """Run the `mloop` console script of this virtualenv, as a user types it."""
    script = Path(sys.executable).with_name("mloop")
    return subprocess.run([str(script), *args], cwd=cwd, env=child_env(), text=True, capture_output=True,
                          timeout=timeout, check=False)
