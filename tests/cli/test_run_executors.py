"""`mloop run --executor ...` as a user runs it, whatever mloop.yaml says about Dask."""

from __future__ import annotations

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
