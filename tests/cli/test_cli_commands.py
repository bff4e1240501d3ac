"""The `mloop` commands through typer's CliRunner, checked against what the store then holds."""

from __future__ import annotations

from pathlib import Path

import pytest
from cli_project import Project
from click.testing import Result
from typer.testing import CliRunner

import mloop
from mloop.cli.main import app


def mloop_cmd(*args: str) -> Result:
    return CliRunner().invoke(app, list(args))


def rows(output: str) -> dict[str, list[str]]:
    """The body rows of a rich table, by their first cell."""
    cells = [[c.strip() for c in line.split("│")[1:-1]] for line in output.splitlines() if line.startswith("│")]
    return {row[0]: row[1:] for row in cells if row and row[0]}


def statuses(run_id: str) -> dict[str, str]:
    return {s.node: s.status for s in mloop.get_run(run_id).steps}


def test_init_creates_the_project_files(tmp_path: Path) -> None:
    result = mloop_cmd("init", str(tmp_path / "proj"))

    assert result.exit_code == 0, result.output
    assert (tmp_path / "proj" / "mloop.yaml").is_file()
    assert (tmp_path / "proj" / ".mloop").is_dir()
    assert f"initialised {tmp_path / 'proj'}" in result.stdout


def test_init_keeps_existing_settings(tmp_path: Path) -> None:
    (tmp_path / "mloop.yaml").write_text("max_workers: 3\n")
    result = mloop_cmd("init", str(tmp_path))
    assert result.exit_code == 0, result.output
    assert (tmp_path / "mloop.yaml").read_text() == "max_workers: 3\n"


def test_run_yaml_with_parameters(project: Project) -> None:
    result = mloop_cmd("run", project.yaml, "-p", "n=5", "--param", "factor=10")

    assert result.exit_code == 0, result.output
    [record] = mloop.list_runs()
    assert record.pipeline == "yflow"
    assert record.status == "succeeded"
    assert record.params == {"n": 5, "factor": 10}  # values parsed as YAML scalars
    assert mloop.get_run(record.id).output("total").load() == 100
    assert f"run {record.id} of yflow: succeeded" in result.stdout
    assert set(rows(result.stdout)) == {"numbers", "scale", "total"}


def test_run_python_pipeline_and_plan(project: Project) -> None:
    fresh = mloop_cmd("run", project.python, "--plan")
    assert fresh.exit_code == 0, fresh.output
    assert rows(fresh.stdout)["numbers"] == ["run", "no earlier execution of this step"]
    assert "0 step(s) reused from cache, 5 to execute" in fresh.stdout
    assert mloop.list_runs() == []  # a plan runs nothing

    assert mloop_cmd("run", project.python).exit_code == 0
    changed = mloop_cmd("run", project.python, "-p", "factor=3", "--plan")

    assert changed.exit_code == 0, changed.output
    plan = rows(changed.stdout)
    assert plan["numbers"][0] == plan["check"][0] == plan["total_2"][0] == "cached"
    assert plan["scale"] == ["run", "parameter factor changed (2 → 3)"]
    assert plan["total"] == ["run", "upstream step 'scale' will run"]
    assert "3 step(s) reused from cache, 2 to execute" in changed.stdout
    assert len(mloop.list_runs()) == 1


def test_second_run_is_cached_unless_no_cache(project: Project) -> None:
    mloop_cmd("run", project.yaml)
    assert mloop_cmd("run", project.yaml).exit_code == 0
    assert mloop_cmd("run", project.yaml, "--no-cache").exit_code == 0

    newest, cached, _ = mloop.list_runs()
    assert set(statuses(cached.id).values()) == {"cached"}
    assert set(statuses(newest.id).values()) == {"succeeded"}
    plan = mloop_cmd("run", project.yaml, "--no-cache", "--plan")
    assert rows(plan.stdout)["numbers"] == ["run", "caching is off for this run (--no-cache)"]


