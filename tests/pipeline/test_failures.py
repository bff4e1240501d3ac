from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from steps_example import flagged, flaky, sleepy, with_failure
from typer.testing import CliRunner

import mloop
from mloop import pipeline, step
from mloop.cli.main import app
from mloop.pipeline.execution.runner import RunOptions, resume_run
from mloop.stores.workspace import get_workspace


def statuses(run: mloop.Run) -> dict[str, str]:
    return {s.node: s.status for s in run.steps}


@pytest.mark.usefixtures("workspace")
def test_failing_step_fails_the_run_but_not_independent_branches() -> None:
    with pytest.raises(mloop.RunFailed) as caught:
        with_failure.run()

    run = caught.value.run
    assert isinstance(run, mloop.Run)
    assert statuses(run) == {"numbers": "succeeded", "boom": "failed", "total": "skipped",
                             "double": "succeeded", "total_2": "succeeded"}
    assert run.status == "failed"
    assert run.output("total_2").load() == 6
    assert run.step("total").error == "upstream step 'boom' failed"
    assert run.step("total").outputs == {}
    assert mloop.get_run(run.id).status == "failed"
    assert f"mloop runs resume {run.id}" in str(caught.value)


@pytest.mark.usefixtures("sqlite_workspace")
def test_failure_message_names_the_step_and_its_function() -> None:
    with pytest.raises(mloop.RunFailed) as caught:
        with_failure.run()

    expected = "step 'boom' (steps_example.boom) raised ValueError: boom went the step"
    run = caught.value.run
    assert run.step("boom").error == expected
    assert run.error == expected
    assert expected in str(caught.value)
    log = run.step("boom").logs()
    assert "Traceback (most recent call last)" in log and 'raise ValueError("boom went the step")' in log


@pytest.mark.usefixtures("sqlite_workspace")
def test_retries_until_success(tmp_path: Path) -> None:
    @pipeline
    def retried(counter: str):
        return flaky(counter)

    run = retried.run(counter=str(tmp_path / "count"))

    step_run = run.step("flaky")
    assert step_run.status == "succeeded"
    assert [(a["attempt"], a["status"]) for a in step_run.attempts] == [
        (1, "failed"), (2, "failed"), (3, "succeeded")]
    assert step_run.attempts[0]["error"].endswith("raised RuntimeError: attempt 1 failed")
    assert run.output("flaky").load() == 3
    assert "attempt 1 failed" in step_run.logs(attempt=1)
    assert "attempt 1 failed" not in step_run.logs()


@pytest.mark.usefixtures("sqlite_workspace")
def test_retry_delays_grow_by_the_backoff_factor(tmp_path: Path) -> None:
    @pipeline
    def patient(counter: str):
        return flaky.with_options(retry_delay=0.1, retry_backoff=3)(counter)

    attempts = patient.run(counter=str(tmp_path / "count")).step("flaky").attempts

    # the delay before each next attempt is on record with the attempt that failed
    assert [(a["status"], a.get("retry_delay")) for a in attempts] == [
        ("failed", pytest.approx(0.1)), ("failed", pytest.approx(0.3)), ("succeeded", None)]
    starts = [datetime.fromisoformat(a["started_at"]) for a in attempts]
    ends = [datetime.fromisoformat(a["ended_at"]) for a in attempts]
    assert starts[1] > ends[0] and starts[2] > ends[1]


@pytest.mark.usefixtures("sqlite_workspace")
def test_retries_are_exhausted(tmp_path: Path) -> None:
    @pipeline
    def too_few(counter: str):
        return flaky.with_options(retries=1)(counter)

    with pytest.raises(mloop.RunFailed, match="attempt 2 failed"):
        too_few.run(counter=str(tmp_path / "count"))
    assert (tmp_path / "count").read_text() == "2"


