"""A script that starts a Dask LocalCluster without a `__main__` guard gets one line saying what
to add, before any worker process starts; with the guard it runs."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import mloop

STEPS = '''
from mloop import step


@step
def double(n: int) -> int:
    return 2 * n
'''

FLOW = '''
from mloop import pipeline
from steps import double


@pipeline
def flow(n: int = 2):
    double(n)

'''


def python(script: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, script.name], cwd=script.parent, env=dict(os.environ), text=True,
                          capture_output=True, timeout=180, check=False)


@pytest.mark.usefixtures("sqlite_workspace")
def test_local_cluster_from_an_unguarded_script_says_what_to_add(tmp_path: Path) -> None:
    (tmp_path / "steps.py").write_text(STEPS)
    unguarded = tmp_path / "train.py"
    unguarded.write_text(FLOW + 'flow.run(executor="dask")\n')

    result = python(unguarded)

    assert result.returncode == 1
    assert result.stderr.splitlines()[-1] == (
        "mloop.core.errors.ConfigError: train.py:10: the Dask LocalCluster's worker processes re-run train.py "
        "from the top; put the run under if __name__ == \"__main__\": (or pass the address of a running scheduler)")
    assert "nanny" not in result.stderr.lower()
    assert mloop.list_runs() == []

    guarded = tmp_path / "guarded.py"
    guarded.write_text(FLOW + 'if __name__ == "__main__":\n    flow.run(executor="dask")\n')
    result = python(guarded)
    assert result.returncode == 0, result.stderr
    assert [r.status for r in mloop.list_runs()] == ["succeeded"]
