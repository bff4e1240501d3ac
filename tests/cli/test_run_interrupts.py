"""Ctrl-C during `mloop run`, sent as SIGINT to a real `mloop` process."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

import mloop
from mloop.cli.main import app

STEPS = '''
import time
from pathlib import Path

from mloop import pipeline, step


@step
def a() -> int:
    return 1


@step
def b(x: int) -> int:
    print("b got going", flush=True)
    Path("B_STARTED").touch()
    for _ in range(1200):  # ends when the test opens the gate
        if Path("GATE").exists():
            return x + 1
        time.sleep(0.1)
    raise RuntimeError("the gate never opened")


@step
def c(x: int) -> int:
    return x * 10


@pipeline
def gated():
    return c(b(a()))
'''


class Mloop:
    """`mloop run gated.py` in a child process; stderr read as it comes."""

    def __init__(self, cwd: Path) -> None:
        script = Path(sys.executable).with_name("mloop")
        self.process = subprocess.Popen([str(script), "run", "gated.py"], cwd=cwd, env=dict(os.environ),
                                        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.stderr = ""
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self.stderr += line

    def wait_for(self, condition: object, what: str, limit: float = 60.0) -> None:
        """Poll `condition` (a watchdog `limit` against a hung child, not a measure of speed)."""
        deadline = time.monotonic() + limit
        while not condition():  # type: ignore[operator]
            if time.monotonic() > deadline or self.process.poll() is not None and not condition():  # type: ignore[operator]
                self.process.kill()
                self.end(limit=10)
                pytest.fail(f"never saw {what}; stderr: {self.stderr}")
            time.sleep(0.05)

    def end(self, limit: float = 60.0) -> int:
        try:
            code = self.process.wait(timeout=limit)
        finally:
            self.process.kill()
            self._reader.join(timeout=10)
            for stream in (self.process.stdout, self.process.stderr):
                if stream is not None:
                    stream.close()
        return code


@pytest.fixture
def gated_project(sqlite_workspace: Path) -> Path:
    (sqlite_workspace / "gated.py").write_text(STEPS)
    return sqlite_workspace


def test_first_ctrl_c_says_so_at_once_and_keeps_the_running_step(gated_project: Path) -> None:
    child = Mloop(gated_project)
    child.wait_for(lambda: (gated_project / "B_STARTED").exists(), "step b start")

    child.process.send_signal(signal.SIGINT)
    child.wait_for(lambda: "interrupting run" in child.stderr, "the interrupt acknowledged")
    [record] = mloop.list_runs()
    assert mloop.get_run(record.id).step("b").status == "running"  # said before the step ended
    (gated_project / "GATE").touch()
    code = child.end()

    assert code == 130
    resume = f"resume with: mloop runs resume {record.id}"
    assert f"interrupting run {record.id}… (Ctrl-C again to abandon)" in child.stderr
    assert child.stderr.splitlines()[-1] == f"run {record.id} interrupted by Ctrl-C (SIGINT); {resume}"
    run = mloop.get_run(record.id)
    assert run.status == "interrupted"
    assert run.error == f"interrupted by Ctrl-C (SIGINT); {resume}"
    # the step that was running ended and is kept; the one after it never started
    assert [(s.node, s.status) for s in run.steps] == [("a", "succeeded"), ("b", "succeeded"), ("c", "pending")]
    logs = CliRunner().invoke(app, ["runs", "logs", record.id, "b"])
    assert logs.exit_code == 0 and "b got going" in logs.output

    resumed = CliRunner().invoke(app, ["runs", "resume", record.id])
    assert resumed.exit_code == 0, resumed.output
    assert mloop.get_run(record.id).output("c").load() == 20


def test_second_ctrl_c_abandons_the_running_step_and_keeps_its_log(gated_project: Path) -> None:
    child = Mloop(gated_project)
    child.wait_for(lambda: (gated_project / "B_STARTED").exists(), "step b start")

    child.process.send_signal(signal.SIGINT)
    child.wait_for(lambda: "interrupting run" in child.stderr, "the interrupt acknowledged")
    child.process.send_signal(signal.SIGINT)
    code = child.end()  # the gate never opens: the step is abandoned, not waited for

    assert code == 130
    [record] = mloop.list_runs()
    resume = f"resume with: mloop runs resume {record.id}"
    reason = f"interrupted by Ctrl-C (SIGINT) twice, abandoning its running steps; {resume}"
    assert child.stderr.splitlines()[-1] == f"run {record.id} {reason}"
    run = mloop.get_run(record.id)
    assert (run.status, run.error) == ("interrupted", reason)
    b = run.step("b")
    assert b.status == "failed" and b.error == reason
    assert [a["status"] for a in b.attempts] == ["interrupted"]
    logs = CliRunner().invoke(app, ["runs", "logs", record.id, "b"])
    assert logs.exit_code == 0 and "b got going" in logs.output
    assert not (gated_project / "GATE").exists()
