"""The installed `mloop` console script in a child process, exactly as a user runs it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from cli_project import Project

import mloop


def mloop_script(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    script = Path(sys.executable).with_name("mloop")
    return subprocess.run([str(script), *args], cwd=cwd, env=dict(os.environ), text=True, capture_output=True,
                          timeout=60, check=False)


def test_run_yaml_then_list_runs(project: Project) -> None:
    ran = mloop_script("run", project.yaml, "-p", "n=4", cwd=project.root)
    assert ran.returncode == 0, ran.stderr
    [record] = mloop.list_runs()
    assert (record.status, record.params) == ("succeeded", {"n": 4, "factor": 2})
    assert mloop.get_run(record.id).output("total").load() == 12

    listing = mloop_script("runs", "list", cwd=project.root)
    assert listing.returncode == 0, listing.stderr
    assert record.id in listing.stdout and "succeeded" in listing.stdout


def test_error_is_one_line_on_stderr_with_exit_code_2(project: Project) -> None:
    result = mloop_script("run", project.yaml, "-p", "n", cwd=project.root)

    assert result.returncode == 2
    assert result.stderr.splitlines() == ["error: parameter 'n' is not key=value; write e.g. -p n_estimators=200"]
    assert mloop.list_runs() == []


def test_unknown_run_with_and_without_debug(project: Project) -> None:
    plain = mloop_script("runs", "show", "nope", cwd=project.root)
    debug = mloop_script("--debug", "runs", "show", "nope", cwd=project.root)

    assert plain.returncode == debug.returncode == 2
    assert plain.stderr.splitlines() == ["error: no run 'nope'; list them with: mloop runs list"]
    assert "Traceback (most recent call last)" in debug.stderr
    assert debug.stderr.splitlines()[-1] == plain.stderr.splitlines()[0]


def test_missing_pipeline_file(project: Project) -> None:
    result = mloop_script("run", "nowhere.yaml", cwd=project.root)
    assert result.returncode == 2
    assert result.stderr.splitlines() == ["error: no such pipeline file: nowhere.yaml"]


def test_failed_run_resumes_in_a_new_process(project: Project) -> None:
    (project.root / "BROKEN").touch()
    failed = mloop_script("run", project.python, cwd=project.root)
    assert failed.returncode == 1
    [record] = mloop.list_runs()
    assert f"mloop runs resume {record.id}" in failed.stdout

    (project.root / "BROKEN").unlink()
    resumed = mloop_script("runs", "resume", record.id, cwd=project.root)  # steps found again from the file

    assert resumed.returncode == 0, resumed.stderr
    run = mloop.get_run(record.id)
    assert run.status == "succeeded"
    assert [len(s.attempts) for s in run.steps] == [1, 2, 1, 1, 1]
    assert run.output("total").load() == 6


def test_piped_run_prints_no_empty_line_before_its_result_or_its_error(project: Project) -> None:
    ran = mloop_script("run", project.yaml, cwd=project.root)
    refused = mloop_script("run", project.yaml, "-p", "nope=1", cwd=project.root)

    assert ran.returncode == 0, ran.stderr
    assert ran.stdout.splitlines()[0].startswith("run "), ran.stdout  # no progress line left behind
    assert refused.returncode == 2
    assert refused.stdout == ""
    assert refused.stderr.splitlines() == ["error: pipeline.yaml: unknown parameter 'nope'; declared: n, factor"]


def test_a_yaml_syntax_error_names_the_file_and_line(project: Project) -> None:
    (project.root / "broken.yaml").write_text("name: x\nsteps:\n  - name: a\n    uses: m:f\n   bad: [\n")

    result = mloop_script("run", "broken.yaml", cwd=project.root)

    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        "error: broken.yaml:5: not valid YAML: expected <block end>, but found '<block mapping start>'"]
    assert mloop.list_runs() == []


def test_a_yaml_syntax_error_in_the_settings_names_the_line(project: Project) -> None:
    (project.root / "mloop.yaml").write_text("executor: thread\ndb_url: [\n")

    result = mloop_script("runs", "list", cwd=project.root)

    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        f"error: {project.root / 'mloop.yaml'}:3: not valid YAML: expected the node content, but found '<stream end>'"]
