from __future__ import annotations

import pytest
from steps_example import chatty
from typer.testing import CliRunner

import mloop
from mloop import pipeline
from mloop.cli.main import app

pytestmark = pytest.mark.usefixtures("sqlite_workspace")


@pipeline
def one_chatty():
    return chatty("solo", lines=2)


@pipeline
def four_chatty():
    return [chatty(f"step{i}", lines=20, pause=0.005) for i in range(4)]


def test_stdout_stderr_and_logging_are_captured_per_step(capsys: pytest.CaptureFixture[str]) -> None:
    run = one_chatty.run()

    log = run.step("chatty").logs()
    for index in range(2):
        assert f"stdout solo {index}\n" in log
        assert f"stderr solo {index}\n" in log
        assert f"INFO steps_example: logging solo {index}\n" in log
    printed = capsys.readouterr()
    assert "solo" not in printed.out + printed.err  # the step's output went to its log only


def test_cli_prints_a_step_log() -> None:
    run = one_chatty.run()

    result = CliRunner().invoke(app, ["runs", "logs", run.id, "chatty"])
    assert result.exit_code == 0, result.output
    assert result.stdout == run.step("chatty").logs()
    assert "stderr solo 1" in result.stdout


def test_cli_log_of_unknown_step_is_an_error() -> None:
    run = one_chatty.run()

    result = CliRunner().invoke(app, ["runs", "logs", run.id, "chaty"])
    assert result.exit_code == 2
    assert f"run {run.id} has no step 'chaty'" in result.stderr


def test_parallel_steps_do_not_mix_logs() -> None:
    run = four_chatty.run(max_workers=4)

    starts = sorted(s.started_at for s in run.steps)
    ends = sorted(s.ended_at for s in run.steps)
    assert starts[-1] < ends[0]  # all four were running at the same time
    for index, step_run in enumerate(run.steps):
        lines = step_run.logs().splitlines()
        assert len(lines) == 60
        assert all(f"step{index} " in line for line in lines), step_run.node


def test_cached_step_shows_the_log_of_its_execution() -> None:
    first = one_chatty.run()
    second = one_chatty.run()
    assert second.step("chatty").status == "cached"
    assert second.step("chatty").logs() == first.step("chatty").logs()


def test_asking_for_a_missing_attempt_is_not_found() -> None:
    run = one_chatty.run()
    with pytest.raises(mloop.NotFoundError, match="has 1 attempt"):
        run.step("chatty").logs(attempt=2)
