"""`mloop demo` is the README's first command: it must run the whole loop and say what it did."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

import mloop
from mloop.cli.main import app
from mloop_env import clear_mloop_env


def test_demo_trains_blesses_refuses_a_worse_model_and_keeps_lineage(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    clear_mloop_env(monkeypatch)
    monkeypatch.delenv("MLOOP_HOME", raising=False)
    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.chdir(tmp_path)
    folder = tmp_path / "demo"
    try:
        result = CliRunner().invoke(app, ["demo", "--folder", str(folder)])
    finally:
        os.environ.pop("MLOOP_HOME", None)  # the demo points this process at its folder
    assert result.exit_code == 0, result.output
    assert "churn/1 is blessed" in result.output
    assert "churn/2 is not blessed: val_auc" in result.output
    assert f"was trained from {folder / 'data' / 'customers.parquet'}" in result.output

    monkeypatch.setenv("MLOOP_HOME", str(folder))
    runs = mloop.list_runs(pipeline="churn-training")
    assert [r.status for r in runs] == ["succeeded"] * 3
    second = mloop.get_run(runs[1].id)
    assert {s.node: s.status for s in second.steps} == {
        "ingest": "cached", "split": "cached", "train": "cached", "evaluate": "cached", "bless": "succeeded"}
    champion = mloop.load_model("churn@champion")
    assert champion.version.version == 1
    third = mloop.get_run(runs[0].id)
    assert third.step("ingest").status == "cached" and third.step("train").status == "succeeded"
