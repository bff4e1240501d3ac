from __future__ import annotations

import contextlib
import os
import signal
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest
from child_processes import mloop_cli, start_python
from steps_example import chain
from typer.testing import CliRunner

import mloop
from mloop.cli.main import app
from mloop.pipeline.execution.runner import recover_interrupted
from mloop.stores.workspace import get_workspace


def wait_for_file(path: Path, child: subprocess.Popen[str], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        if child.poll() is not None:
            raise AssertionError(f"child exited with {child.returncode} first: {child.communicate()[1]}")
        if time.monotonic() > deadline:
            child.kill()
            child.communicate()
            raise AssertionError(f"{path.name} did not appear within {timeout} s")
        time.sleep(0.02)


def wait_until_recorded(run_id: str, node: str, status: str, child: subprocess.Popen[str]) -> None:
    """The run's state changes are committed once per scheduler turn, just after steps start."""
    deadline = time.monotonic() + 30
    while mloop.get_run(run_id).step(node).status != status:
        if child.poll() is not None or time.monotonic() > deadline:
            child.kill()
            child.communicate()
            raise AssertionError(f"step {node!r} was not recorded as {status}")
        time.sleep(0.02)


@pytest.mark.usefixtures("workspace")
def test_killed_run_is_marked_interrupted_keeps_finished_outputs_and_resumes(tmp_path: Path) -> None:
    started, release = tmp_path / "started", tmp_path / "release"
    child = start_python(
        f"import steps_example; steps_example.crash_pipeline.run(started={str(started)!r}, release={str(release)!r})",
        cwd=tmp_path,
    )
    wait_for_file(started, child)
    [record] = mloop.list_runs()
    wait_until_recorded(record.id, "wait_for", "running", child)
    assert mloop.get_run(record.id).step("wait_for").logs() == f"waiting for {release}\n"  # live, from here
    os.kill(child.pid, signal.SIGKILL)
    child.communicate()  # reap it (a zombie still answers kill(pid, 0)) and close its pipes

    assert mloop.get_run(record.id).status == "running"  # nobody has looked yet

    listing = CliRunner(env={"COLUMNS": "250"}).invoke(app, ["runs", "list"])
    assert listing.exit_code == 0, listing.output
    assert "interrupted" in listing.stdout
    run = mloop.get_run(record.id)
    assert run.status == "interrupted"
    assert f"mloop runs resume {run.id}" in run.error
    assert run.step("numbers").status == "succeeded"
    assert run.output("numbers").load() == [0, 1, 2, 3]
    assert run.step("wait_for").status == "failed"  # it was running when its process died
    assert run.step("wait_for").error == run.error
    assert run.step("wait_for").logs() == f"waiting for {release}\n"  # what it printed before it died
    assert run.step("total").status == "pending"

    release.touch()
    resumed = mloop_cli("runs", "resume", run.id, cwd=tmp_path)  # from another process, as a user would
    assert resumed.returncode == 0, resumed.stderr + resumed.stdout

    finished = mloop.get_run(run.id)
    assert finished.status == "succeeded"
    assert finished.step("numbers").id == run.step("numbers").id
    assert finished.step("numbers").ended_at == run.step("numbers").ended_at
    assert len(finished.step("wait_for").attempts) == 2
    assert finished.output("total").load() == 6


@pytest.mark.usefixtures("sqlite_workspace")
def test_two_runs_at_once_on_one_sqlite_store(tmp_path: Path) -> None:
    a, b = str(tmp_path / "a"), str(tmp_path / "b")
    code = "import steps_example; print(steps_example.meeting_pipeline.run(me={!r}, other={!r}).id)"
    children = [start_python(code.format(a, b), tmp_path), start_python(code.format(b, a), tmp_path)]
    results = [child.communicate(timeout=90) for child in children]

    for child, (_, err) in zip(children, results, strict=True):
        assert child.returncode == 0, err
    run_ids = sorted(out.strip().splitlines()[-1] for out, _ in results)
    runs = [mloop.get_run(run_id) for run_id in run_ids]
    assert [r.status for r in runs] == ["succeeded", "succeeded"]
    assert runs[0].output("concat").id == runs[1].output("concat").id
    assert runs[0].output("concat").load()[:3] == [0, 2, 4]
    assert sorted(r.id for r in mloop.list_runs()) == run_ids


@pytest.mark.usefixtures("sqlite_workspace")
def test_corrupted_artifact_refuses_to_load() -> None:
    run = chain.run()
    artifact = run.output("double")
    stored = get_workspace().artifacts.local_path(artifact.id)
    stored.write_bytes(stored.read_bytes().replace(b"2", b"7"))

    with pytest.raises(mloop.IntegrityError, match=f"artifact {artifact.id[:12]} is corrupted"):
        mloop.get_artifact(artifact.id).load()
    assert run.output("total").load() == 6  # other artifacts are unaffected


@pytest.mark.usefixtures("sqlite_workspace")
def test_finished_step_is_recorded_before_the_next_step_starts(tmp_path: Path) -> None:
    started, release = tmp_path / "started", tmp_path / "release"
    child = start_python(
        "import steps_example; "
        f"steps_example.sudden_death_pipeline.run(started={str(started)!r}, release={str(release)!r})",
        cwd=tmp_path,
    )
    wait_for_file(started, child)
    [record] = mloop.list_runs()
    wait_until_recorded(record.id, "wait_for", "running", child)

    # Hold the SQLite write lock while wait_for finishes: a scheduler that commits before starting
    # the next step waits here (and the step that kills the process has not started yet); one that
    # starts it first is killed at once. The lock only makes the race's outcome certain.
    lock = sqlite3.connect(tmp_path / "mloop.db", timeout=30, isolation_level=None)
    try:
        lock.execute("BEGIN IMMEDIATE")
        release.touch()
        with contextlib.suppress(subprocess.TimeoutExpired):
            child.wait(timeout=3)
    finally:
        lock.execute("ROLLBACK")
        lock.close()
    child.communicate(timeout=60)
    assert child.returncode == -signal.SIGKILL

    recover_interrupted(get_workspace())
    run = mloop.get_run(record.id)
    assert run.status == "interrupted"
    assert run.step("wait_for").status == "succeeded"
    assert run.output("wait_for").load() == [0, 1]
