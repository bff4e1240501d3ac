"""What the commands print, read as a script or a person reads it: whole ids and names when piped
or on an 80-column terminal, `--json` documents, flags shown as flags, notes that say what happened."""

from __future__ import annotations

import json
import os
import pty
import re
import select
import subprocess
import sys
from pathlib import Path

import pytest
from cli_project import Project
from typer.testing import CliRunner

import mloop
from mloop.cli.main import app

LONG_NAME = "my-pipeline-with-a-long-descriptive-name"  # cut to `my-pip…` before


def mloop_script(*args: str, cwd: Path, columns: int = 80) -> subprocess.CompletedProcess[str]:
    script = Path(sys.executable).with_name("mloop")
    return subprocess.run([str(script), *args], cwd=cwd, env=dict(os.environ, COLUMNS=str(columns)), text=True,
                          capture_output=True, timeout=120, check=False)


def in_terminal(*args: str, cwd: Path, columns: int = 80) -> str:
    """The command's screen output in a real pseudo-terminal `columns` wide (colours stripped)."""
    script = Path(sys.executable).with_name("mloop")
    controller, terminal = pty.openpty()
    env = dict(os.environ, COLUMNS=str(columns), LINES="40", TERM="xterm")
    with subprocess.Popen([str(script), *args], cwd=cwd, env=env, stdin=terminal, stdout=terminal, stderr=terminal,
                          close_fds=True) as child:
        os.close(terminal)
        chunks = []
        while select.select([controller], [], [], 120)[0]:  # a command that hangs fails the test, not the suite
            try:
                chunk = os.read(controller, 65536)
            except OSError:  # the child closed the terminal
                break
            if not chunk:
                break
            chunks.append(chunk)
        child.wait(timeout=120)
    os.close(controller)
    return re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", b"".join(chunks).decode()).replace("\r", "")


def long_named_run(project: Project) -> mloop.Run:
    yaml = project.root / "long.yaml"
    yaml.write_text((project.root / project.yaml).read_text().replace("name: yflow", f"name: {LONG_NAME}"))
    result = CliRunner().invoke(app, ["run", "long.yaml", "-p", "n=4"])
    assert result.exit_code == 0, result.output
    return mloop.get_run(mloop.list_runs()[0].id)


def test_piped_tables_keep_whole_ids_and_names_at_80_columns(project: Project) -> None:
    run = long_named_run(project)

    listing = mloop_script("runs", "list", cwd=project.root)
    search = mloop_script("runs", "search", cwd=project.root)
    artifacts = mloop_script("artifacts", "list", cwd=project.root)

    assert listing.returncode == search.returncode == artifacts.returncode == 0, listing.stderr + search.stderr
    for output in (listing.stdout, search.stdout):
        [line] = [line for line in output.splitlines() if LONG_NAME in line]  # `| grep NAME` finds the run
        assert run.id in line and "succeeded" in line
        assert "…" not in output
    assert "n=4" in listing.stdout
    assert run.output("total").id[:16] in artifacts.stdout


def test_an_80_column_terminal_shows_id_prefixes_and_whole_names(project: Project) -> None:
    run = long_named_run(project)

    listing = in_terminal("runs", "list", cwd=project.root)

    assert "…" not in listing
    assert all(len(line) <= 80 for line in listing.splitlines()), listing
    [row] = [line for line in listing.splitlines() if LONG_NAME in line]
    prefix = run.id[:12]
    assert prefix in row and run.id not in listing and "succeeded" in row
    assert mloop.get_run(prefix).id == run.id  # what the terminal shows is accepted as input


def test_search_on_an_80_column_terminal_keeps_metrics_before_params(project: Project) -> None:
    for auc, model in ((0.91, "a-rather-long-model-name"), (0.87, "another-long-model-name")):
        with mloop.start_run(experiment="churn", params={"model": model, "seed": 7}) as tracked:
            tracked.log_metrics({"val_auc": auc, "val_accuracy_on_holdout": auc - 0.03})

    search = in_terminal("runs", "search", cwd=project.root)

    assert "…" not in search
    assert all(len(line) <= 80 for line in search.splitlines()), search
    row = next(line for line in search.splitlines() if tracked.id[:12] in line)
    assert "0.87" in row and "0.84" in row  # both metrics keep their columns
    assert "val_accuracy_on_holdout" in search and "val_auc" in search
    assert "left out at this width (started" in search  # and what gave way is said


