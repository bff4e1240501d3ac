"""The executor contract: failure, retries, timeouts, cache, logs and resume behave the same on
the thread, process and Dask executors (Dask on a LocalCluster shared by this module; the
real `dask scheduler`/`dask worker` processes are in tests/scaleout)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from steps_example import (
    chain,
    chatty,
    flagged,
    flaky,
    gated,
    sleepy,
    with_failure,
)

import mloop
from mloop import pipeline
from mloop.pipeline.execution.runner import RunOptions, resume_run
from mloop.stores.workspace import get_workspace


@pipeline
def retried(counter: str):
    return flaky.with_options(retry_delay=0.01, retry_backoff=2)(counter)


@pipeline
def slow(progress: str):
    return sleepy(progress)


@pipeline
def talkative():
    return chatty("contract", lines=2)


@pytest.fixture(scope="module")
def local_cluster() -> Iterator[str]:
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=2, processes=True, dashboard_address=":0") as cluster:
        yield cluster.scheduler_address


@pytest.fixture(params=["thread", "process", "dask"])
def on(request: pytest.FixtureRequest, sqlite_workspace: Path) -> dict[str, Any]:
    """How to run on the executor under test: keyword arguments of `pipeline.run` and RunOptions."""
    if request.param == "dask":
        return {"executor": "dask", "address": request.getfixturevalue("local_cluster")}
    return {"executor": request.param}


def test_a_failing_step_fails_its_run_and_skips_only_downstream(on: dict[str, Any]) -> None:
    with pytest.raises(mloop.RunFailed) as caught:
        with_failure.run(**on)

    run = caught.value.run
    assert {s.node: s.status for s in run.steps} == {
        "numbers": "succeeded", "boom": "failed", "total": "skipped", "double": "succeeded", "total_2": "succeeded"}
    assert run.step("boom").error == "step 'boom' (steps_example.boom) raised ValueError: boom went the step"
    assert 'raise ValueError("boom went the step")' in run.step("boom").logs()
    assert run.output("total_2").load() == 6


def test_retries_record_every_attempt_and_its_backoff(on: dict[str, Any], tmp_path: Path) -> None:
    step_run = retried.run(counter=str(tmp_path / "count"), **on).step("flaky")

    assert [(a["attempt"], a["status"], a.get("retry_delay")) for a in step_run.attempts] == [
        (1, "failed", pytest.approx(0.01)), (2, "failed", pytest.approx(0.02)), (3, "succeeded", None)]
    assert "attempt 1 failed" in step_run.logs(attempt=1)
    assert (tmp_path / "count").read_text() == "3"


def test_a_step_past_its_timeout_fails_without_the_run_waiting(on: dict[str, Any], tmp_path: Path) -> None:
    progress = tmp_path / "progress"
    with pytest.raises(mloop.RunFailed) as caught:
        slow.run(progress=str(progress), **on)

    step_run = caught.value.run.step("sleepy")
    assert (step_run.status, step_run.error) == ("failed", "step 'sleepy' timed out after 0.5 s")
    assert int(progress.read_text()) < 50  # 50 naps; the run ended long before


def test_a_second_run_reuses_every_output(on: dict[str, Any]) -> None:
    first = chain.run(n=4, **on)
    second = chain.run(n=4, **on)

    assert [s.status for s in second.steps] == ["cached"] * 3
    assert second.output("total").id == first.output("total").id
    assert second.output("total").load() == 12


def test_step_output_is_captured_in_its_log(on: dict[str, Any]) -> None:
    log = talkative.run(**on).step("chatty").logs()

    for index in range(2):
        assert f"stdout contract {index}\n" in log
        assert f"stderr contract {index}\n" in log
        assert f"INFO steps_example: logging contract {index}\n" in log


def test_resume_executes_only_what_failed(on: dict[str, Any], tmp_path: Path) -> None:
    flag = tmp_path / "flag"
    with pytest.raises(mloop.RunFailed) as caught:
        flagged.run(flag=str(flag), **on)
    failed = caught.value.run

    flag.touch()
    resumed = mloop.get_run(resume_run(get_workspace(), failed.id, RunOptions(**on)))

    assert resumed.status == "succeeded"
    assert resumed.step("numbers").id == failed.step("numbers").id
    assert len(resumed.step("numbers").attempts) == 1
    assert [a["status"] for a in resumed.step("needs_flag").attempts] == ["failed", "succeeded"]
    assert resumed.output("total").load() == 6


def test_a_failed_data_check_is_not_retried_and_leaves_its_report(on: dict[str, Any], tmp_path: Path) -> None:
    counter = tmp_path / "count"
    with pytest.raises(mloop.RunFailed) as caught:
        gated.run(counter=str(counter), n=4, **on)

    run = caught.value.run
    assert {s.node: s.status for s in run.steps} == {"gatekeeper": "failed", "shout": "skipped"}
    check = run.step("gatekeeper")
    assert counter.read_text() == "1" and len(check.attempts) == 1  # retries=2, yet one attempt
    assert check.error == "step 'gatekeeper': 1 of 2 checks failed"
    assert check.outputs["output"].load() == {"passed": False, "n": 4}
    assert "1 of 2 checks failed" in check.logs()
