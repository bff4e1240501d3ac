"""`mloop run --executor ...` as a user runs it, whatever mloop.yaml says about Dask."""

from __future__ import annotations

import sys

import pytest
from cli_project import Project
from typer.testing import CliRunner

import mloop
from mloop.cli.main import app


@pytest.mark.parametrize("executor", ["thread", "process"])
def test_local_executors_ignore_a_dask_address_in_the_settings(project: Project, executor: str) -> None:
    (project.root / "mloop.yaml").write_text("address: tcp://127.0.0.1:1\n")

    result = CliRunner().invoke(app, ["run", project.python, "--executor", executor])

    assert result.exit_code == 0, result.output
    [record] = mloop.list_runs()
    assert record.status == "succeeded"
    assert mloop.get_run(record.id).output("total").load() == 6


def test_executor_from_the_environment_ignores_the_address(project: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    (project.root / "mloop.yaml").write_text("address: tcp://127.0.0.1:1\n")
    monkeypatch.setenv("MLOOP_EXECUTOR", "thread")

    result = CliRunner().invoke(app, ["run", project.python])

    assert result.exit_code == 0, result.output
    assert [r.status for r in mloop.list_runs()] == ["succeeded"]


def test_an_unknown_executor_is_refused_before_a_run_is_recorded(project: Project,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MLOOP_EXECUTOR", "bogus")

    result = CliRunner().invoke(app, ["run", project.python])

    assert result.exit_code == 2, result.output
    assert result.output.strip() == "error: unknown executor 'bogus'; use one of: thread, process, dask"
    assert mloop.list_runs() == []


def test_a_missing_dask_extra_is_refused_before_a_run_is_recorded(project: Project,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "distributed", None)  # as in an install without mloop[dask]

    result = CliRunner().invoke(app, ["run", project.python, "--executor", "dask"])

    assert result.exit_code == 2, result.output
    assert "pip install 'mloop[dask]'" in result.output
    assert mloop.list_runs() == []


def test_resume_with_an_unknown_executor_leaves_the_run_as_it_was(project: Project,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    assert CliRunner().invoke(app, ["run", project.python, "-p", "fail=true"]).exit_code == 1
    [record] = mloop.list_runs()
    monkeypatch.setenv("MLOOP_EXECUTOR", "bogus")

    result = CliRunner().invoke(app, ["runs", "resume", record.id])

    assert result.exit_code == 2, result.output
    assert "unknown executor 'bogus'" in result.output
    assert [r.status for r in mloop.list_runs()] == ["failed"]