def test_every_list_show_and_search_command_has_json(project: Project) -> None:
    run = long_named_run(project)
    with mloop.start_run(experiment="exp", params={"alpha": 0.5}) as tracked:
        tracked.log_metric("auc", 0.8, step=0)
        tracked.log_metric("auc", 0.9, step=1)
    total = run.output("total")
    pd = pytest.importorskip("pandas")
    linear = pytest.importorskip("sklearn.linear_model")
    features = pd.DataFrame({"x": [0.0, 1.0, 2.0, 3.0]})
    model = linear.LogisticRegression().fit(features, [0, 0, 1, 1])
    registered = mloop.register_model("summer", model, training_data=features, metrics={"auc": 0.75})

    def document(*args: str) -> object:
        result = CliRunner().invoke(app, [*args, "--json"])
        assert result.exit_code == 0, result.output
        return json.loads(result.stdout)

    runs = document("runs", "list")
    assert [(r["id"], r["pipeline"], r["status"]) for r in runs] == [
        (tracked.id, "exp", "succeeded"), (run.id, LONG_NAME, "succeeded")]
    assert runs[1]["params"] == {"n": 4, "factor": 2}
    assert runs[1]["started_at"] == run.started_at.isoformat()

    shown = document("runs", "show", run.id[:12])
    assert (shown["id"], shown["pipeline"], shown["params"]) == (run.id, LONG_NAME, {"n": 4, "factor": 2})
    assert [s["node"] for s in shown["steps"]] == ["numbers", "scale", "total"]
    assert shown["steps"][2]["outputs"] == {"output": total.id}

    found = document("runs", "search", "metrics.auc > 0.85")
    assert [(r["run_id"], r["metrics.auc"], r["params.alpha"]) for r in found] == [(tracked.id, 0.9, "0.5")]

    compared = document("runs", "compare", run.id, tracked.id)
    assert set(compared) == {run.id, tracked.id}
    assert compared[tracked.id]["metrics.auc"] == 0.9 and compared[run.id]["pipeline"] == LONG_NAME

    assert document("runs", "metrics", tracked.id) == {"auc": 0.9}
    history = document("runs", "metrics", tracked.id, "auc")
    assert [(p["step"], p["value"]) for p in history] == [(0, 0.8), (1, 0.9)]

    artifacts = document("artifacts", "list")
    assert total.id in [a["id"] for a in artifacts]
    artifact = document("artifacts", "show", total.id[:8])
    assert (artifact["id"], artifact["size"], artifact["kind"]) == (total.id, total.size, "output")
    lineage = document("artifacts", "lineage", total.id)
    assert lineage["artifact"]["id"] == total.id
    assert {n["label"] for n in lineage["upstream"] if n["kind"] == "step"} >= {"total (total)", "scale (scale)"}

    assert [(m["name"], m["latest_version"]) for m in document("models", "list")] == [("summer", 1)]
    versions = document("models", "show", "summer")
    assert [(v["version"], v["artifact_id"], v["metrics"]) for v in versions["versions"]] == [
        (1, registered.artifact_id, {"auc": 0.75})]
    version = document("models", "show", "summer/1")
    assert (version["ref"], version["artifact_id"], version["blessed"]) == ("summer/1", registered.artifact_id, None)
    assert [c["name"] for c in version["signature"]["inputs"]] == ["x"]


def test_unknown_status_names_the_valid_ones(project: Project) -> None:
    result = CliRunner().invoke(app, ["runs", "list", "--status", "bogus"])

    assert result.exit_code == 2
    assert result.stderr.strip() == ("error: unknown run status 'bogus'; use one of: pending, running, succeeded, "
                                     "failed, interrupted")
    assert result.stdout == ""


