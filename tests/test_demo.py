"""`mloop demo` is the README's first command: it must run the whole loop and say what it did."""

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


def test_demo_trains_blesses_refuses_a_worse_model_and_keeps_lineage(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    clear_mloop_env(monkeypatch)
    monkeypatch.delenv("MLOOP_HOME", raising=False)
    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.chdir(tmp_path)
    folder = tmp_path / "demo"
    result = CliRunner().invoke(app, ["demo", "--folder", str(folder)])
    assert result.exit_code == 0, result.output
    assert "churn/1 is blessed" in result.output
    assert "churn/2 is not blessed: val_auc" in result.output
    assert f"was trained from {folder / 'data' / 'customers.parquet'}" in result.output
    assert Path.cwd() == tmp_path and "MLOOP_HOME" not in os.environ  # the demo leaves the process as it was
    assert "6 step(s) executed, 0 reused from cache" in stage(result.output, 1)
    assert "data: all 11 checks passed on 20,000 rows" in stage(result.output, 1)
    drift = stage(result.output, 4)  # new customers (charges up 8%) vs the champion's training-data profile
    assert "1 of 6 columns drifted (monthly_charges)" in drift
    assert "Some columns drifted" in (folder / "drift-report.html").read_text()

    monkeypatch.setenv("MLOOP_HOME", str(folder))
    runs = mloop.list_runs(pipeline="churn-training")
    assert [r.status for r in runs] == ["succeeded"] * 3
    second = mloop.get_run(runs[1].id)
    assert {s.node: s.status for s in second.steps} == {
        "ingest": "cached", "data_validation": "cached", "split": "cached", "train": "cached", "evaluate": "cached",
        "bless": "succeeded"}
    champion = mloop.load_model("churn@champion")
    assert champion.version.version == 1
    third = mloop.get_run(runs[0].id)
    assert third.step("ingest").status == "cached" and third.step("train").status == "succeeded"


def test_a_second_demo_says_what_ran_and_how_to_run_mloop(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    clear_mloop_env(monkeypatch)
    monkeypatch.delenv("MLOOP_HOME", raising=False)
    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.chdir(tmp_path)
    folder = tmp_path / "demo"
    assert CliRunner().invoke(app, ["demo", "--folder", str(folder)]).exit_code == 0
    mloop_env = {**os.environ, "PATH": os.environ.get("PATH", "")}
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))  # a shell where `mloop` is not on PATH

    again = CliRunner().invoke(app, ["demo", "--folder", str(folder)])

    assert again.exit_code == 0, again.output
    first = stage(again.output, 1)
    assert "every step executes" not in again.output
    assert "1 step(s) executed, 5 reused from cache" in first  # only the gate runs again
    lines = again.output.splitlines()
    cd = next(line.strip() for line in lines if line.strip().startswith("cd "))
    assert (tmp_path / shlex.split(cd)[1]).resolve() == folder
    [listing] = [line.strip() for line in lines if line.strip().endswith(" runs list")]
    assert not listing.startswith("mloop ")  # not on PATH: the printed command names the script itself
    assert "source " in lines[-1] and "activate" in lines[-1]
    ran = subprocess.run(shlex.split(listing), cwd=folder, env=mloop_env, text=True, capture_output=True,
                         timeout=120, check=False)
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout.count("churn-training") == 6  # the printed command works, from the folder it says
