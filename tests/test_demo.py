"""`mloop demo` is the README's first command: it must close the whole loop, with real server and
scheduler processes, and say what it did."""

from __future__ import annotations

import os
import shlex
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

import mloop
from mloop.cli.main import app
from mloop_env import clear_mloop_env


def stage(output: str, number: int) -> str:
    """The text of one numbered stage of the demo's output."""
    start = output.index(f"\n{number}. ")
    end = output.find(f"\n{number + 1}. ", start)
    return output[start:end if end >= 0 else None]


def test_the_demo_closes_the_loop_and_a_second_one_starts_afresh(tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    clear_mloop_env(monkeypatch)
    monkeypatch.delenv("MLOOP_HOME", raising=False)
    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.chdir(tmp_path)
    folder = tmp_path / "demo"

    result = CliRunner().invoke(app, ["demo", "--folder", str(folder)])

    assert result.exit_code == 0, result.output
    assert Path.cwd() == tmp_path and "MLOOP_HOME" not in os.environ  # the demo leaves the process as it was
    assert "gate: fraud/1 is blessed" in stage(result.output, 2)
    assert "serves fraud/1" in stage(result.output, 3)
    assert "fraud-input-drift: PASSED" in stage(result.output, 5)  # normal traffic
    drifted = stage(result.output, 6)
    assert "fraud-input-drift: FAILED" in drifted and "amount (wasserstein/std" in drifted and "alert " in drifted
    assert "gate: fraud/2 is blessed" in stage(result.output, 7)  # started by the scheduler, not by the demo
    assert "fraud/1 → fraud/2" in stage(result.output, 8) and ": 0 failed" in stage(result.output, 8)
    labels = stage(result.output, 9)
    assert "fraud/1 on holiday traffic: AUC" in labels and "fraud/2 on holiday traffic: AUC" in labels

    monkeypatch.setenv("MLOOP_HOME", str(folder))
    assert mloop.model_aliases("fraud")["fraud"]["champion"] == 2
    [fire] = mloop.trigger_fires("retrain-on-drift")  # the alert's trigger started the retraining run
    assert fire.result == "succeeded" and mloop.get_run(fire.run_id).pipeline == "fraud-training"
    alert = mloop.list_alerts(source="fraud-input-drift")[0]
    assert alert.opened_at <= mloop.get_run(fire.run_id).created_at
    [deployment] = mloop.list_deployments("fraud")
    assert deployment.status == "stopped" and deployment.version == "fraud/2"  # the server followed the alias
    assert mloop.list_schedulers(running_only=True) == []  # the demo stopped what it started
    auc = {version: float(line.split("AUC ")[1].split()[0]) for version, line in
           (("fraud/1", next(x for x in labels.splitlines() if "fraud/1 on holiday" in x)),
            ("fraud/2", next(x for x in labels.splitlines() if "fraud/2 on holiday" in x)))}
    assert auc["fraud/2"] > auc["fraud/1"] + 0.1  # retraining on fresh data won back what drift took

    monkeypatch.delenv("MLOOP_HOME")
    mloop_env = {**os.environ, "PATH": os.environ.get("PATH", "")}
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))  # a shell where `mloop` is not on PATH
    again = CliRunner().invoke(app, ["demo", "--folder", str(folder)])

    assert again.exit_code == 0, again.output
    assert "the previous demo's state was removed" in again.output and "gate: fraud/1 is blessed" in again.output
    lines = again.output.splitlines()
    cd = next(line.strip() for line in lines if line.strip().startswith("cd "))
    assert (tmp_path / shlex.split(cd)[1]).resolve() == folder
    [command] = [line.strip() for line in lines if line.strip().endswith(" status")]
    assert not command.startswith("mloop ")  # not on PATH: the printed command names the script itself
    assert "source " in lines[-1] and "activate" in lines[-1]
    ran = subprocess.run(shlex.split(command), cwd=folder, env=mloop_env, text=True, capture_output=True,
                         timeout=120, check=False)
    assert ran.returncode == 0, ran.stderr
    assert "promoted (champion)" in ran.stdout  # the printed command works, from the folder it says


def test_the_demo_refuses_a_folder_it_did_not_make(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    clear_mloop_env(monkeypatch)
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("keep me")

    result = CliRunner().invoke(app, ["demo", "--folder", str(tmp_path / "mine")])

    assert result.exit_code == 2 and "was not made by `mloop demo`" in result.output
    assert (tmp_path / "mine" / "notes.txt").read_text() == "keep me"
