"""`mloop predictions` as a user types it: list (table and --json), explain, labels, and the
one-line errors with exit code 2."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from click.testing import Result
from prediction_logs import at, predict_batch
from typer.testing import CliRunner

import mloop
from mloop.cli.main import app
from mloop.serving import PredictionLogger

LONG_ID = "req-" + "0123456789abcdef" * 3  # longer than any id prefix a table might cut to


def mloop_cmd(*args: str) -> Result:
    return CliRunner().invoke(app, list(args))


@pytest.fixture
def logged(fraud: mloop.ModelVersion, monkeypatch: pytest.MonkeyPatch) -> mloop.ModelVersion:
    monkeypatch.setenv("COLUMNS", "250")
    with PredictionLogger(flush_seconds=600) as logger:
        batch, _ = predict_batch(fraud, [LONG_ID, "r2", "r3"], time=at(1))
        logger.log(batch)
        older, _ = predict_batch(fraud, ["old"], time=at(0), deployment=None)
        logger.log(older)
    return fraud


def test_list_shows_whole_ids_newest_first_and_json_has_every_column(logged: mloop.ModelVersion) -> None:
    table = mloop_cmd("predictions", "list")
    listed = json.loads(mloop_cmd("predictions", "list", "--json").stdout)
    assert table.exit_code == 0, table.output
    assert LONG_ID in table.stdout and "fraud/1" in table.stdout and "4 prediction(s)" in table.stdout
    assert [r["request_id"] for r in listed] == ["r2", "r3", LONG_ID, "old"]  # by time, then id
    assert {"input.amount", "input.country", "prediction", "probability_0", "probability_1",
            "latency_ms"} <= set(listed[0])
    assert listed[0]["time"] == at(1).isoformat()
    limited = json.loads(mloop_cmd("predictions", "list", "--json", "--limit", "1", "--model", "fraud").stdout)
    assert [r["request_id"] for r in limited] == ["r2"]
    since = json.loads(mloop_cmd("predictions", "list", "--json", "--since", at(0.5).isoformat()).stdout)
    assert len(since) == 3
    empty = mloop_cmd("predictions", "list", "--model", "churn")
    assert empty.exit_code == 0 and "no predictions logged for churn" in empty.stdout


def test_explain_prints_the_version_run_and_training_data(logged: mloop.ModelVersion) -> None:
    shown = mloop_cmd("predictions", "explain", "r2")
    as_json = json.loads(mloop_cmd("predictions", "explain", "r2", "--json").stdout)
    assert shown.exit_code == 0, shown.output
    assert "answered by   fraud/1" in shown.stdout and f"run {logged.run_id}" in shown.stdout
    assert as_json["run_id"] == logged.run_id and as_json["version"] == 1
    assert as_json["training_data"][0]["artifact_id"] == logged.training_fingerprint
    assert as_json["training_data"][0]["bytes"] == mloop.get_artifact(logged.training_fingerprint).record.size


def test_explain_of_an_unknown_request_is_one_line_and_exit_code_2(logged: mloop.ModelVersion) -> None:
    result = mloop_cmd("predictions", "explain", "nope")
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines() == [
        "error: no prediction with request id nope; list recent ones with: mloop predictions list"]


def test_labels_from_a_file_are_joined_and_listed(logged: mloop.ModelVersion, tmp_path: Path) -> None:
    pd.DataFrame({"rid": [LONG_ID, "r3", "unknown"], "y": [1, 0, 1]}).to_csv(tmp_path / "truth.csv", index=False)
    result = mloop_cmd("predictions", "labels", str(tmp_path / "truth.csv"), "--id-column", "rid",
                       "--label-column", "y")
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == "logged 3 label(s): 2 matched 2 logged prediction(s), 1 matched none yet"
    listed = json.loads(mloop_cmd("predictions", "list", "--labels", "--json").stdout)
    assert {r["request_id"]: r["label"] for r in listed} == {LONG_ID: 1, "r2": None, "r3": 0, "old": None}
    again = json.loads(mloop_cmd("predictions", "labels", str(tmp_path / "truth.csv"), "--id-column", "rid",
                                 "--label-column", "y", "--json").stdout)
    assert again == {"labels": 3, "matched": 2, "unmatched": 1, "predictions": 2}


@pytest.mark.parametrize(("args", "message"), [
    (["labels", "missing.csv"], "error: no such labels file: missing.csv; give a Parquet or CSV file"),
    (["labels", "{truth}", "--label-column", "nope"],
     "error: {truth} has no column 'nope'; its columns: request_id, label"),
    (["list", "--since", "last week"],
     "error: since 'last week' is not a time; write ISO 8601, e.g. 2026-12-01 or 2026-12-01T12:00:00+00:00"),
    (["list", "--limit", "0"], "error: limit must be a positive whole number, not 0"),
])
def test_bad_input_is_one_line_and_exit_code_2(sqlite_workspace: Path, args: list[str], message: str) -> None:
    truth = sqlite_workspace / "truth.csv"
    pd.DataFrame({"request_id": ["a"], "label": [1]}).to_csv(truth, index=False)
    result = mloop_cmd("predictions", *(a.format(truth=truth) for a in args))
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines() == [message.format(truth=truth)]