def test_runs_show_prints_the_params_once(project: Project) -> None:
    CliRunner().invoke(app, ["run", project.python, "-p", "n=4"])
    [record] = mloop.list_runs()

    show = CliRunner().invoke(app, ["runs", "show", record.id])

    assert show.exit_code == 0, show.output
    assert show.stdout.count("factor") == 1
    assert "params: {'n': 4, 'factor': 2, 'fail': False}" in show.stdout


def test_logs_of_a_cached_step_name_the_run_that_executed_it(project: Project) -> None:
    (project.root / "talk.py").write_text(
        "from mloop import pipeline, step\n\n@step\ndef hello(n: int = 1) -> int:\n    print(f'hello {n}')\n"
        "    return n\n\n@step\ndef quiet(n: int) -> int:\n    return n\n\n@pipeline\ndef talk(n: int = 1):\n"
        "    quiet(hello(n))\n")
    assert CliRunner().invoke(app, ["run", "talk.py"]).exit_code == 0
    assert CliRunner().invoke(app, ["run", "talk.py"]).exit_code == 0
    cached, first = mloop.list_runs()

    logs = CliRunner().invoke(app, ["runs", "logs", cached.id, "hello"])
    quiet = CliRunner().invoke(app, ["runs", "logs", cached.id, "quiet"])

    assert logs.exit_code == quiet.exit_code == 0
    assert logs.stdout == "hello 1\n"
    assert f"was reused from cache: run {first.id} executed it" in logs.stderr
    assert f"mloop runs logs {first.id} hello" in logs.stderr
    assert quiet.stdout == ""
    assert f"step 'quiet' of run {first.id} wrote no output" in quiet.stderr
    assert "status cached" not in quiet.stderr  # run first executed it: its step did not run from cache


def _commands(group: object, path: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    import typer

    command = typer.main.get_command(group) if not hasattr(group, "commands") else group
    found = [path]
    for name, sub in getattr(command, "commands", {}).items():
        found += _commands(sub, (*path, name)) if hasattr(sub, "commands") else [(*path, name)]
    return found


def test_help_shows_flags_without_a_value() -> None:
    commands = _commands(app)
    assert ("runs", "resume") in commands and ("models", "promote") in commands
    for path in commands:
        result = CliRunner().invoke(app, [*path, "--help"], env={"COLUMNS": "100"})
        assert result.exit_code == 0, (path, result.output)
        assert "<bool>" not in result.stdout and "--no-force" not in result.stdout, path
        assert not re.search(r"^\s+-.*<list\[str\]>", result.stdout, re.MULTILINE), path  # options name their value
    run_help = CliRunner().invoke(app, ["run", "--help"], env={"COLUMNS": "100"}).stdout
    assert re.search(r"^\s+--no-cache\s+Execute every step\.", run_help, re.MULTILINE), run_help
    assert re.search(r"^\s+-p, --param KEY=VALUE\s+Parameter", run_help, re.MULTILINE), run_help


def test_version() -> None:
    result = CliRunner().invoke(app, ["--version"])

    assert result.exit_code == 0
    assert result.stdout == f"mloop {mloop.__version__}\n" == "mloop 0.1.0\n"


@pytest.mark.parametrize("command", [
    ["runs", "show", "RUN"], ["runs", "logs", "RUN", "total"], ["runs", "metrics", "RUN"],
    ["runs", "compare", "RUN", "RUN"], ["artifacts", "show", "ARTIFACT"], ["artifacts", "lineage", "ARTIFACT"],
])
def test_shown_prefixes_are_accepted_as_input(project: Project, command: list[str]) -> None:
    CliRunner().invoke(app, ["run", project.yaml])
    run = mloop.get_run(mloop.list_runs()[0].id)
    args = [a.replace("RUN", run.id[:12]).replace("ARTIFACT", run.output("total").id[:12]) for a in command]

    result = CliRunner().invoke(app, args)

    assert result.exit_code == 0, result.output
