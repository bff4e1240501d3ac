"""`mloop runs search | compare | metrics | show` as a user types them."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

import mloop
from mloop.cli.main import app


@pytest.fixture
def runs(workspace: Path, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    monkeypatch.setenv("COLUMNS", "250")  # rich wraps at 80 columns otherwise
    ids = []
    for model, auc in (("xgb", 0.91), ("rf", 0.84), ("xgb", 0.72)):
        with mloop.start_run("churn", params={"model": model, "depth": 6}, tags={"team": "risk"}) as run:
            for epoch, loss in enumerate((0.9, 0.5, 0.3)):
                run.log_metric("loss", loss, step=epoch)
            run.log_metric("val_auc", auc)
        ids.append(run.id)
    return ids


def invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.output


def test_search_filters_orders_and_limits(runs: list[str]) -> None:
    code, out = invoke("runs", "search", "params.model = 'xgb'", "--order-by", "metrics.val_auc", "--desc")
    assert code == 0, out
    lines = [line for line in out.splitlines() if "01" in line and "churn" in line]
    assert [line.split()[1] for line in lines] == [runs[0], runs[2]]
    assert "metrics.val_auc" in out and "0.91" in out and "params.model" in out
    assert "params.depth" not in out and "tags.team" not in out  # the same in every run
    assert "2 run(s); 2 column(s) with the same value in every run hidden" in out

    code, out = invoke("runs", "search", "params.model = 'xgb'", "-c", "params.depth", "-c", "metrics.loss")
    header = next(line for line in out.splitlines() if "run" in line and "pipeline" in line)
    assert "params.depth" in header and "metrics.loss" in header and "metrics.val_auc" not in header

    code, out = invoke("runs", "search", "--order-by", "metrics.val_auc", "--limit", "1")
    assert code == 0 and runs[2] in out and runs[0] not in out

    code, out = invoke("runs", "search", "metrics.val_auc > 0.99")
    assert (code, out.strip()) == (0, "no run matches")


def test_search_with_a_malformed_filter_exits_2_with_a_caret(runs: list[str]) -> None:
    code, out = invoke("runs", "search", "metrics.val_auc > 0.8 andd params.model = 'xgb'")
    assert code == 2
    first, caret = out.rstrip("\n").splitlines()
    assert first == "error: unexpected 'andd' at column 23: metrics.val_auc > 0.8 andd params.model = 'xgb'"
    assert first[caret.index("^"):caret.index("^") + 4] == "andd"
    assert caret.endswith("^^^^ expected 'and', 'or' or the end of the filter")


def test_compare_puts_runs_side_by_side(runs: list[str]) -> None:
    code, out = invoke("runs", "compare", runs[0], runs[1][:10])
    assert code == 0, out
    model_row = next(line for line in out.splitlines() if "params.model" in line)
    assert "xgb" in model_row and "rf" in model_row
    assert runs[0][:12] in out and runs[1][:12] in out

    code, out = invoke("runs", "compare", runs[0], "nope")
    assert code == 2 and "no run 'nope'" in out


def test_metrics_lists_latest_values_and_one_history(runs: list[str]) -> None:
    code, out = invoke("runs", "metrics", runs[0])
    assert code == 0, out
    assert "val_auc" in out and "0.91" in out and "loss" in out

    code, out = invoke("runs", "metrics", runs[0], "loss")
    assert code == 0, out
    rows = [line.replace("│", " ").split()[:2] for line in out.splitlines() if line.startswith("│")]
    assert rows == [["0", "0.9"], ["1", "0.5"], ["2", "0.3"]]

    code, out = invoke("runs", "metrics", runs[0], "f1")
    assert code == 2 and "has no metric 'f1'; its metrics: loss, val_auc" in out


def test_show_lists_params_metrics_and_tags(runs: list[str]) -> None:
    code, out = invoke("runs", "show", runs[1])
    assert code == 0, out
    assert "params" in out and "rf" in out
    assert "metrics (latest)" in out and "0.84" in out
    assert "tags" in out and "risk" in out


def test_the_installed_console_script(runs: list[str], workspace: Path) -> None:
    script = Path(sys.executable).with_name("mloop")
    env = {**os.environ, "COLUMNS": "250"}

    def mloop_script(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(script), *args], cwd=workspace, env=env, text=True, capture_output=True,
                              timeout=60, check=False)

    found = mloop_script("runs", "search", "tags.team = 'risk' and metrics.val_auc >= 0.84",
                         "--order-by", "metrics.val_auc")
    assert found.returncode == 0, found.stderr
    assert found.stdout.index(runs[1]) < found.stdout.index(runs[0]) and runs[2] not in found.stdout

    bad = mloop_script("runs", "search", "metrics.val_auc >> 1")
    assert bad.returncode == 2
    assert bad.stderr.splitlines()[0] == "error: unexpected '>' at column 18: metrics.val_auc >> 1"
