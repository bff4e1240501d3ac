"""`runs resume` and `runs reproduce` import the user's modules from the project folder, as
`mloop run` does, also for a run that `python go.py` started."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import mloop

MOD = '''
from pathlib import Path

from mloop import step


@step
def flaky2(n: int) -> int:
    marker = Path("FAILED_ONCE")
    if not marker.exists():
        marker.touch()
        raise RuntimeError("fails the first time")
    return n * 2
'''

GO = '''
from mloop import pipeline
from mod import flaky2


@pipeline
def flow(n: int = 2):
    flaky2(n)


if __name__ == "__main__":
    flow.run()
'''


def run(*command: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(command), cwd=cwd, env=dict(os.environ), text=True, capture_output=True,
                          timeout=120, check=False)


def mloop_script(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return run(str(Path(sys.executable).with_name("mloop")), *args, cwd=cwd)


@pytest.mark.usefixtures("sqlite_workspace")
def test_resume_and_reproduce_of_a_script_run_import_its_modules(tmp_path: Path) -> None:
    (tmp_path / "mod.py").write_text(MOD)
    (tmp_path / "go.py").write_text(GO)
    failed = run(sys.executable, "go.py", cwd=tmp_path)
    assert failed.returncode == 1
    [record] = mloop.list_runs()
    assert record.status == "failed"

    resumed = mloop_script("runs", "resume", record.id, cwd=tmp_path)

    assert resumed.returncode == 0, resumed.stderr
    assert mloop.get_run(record.id).status == "succeeded"
    assert mloop.get_run(record.id).output("flaky2").load() == 4

    reproduced = mloop_script("runs", "reproduce", record.id, cwd=tmp_path)
    assert reproduced.returncode == 0, reproduced.stderr
    assert "reproduced: every output has the same hash" in reproduced.stdout