def test_runs_list_and_show(project: Project) -> None:
    mloop_cmd("run", project.python, "-p", "n=4")

    [record] = mloop.list_runs()
    listing = mloop_cmd("runs", "list")
    assert listing.exit_code == 0, listing.output
    assert rows(listing.stdout)[record.id][:2] == ["flow", "succeeded"]
    assert "n=4" in rows(listing.stdout)[record.id][-1]

    show = mloop_cmd("runs", "show", record.id[:12])  # a unique prefix is enough
    assert show.exit_code == 0, show.output
    assert f"run {record.id} of flow: succeeded" in show.stdout
    assert "params: {'n': 4, 'factor': 2, 'fail': False}" in show.stdout
    steps = rows(show.stdout)
    assert all(steps[node][0] == "succeeded" for node in ("numbers", "check", "scale", "total", "total_2"))


def test_runs_list_when_empty(project: Project) -> None:
    result = mloop_cmd("runs", "list")
    assert result.exit_code == 0
    assert "no runs yet" in result.stdout


def test_failed_run_exits_1_and_says_how_to_resume(project: Project) -> None:
    result = mloop_cmd("run", project.python, "-p", "fail=true")

    assert result.exit_code == 1
    [record] = mloop.list_runs()
    assert record.status == "failed"
    assert f"mloop runs resume {record.id}" in result.stdout
    assert "asked to fail" in result.stdout
    assert rows(result.stdout)["scale"][0] == "skipped"


def test_artifacts_list_and_show(project: Project) -> None:
    mloop_cmd("run", project.yaml)
    artifact = mloop.get_run(mloop.list_runs()[0].id).output("total")

    listing = mloop_cmd("artifacts", "list")
    assert listing.exit_code == 0
    assert artifact.id[:16] in rows(listing.stdout)
    show = mloop_cmd("artifacts", "show", artifact.id[:8])
    assert show.exit_code == 0, show.output
    assert f"artifact {artifact.id}" in show.stdout
    assert "json" in show.stdout


@pytest.mark.parametrize(("args", "message"), [
    (["runs", "show", "nope"], "error: no run 'nope'; list them with: mloop runs list"),
    (["runs", "logs", "nope", "step"], "error: no run 'nope'"),
    (["runs", "resume", "nope"], "error: no run 'nope'"),
    (["artifacts", "show", "0000"], "error: no artifact '0000'"),
    (["run", "PROJECT_YAML", "-p", "n"], "error: parameter 'n' is not key=value; write e.g. -p n_estimators=200"),
    (["run", "PROJECT_YAML", "-p", "size=3"], "error: pipeline.yaml: unknown parameter 'size'; declared: n, factor"),
    (["run", "missing.yaml"], "error: no such pipeline file: missing.yaml"),
    (["run", "missing.py"], "error: no such file: missing.py"),
    (["run", "PROJECT_PY_FILE:nope"], "has no 'nope'"),
    (["run", "something"], "error: cannot tell what 'something' is"),
])
def test_bad_input_is_one_line_and_exit_code_2(project: Project, args: list[str], message: str) -> None:
    args = [a.replace("PROJECT_YAML", project.yaml).replace("PROJECT_PY_FILE", project.python.split(":")[0])
            for a in args]
    result = mloop_cmd(*args)

    assert result.exit_code == 2, result.output
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.output
    assert result.stdout.strip() == ""


def test_debug_prints_the_traceback(project: Project) -> None:
    result = mloop_cmd("--debug", "runs", "show", "nope")

    assert result.exit_code == 2
    assert "Traceback (most recent call last)" in result.stderr
    assert "mloop.core.errors.NotFoundError: no run 'nope'" in result.stderr
    assert result.stderr.strip().splitlines()[-1] == "error: no run 'nope'; list them with: mloop runs list"
    assert "Traceback" not in mloop_cmd("runs", "show", "nope").stderr  # --debug does not stick


def test_init_writes_every_run_setting_commented(tmp_path: Path) -> None:
    assert mloop_cmd("init", str(tmp_path)).exit_code == 0

    text = (tmp_path / "mloop.yaml").read_text()
    keys = {line[2:].split(":")[0] for line in text.splitlines() if line.startswith("# ") and ": " in line[2:]}
    assert keys >= {"db_url", "artifacts_url", "executor", "max_workers", "address", "s3_endpoint_url"}
    assert "thread | process | dask" in text
