"""Fixtures of the scheduling tests: a project folder with a module of small jobs."""

from __future__ import annotations

from pathlib import Path

import pytest

JOBS = '''
import os
import time


def record(path, label="fired"):
    with open(path, "a") as file:
        file.write(f"{label} {os.getpid()} {time.time()}\\n")


def record_files(path, files):
    with open(path, "a") as file:
        file.write(",".join(os.path.basename(f) for f in files) + "\\n")


def fail():
    raise RuntimeError("the job broke")
'''

PIPELINE = '''
from mloop import pipeline, step


@step
def numbers(n: int = 3) -> list:
    return list(range(n))


@step
def total(xs: list) -> int:
    return sum(xs)


@pipeline(schedule="@every 1h")
def nightly(n: int = 3):
    total(numbers(n))
'''


@pytest.fixture
def jobs(tmp_path: Path) -> Path:
    """`sched_jobs.py` in the project folder (importable as sched_jobs) and a pipeline file `flow.py`."""
    (tmp_path / "sched_jobs.py").write_text(JOBS)
    (tmp_path / "flow.py").write_text(PIPELINE)
    return tmp_path
