"""Mistakes in the user's own file, or a bad run option: one line, exit code 2, no run recorded."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from steps_example import chain
from typer.testing import CliRunner

import mloop
from mloop.cli.main import app

pytestmark = pytest.mark.usefixtures("sqlite_workspace")


def mloop_script(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    script = Path(sys.executable).with_name("mloop")
    return subprocess.run([str(script), *args], cwd=cwd, env=dict(os.environ), text=True, capture_output=True,
                          timeout=60, check=False)


@pytest.mark.parametrize(("files", "message"), [
    ({"train.py": "import os\n\n\ndef broken(:\n    pass\n"}, "train.py:4: SyntaxError: invalid syntax"),
    ({"train.py": "import os\n\nimport no_such_module_here\n"},
     "train.py:3: cannot import: ModuleNotFoundError: No module named 'no_such_module_here'"),
    ({"train.py": "import helper\n", "helper.py": "x = 1\nraise RuntimeError('boom')\n"},
     "helper.py:2: RuntimeError: boom"),
])
def test_error_in_the_users_file_is_one_line(tmp_path: Path, files: dict[str, str], message: str) -> None:
    for name, text in files.items():
        (tmp_path / name).write_text(text)

    plain = mloop_script("run", "train.py", cwd=tmp_path)
    debug = mloop_script("--debug", "run", "train.py", cwd=tmp_path)

    assert plain.returncode == 2
    assert plain.stderr.splitlines() == [f"error: {message}"]
    assert "Traceback (most recent call last)" in debug.stderr
    assert mloop.list_runs() == []


def test_error_in_a_module_target_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "project_flows").mkdir()
    (tmp_path / "project_flows" / "__init__.py").write_text("")
    (tmp_path / "project_flows" / "flow.py").write_text("import os\nx = (\n")

    result = mloop_script("run", "project_flows.flow:flow", cwd=tmp_path)

    assert result.returncode == 2
    assert result.stderr.splitlines() == ["error: project_flows/flow.py:2: SyntaxError: '(' was never closed"]
    assert mloop.list_runs() == []


@pytest.mark.parametrize("workers", ["-3", "0"])
def test_max_workers_below_one_is_refused_before_a_run_is_recorded(workers: str) -> None:
    result = CliRunner().invoke(app, ["run", "steps_example:chain", "--max-workers", workers])

    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        f"error: max_workers (--max-workers) must be at least 1 (the number of steps run at once), got {workers}"]
    assert mloop.list_runs() == []
    with pytest.raises(mloop.ConfigError, match="max_workers"):
        chain.run(max_workers=int(workers))
    assert mloop.list_runs() == []


def test_a_file_that_runs_its_pipeline_when_imported_is_refused_not_run_twice(tmp_path: Path) -> None:
    (tmp_path / "unguarded.py").write_text(
        "from mloop import pipeline, step\n\n\n@step\ndef one() -> int:\n    return 1\n\n\n"
        "@pipeline(name='unguarded')\ndef unguarded():\n    one()\n\n\nunguarded.run()\n")

    result = mloop_script("run", "unguarded.py", cwd=tmp_path)

    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stderr.splitlines() == [
        "error: unguarded.py:14: runs pipeline 'unguarded' while mloop loads the file, so it would run twice; "
        "put that line under if __name__ == \"__main__\":"]
    assert mloop.list_runs() == []
