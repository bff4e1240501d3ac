"""Logging from steps (any executor) and from notebook runs, and what ends up in the store."""

from __future__ import annotations

import math
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from tracking_steps import exploding, tracked

import mloop
from mloop.stores.workspace import get_workspace


@pytest.mark.usefixtures("workspace")
def test_step_logging_attaches_to_the_step_run_and_its_run() -> None:
    run = tracked.run(epochs=4)

    data = mloop.get_run_data(run.id)
    assert data.params == {"model": "xgb", "lr": "0.1", "epochs": "4"}  # logged + pipeline params
    assert data.metrics == {"loss": 0.25, "val_auc": 0.9, "val_loss": 0.2, "test_auc": 0.85}
    assert data.tags == {"team": "risk"}
    assert data.artifacts["weights"].load() == {"weights": [1, 2, 3]}
    history = mloop.get_metric_history(run.id, "loss")
    assert history["step"].tolist() == [0, 1, 2, 3]
    assert history["value"].tolist() == [1.0, 0.5, 1 / 3, 0.25]
    assert set(history["step_run_id"]) == {run.step("train").id}
    assert mloop.get_metric_history(run.id, "test_auc")["step_run_id"].tolist() == [run.step("evaluate").id]
    # a logged artifact is a lineage output of the step that logged it, beside its real output
    assert set(run.step("train").outputs) == {"output", "logged/weights"}


@pytest.mark.usefixtures("workspace")
def test_values_logged_before_a_step_raises_are_kept() -> None:
    with pytest.raises(mloop.RunFailed) as failure:
        exploding.run(points=5)

    run = failure.value.run
    assert run.step("explode").status == "failed"
    history = mloop.get_metric_history(run.id, "progress")
    assert history["value"].tolist() == [0, 1, 2, 3, 4]
    assert mloop.get_run_data(run.id).tags == {"state": "about to fail"}


@pytest.mark.usefixtures("workspace")
def test_process_executor_workers_write_their_own_values() -> None:
    run = tracked.run(executor="process", epochs=2, model="rf")

    assert run.output("train").load()["pid"] != os.getpid()
    data = mloop.get_run_data(run.id)
    assert data.params["model"] == "rf"
    assert data.metrics["loss"] == 0.5
    assert data.metrics.get("test_auc") == 0.85, run.step("evaluate").logs()
    assert data.artifacts["weights"].load() == {"weights": [1, 2, 3]}


@pytest.mark.usefixtures("workspace")
def test_notebook_run_records_everything_and_its_status() -> None:
    with mloop.start_run(experiment="churn", params={"C": 0.5}, tags={"owner": "ana"}) as run:
        for epoch in range(3):
            run.log_metric("loss", 1.0 / (epoch + 1))
        mloop.log_metric("acc", 0.7)
        mloop.log_metric("acc", 0.8)  # no step given: steps 0, 1
        mloop.log_metric("acc", 0.75, step=0)  # an earlier step logged later is not the latest
        mloop.log_metric("nan", float("nan"))
        mloop.log_param("solver", "lbfgs")
        mloop.set_tags({"team": "risk"})
        artifact_id = mloop.log_artifact([1, 2], name="numbers")

    data = mloop.get_run_data(run.id)
    assert (data.status, data.pipeline, data.record.kind) == ("succeeded", "churn", "experiment")
    assert data.record.ended_at is not None
    assert data.params == {"C": "0.5", "solver": "lbfgs"}
    assert data.metrics["acc"] == 0.8 and data.metrics["loss"] == pytest.approx(1 / 3)
    assert math.isnan(data.metrics["nan"])
    assert data.tags == {"owner": "ana", "team": "risk"}
    assert data.artifacts["numbers"].id == artifact_id
    assert mloop.get_artifact(artifact_id).load() == [1, 2]
    assert mloop.get_metric_history(run.id, "acc")["step"].tolist() == [0, 0, 1]
    assert [r.id for r in mloop.list_runs(pipeline="churn")] == [run.id]