@pytest.mark.usefixtures("workspace")
def test_a_resumed_run_gets_the_step_s_retries_afresh(tmp_path: Path) -> None:
    @pipeline
    def three_failures(counter: str):
        return flaky.with_options(retries=1)(counter, fails=3)

    counter = tmp_path / "count"
    with pytest.raises(mloop.RunFailed, match="attempt 2 failed"):
        three_failures.run(counter=str(counter))
    [failed] = mloop.list_runs()
    resumed = mloop.get_run(resume_run(get_workspace(), failed.id, RunOptions()))
    # attempt 3 fails too, and the resumed run's own retry runs attempt 4
    assert resumed.status == "succeeded" and resumed.output("flaky").load() == 4
    assert [a["status"] for a in resumed.step("flaky").attempts] == ["failed", "failed", "failed", "succeeded"]
    assert counter.read_text() == "4"


@pytest.mark.usefixtures("sqlite_workspace")
def test_timeout_fails_the_step_quickly(tmp_path: Path) -> None:
    progress = tmp_path / "progress"

    @pipeline
    def slow():
        return sleepy(str(progress))

    with pytest.raises(mloop.RunFailed) as caught:
        slow.run()

    # the step takes 50 naps; the run ended (and stopped it) long before it got through them
    assert int(progress.read_text()) < 50
    step_run = caught.value.run.step("sleepy")
    assert step_run.status == "failed"
    assert step_run.error == "step 'sleepy' timed out after 0.5 s"


@pytest.mark.usefixtures("workspace")
def test_resume_executes_only_failed_and_skipped_steps(tmp_path: Path) -> None:
    flag = tmp_path / "flag"
    with pytest.raises(mloop.RunFailed) as caught:
        flagged.run(flag=str(flag))
    failed = caught.value.run
    assert statuses(failed) == {"numbers": "succeeded", "needs_flag": "failed", "double": "skipped",
                                "total": "skipped", "total_2": "succeeded"}

    flag.touch()
    resumed_id = resume_run(get_workspace(), failed.id, RunOptions())
    resumed = mloop.get_run(resumed_id)

    assert resumed.id == failed.id
    assert resumed.status == "succeeded" and resumed.error is None
    assert set(statuses(resumed).values()) == {"succeeded"}
    for node in ("numbers", "total_2"):  # untouched: same step run, same end time, one attempt
        before, after = failed.step(node), resumed.step(node)
        assert (after.id, after.ended_at, len(after.attempts)) == (before.id, before.ended_at, 1)
    assert [a["status"] for a in resumed.step("needs_flag").attempts] == ["failed", "succeeded"]
    assert resumed.step("total").outputs["output"].load() == 6
    assert len(mloop.list_runs()) == 1


@pytest.mark.usefixtures("workspace")
def test_resume_from_the_cli(tmp_path: Path) -> None:
    flag = tmp_path / "flag"
    with pytest.raises(mloop.RunFailed) as caught:
        flagged.run(flag=str(flag))
    run_id = caught.value.run.id
    runner = CliRunner()

    still_failing = runner.invoke(app, ["runs", "resume", run_id])
    assert still_failing.exit_code == 1
    assert "flag file" in still_failing.output
    assert mloop.get_run(run_id).status == "failed"

    flag.touch()
    fixed = runner.invoke(app, ["runs", "resume", run_id])
    assert fixed.exit_code == 0, fixed.output
    assert mloop.get_run(run_id).status == "succeeded"

    again = runner.invoke(app, ["runs", "resume", run_id])
    assert again.exit_code == 2
    assert "nothing to resume" in again.stderr


@step
def opaque() -> object:
    return object()


@step(outputs=["low", "high"])
def one_value() -> tuple[int, int]:
    return 1  # type: ignore[return-value]


@pytest.mark.usefixtures("sqlite_workspace")
def test_output_without_a_materializer_fails_with_the_fix() -> None:
    @pipeline
    def unstorable():
        return opaque()

    with pytest.raises(mloop.RunFailed) as caught:
        unstorable.run()
    error = caught.value.run.step("opaque").error
    assert "no materializer for builtins.object" in error
    assert "@step(materializer='pickle')" in error


@pytest.mark.usefixtures("sqlite_workspace")
def test_returning_too_few_outputs_fails_the_step() -> None:
    @pipeline
    def short():
        return one_value()

    with pytest.raises(mloop.RunFailed) as caught:
        short.run()
    assert caught.value.run.step("one_value").error == (
        "step 'one_value' (test_failures.one_value) declares outputs ['low', 'high'] but returned a int; "
        "return a tuple of 2 values")
