"""The public functions the CLI is built on, called as a user's script calls them."""

from __future__ import annotations

from pathlib import Path

import pytest
from cli_project import Project

import mloop


def test_load_pipeline_and_the_progress_hook(project: Project) -> None:
    events: list[tuple[str, str]] = []
    flow = mloop.load_pipeline(project.yaml)

    run = flow.run(n=2, on_progress=lambda node, status: events.append((node, status)))

    assert run.output("total").load() == 2  # 2 × (0 + 1)
    assert [e for e in events if e[1] == "succeeded"] == [("numbers", "succeeded"), ("scale", "succeeded"),
                                                          ("total", "succeeded")]
    assert events.index(("numbers", "running")) < events.index(("numbers", "succeeded"))


def test_resume_run_returns_the_finished_run(project: Project) -> None:
    (project.root / "BROKEN").touch()
    flow = mloop.load_pipeline(project.python)
    with pytest.raises(mloop.RunFailed) as failed:
        flow.run()
    (project.root / "BROKEN").unlink()
    events: list[tuple[str, str]] = []

    run = mloop.resume_run(failed.value.run.id[:10], on_progress=lambda node, status: events.append((node, status)))

    assert isinstance(run, mloop.Run) and run.id == failed.value.run.id
    assert run.status == "succeeded" and run.output("total").load() == 6
    assert ("check", "succeeded") in events and ("numbers", "running") not in events  # numbers was reused


def test_list_runs_refuses_an_unknown_status(project: Project) -> None:
    with pytest.raises(mloop.ValidationError, match="unknown run status 'done'; use one of: pending, running"):
        mloop.list_runs(status="done")


def test_list_artifacts_and_init_project(project: Project, tmp_path: Path) -> None:
    run = mloop.load_pipeline(project.yaml).run()

    artifacts = mloop.list_artifacts()

    assert run.output("total").id in [a.id for a in artifacts]
    assert all(isinstance(a, mloop.Artifact) for a in artifacts)
    settings = mloop.init_project(tmp_path / "fresh" / "project")
    assert settings == tmp_path / "fresh" / "project" / "mloop.yaml" and settings.is_file()
    assert (tmp_path / "fresh" / "project" / ".mloop").is_dir()


def test_reproduce_run_is_public(project: Project) -> None:
    run = mloop.load_pipeline(project.yaml).run()

    report = mloop.reproduce_run(run.id)

    assert isinstance(report, mloop.ReproduceReport)
    assert report.identical and report.original.id == run.id and report.reproduced.id != run.id
