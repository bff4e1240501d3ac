"""`mloop run` in a real terminal: the live progress line."""

from __future__ import annotations

from pathlib import Path

import pytest
from terminal import Terminal

import mloop

GATED = '''
import time
from pathlib import Path

from mloop import pipeline, step


@step
def prepare() -> int:
    return 1


@step
def wait_for_gate(x: int) -> int:
    # ends when the test opens the gate; fails the run if it never does
    for _ in range(300):
        if Path("GATE").exists():
            return x + 1
        time.sleep(0.1)
    raise RuntimeError("the gate never opened")


@pipeline
def gated():
    return wait_for_gate(prepare())
'''


@pytest.fixture
def gated_project(sqlite_workspace: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("COLUMNS", raising=False)
    (sqlite_workspace / "gated.py").write_text(GATED)
    return sqlite_workspace


def test_progress_line_shows_the_running_step_while_it_runs(gated_project: Path) -> None:
    terminal = Terminal("run", "gated.py", cwd=gated_project)
    try:
        seen_while_running = terminal.read_until("running wait_for_gate")
        (gated_project / "GATE").touch()
        code = terminal.wait()
    finally:
        terminal.close()

    assert seen_while_running, terminal.screen
    assert code == 0, terminal.screen
    [record] = mloop.list_runs()
    assert record.status == "succeeded"  # so the line was drawn before the step ended
    assert f"run {record.id} of gated: succeeded" in terminal.screen
    # a few redraws a second cost kilobytes; buffered redraws dumped at the end cost megabytes
    assert len(terminal.raw) < 200_000


def test_progress_line_counts_the_steps_of_the_run(gated_project: Path) -> None:
    terminal = Terminal("run", "gated.py", cwd=gated_project)
    try:
        counted = terminal.read_until("1/2")  # prepare done, of the run's two steps
        (gated_project / "GATE").touch()
        code = terminal.wait()
    finally:
        terminal.close()

    assert counted, terminal.screen
    assert "1/?" not in terminal.screen
    assert code == 0, terminal.screen