@pytest.mark.usefixtures("workspace")
def test_notebook_run_that_raises_is_failed_and_keeps_its_values() -> None:
    with pytest.raises(KeyError), mloop.start_run(experiment="churn") as run:
        mloop.log_metric("rows", 10)
        raise KeyError("label")

    data = mloop.get_run_data(run.id)
    assert data.status == "failed"
    assert data.record.error == "KeyError: 'label'"
    assert data.metrics == {"rows": 10.0}


@pytest.mark.usefixtures("workspace")
def test_log_a_file_and_a_folder(tmp_path: Path) -> None:
    (tmp_path / "report.txt").write_text("fine")
    (tmp_path / "plots").mkdir()
    (tmp_path / "plots" / "roc.svg").write_text("<svg/>")
    with mloop.start_run("files") as run:
        mloop.log_artifact(tmp_path / "report.txt")
        mloop.log_artifact(str(tmp_path / "plots"), name="plots")
        with pytest.raises(mloop.ValidationError, match="no file or folder 'missing.txt'"):
            mloop.log_artifact("missing.txt")

    artifacts = mloop.get_run_data(run.id).artifacts
    assert artifacts["report.txt"].load().read_text() == "fine"
    assert (artifacts["plots"].load() / "roc.svg").read_text() == "<svg/>"


@pytest.mark.usefixtures("sqlite_workspace")
def test_logging_without_a_run_or_with_bad_values_is_refused() -> None:
    with pytest.raises(mloop.ValidationError, match="no run to log to"):
        mloop.log_metric("auc", 0.9)
    with mloop.start_run("checks"):
        with pytest.raises(mloop.ValidationError, match="metric 'auc' must be a number, not 'high'"):
            mloop.log_metric("auc", "high")
        with pytest.raises(mloop.ValidationError, match="tracked key must be a string"):
            mloop.log_metric("", 1.0)
        with pytest.raises(mloop.ValidationError, match="step of metric 'auc' must be an integer"):
            mloop.log_metric("auc", 1.0, step=1.5)
        with pytest.raises(mloop.ValidationError, match="at most 2000 are kept"):
            mloop.log_param("features", "x" * 2001)
        with pytest.raises(mloop.ConflictError, match="is still open"):
            mloop.start_run("another")


@pytest.mark.usefixtures("sqlite_workspace")
def test_start_run_inside_a_step_is_refused() -> None:
    @mloop.step(cache=False)
    def nested() -> int:
        mloop.start_run("inner")
        return 1

    @mloop.pipeline(name="nesting")
    def nesting():
        nested()

    with pytest.raises(mloop.RunFailed) as failure:
        nesting.run()
    assert "start_run is for work outside pipelines" in failure.value.run.step("nested").error


def test_values_are_written_when_the_process_exits_without_a_flush(workspace: Path) -> None:
    script = textwrap.dedent("""
        import mloop
        run = mloop.start_run("exit", params={"source": "child"})
        for step in range(1000):
            mloop.log_metric("loss", 1.0 / (step + 1), step=step)
        mloop.set_tag("ended", "by atexit")
        print(run.id)
        # no run.end(), no flush: the interpreter exits normally
    """)
    child = subprocess.run([sys.executable, "-c", script], cwd=workspace, env=dict(os.environ), text=True,
                           capture_output=True, timeout=120, check=False)
    assert child.returncode == 0, child.stderr
    run_id = child.stdout.strip()

    data = mloop.get_run_data(run_id, get_workspace())
    assert data.status == "succeeded"
    assert data.params == {"source": "child"}
    assert data.tags == {"ended": "by atexit"}
    assert len(mloop.get_metric_history(run_id, "loss")) == 1000
    assert data.metrics["loss"] == 1 / 1000


def test_a_script_that_dies_of_an_exception_ends_its_run_failed(workspace: Path) -> None:
    script = "import mloop\nrun = mloop.start_run('crash')\nprint(run.id, flush=True)\nmloop.log_metric('x', 1)\n1 / 0\n"
    child = subprocess.run([sys.executable, "-c", script], cwd=workspace, env=dict(os.environ), text=True,
                           capture_output=True, timeout=120, check=False)
    assert child.returncode == 1 and "ZeroDivisionError" in child.stderr

    data = mloop.get_run_data(child.stdout.strip())
    assert data.status == "failed"
    assert data.record.error == "ZeroDivisionError: division by zero"
    assert data.metrics == {"x": 1.0}
