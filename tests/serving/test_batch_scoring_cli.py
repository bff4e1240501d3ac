"""`mloop predict MODEL_REF INPUT OUTPUT` as a user types it: CliRunner, and the real script for Ctrl-C."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import serving_models
from click.testing import Result
from typer.testing import CliRunner

import mloop
from mloop.cli.main import app


@pytest.fixture(autouse=True)
def wide_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "250")


@pytest.fixture
def data(fraud: mloop.ModelVersion, tmp_path: Path) -> Path:
    """A folder holding tx.parquet: 40 transactions with an id column."""
    folder = tmp_path / "data"
    folder.mkdir()
    frame = serving_models.transactions(40, seed=6).drop(columns="y")
    frame.insert(0, "tx_id", np.arange(1000, 1040))
    frame.to_parquet(folder / "tx.parquet")
    return folder


def predict(*args: str) -> Result:
    return CliRunner().invoke(app, ["predict", *args])


def test_predict_writes_the_scores_and_prints_one_summary_line(fraud: mloop.ModelVersion, data: Path) -> None:
    result = predict("fraud@champion", str(data / "tx.parquet"), str(data / "out.parquet"), "--id-column", "tx_id",
                     "--keep", "country,hour", "--chunk-rows", "16")
    assert result.exit_code == 0, result.output
    output = (data / "out.parquet").resolve()
    [line] = result.stdout.splitlines()
    assert line.startswith("scored 40 rows in ")
    assert line.endswith(f"rows/s) with fraud/1 into {output}")
    out = pd.read_parquet(output)
    frame = pd.read_parquet(data / "tx.parquet")
    assert list(out.columns) == ["tx_id", "country", "hour", "prediction", "probability_0", "probability_1",
                                 "model_version"]
    assert out["tx_id"].tolist() == list(range(1000, 1040))
    model = fraud.load().model
    np.testing.assert_array_equal(out["prediction"].to_numpy(), model.predict(frame[serving_models.COLUMNS]))


def test_predict_json_prints_the_result(fraud: mloop.ModelVersion, data: Path) -> None:
    result = predict("fraud/1", str(data / "tx.parquet"), str(data / "out.parquet"), "--no-probabilities",
                     "--chunk-rows", "15", "--json")
    assert result.exit_code == 0, result.output
    found = json.loads(result.stdout)
    assert {k: found[k] for k in ("rows", "chunks", "model_version", "model_ref", "training_fingerprint")} == {
        "rows": 40, "chunks": 3, "model_version": "fraud/1", "model_ref": "fraud/1",
        "training_fingerprint": fraud.training_fingerprint}
    assert found["columns"] == ["prediction", "model_version"]
    assert found["output"] == str((data / "out.parquet").resolve())
    assert found["rows_per_second"] > 0


@pytest.mark.parametrize(("args", "message"), [
    (["fraud@staging", "tx.parquet"], "error: model 'fraud' has no alias 'staging'; set one with: "
                                      "mloop models promote fraud VERSION --alias staging"),
    (["fraud/7", "tx.parquet"], "error: model 'fraud' has no version 7 (versions: 1..1)"),
    (["nomodel@champion", "tx.parquet"], "error: no model 'nomodel'; list them with: mloop models list"),
    (["fraud", "tx.parquet"], "error: 'fraud' is not a model version; write NAME/VERSION or NAME@ALIAS"),
    (["fraud@champion", "absent.parquet"], "error: {data}/absent.parquet does not exist; give a Parquet or CSV"),
    (["fraud@champion", "narrow.parquet"], "error: {data}/narrow.parquet does not match the signature of "
                                           "fraud/1: missing column(s) 'age', 'hour'"),
    (["fraud@champion", "tx.parquet", "--id-column", "id"], "error: {data}/tx.parquet has no column 'id' "
                                                            "(the id column); its columns: tx_id, amount"),
    (["fraud@champion", "tx.parquet", "--chunk-rows", "0"], "error: chunk_rows must be a whole number of rows "
                                                            "above 0, got 0"),
    (["fraud@champion", "broken.parquet"], "error: {data}/broken.parquet is not readable Parquet: "),
])
def test_bad_input_is_one_line_and_exit_code_2_with_no_output(data: Path, args: list[str], message: str) -> None:
    pd.read_parquet(data / "tx.parquet").drop(columns=["age", "hour"]).to_parquet(data / "narrow.parquet")
    (data / "broken.parquet").write_bytes(b"PAR1 this is not parquet")
    model, source, *options = args
    result = predict(model, str(data / source), str(data / "out.parquet"), *options)
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    [line] = result.stderr.splitlines()
    assert line.startswith(message.format(data=data))
    assert "Traceback" not in result.output
    assert sorted(p.name for p in data.iterdir()) == ["broken.parquet", "narrow.parquet", "tx.parquet"]


def test_the_output_must_not_be_the_input(data: Path) -> None:
    before = (data / "tx.parquet").read_bytes()
    result = predict("fraud@champion", str(data / "tx.parquet"), str(data / "tx.parquet"))
    assert result.exit_code == 2
    assert result.stderr.strip() == (f"error: the output {data / 'tx.parquet'} is also the input; write the scores "
                                     "to another file")
    assert (data / "tx.parquet").read_bytes() == before


def test_ctrl_c_stops_scoring_removes_the_temp_file_and_exits_130(fraud: mloop.ModelVersion, data: Path) -> None:
    # 3,000 chunks of 100 rows: seconds of work, stopped as soon as the first chunk is being written
    serving_models.transactions(300_000, seed=2).drop(columns="y").to_parquet(data / "big.parquet")
    script = Path(sys.executable).with_name("mloop")
    child = subprocess.Popen([str(script), "predict", "fraud@champion", "big.parquet", "scores.parquet",
                              "--chunk-rows", "100"], cwd=data, env=dict(os.environ), stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
    errors: list[str] = []
    reader = threading.Thread(target=lambda: errors.extend(child.stderr or []), daemon=True)
    reader.start()
    try:
        deadline = time.monotonic() + 120  # a watchdog against a hung child, not a measure of speed
        while not list(data.glob(".scores.parquet.*.mloop-tmp")):
            assert child.poll() is None, f"mloop predict ended before it was interrupted: {''.join(errors)}"
            assert time.monotonic() < deadline, "the temp output never appeared"
            time.sleep(0.02)
        child.send_signal(signal.SIGINT)
        code = child.wait(timeout=60)
    finally:
        child.kill()
        reader.join(timeout=10)
        for stream in (child.stdout, child.stderr):
            if stream is not None:
                stream.close()
    assert code == 130, "".join(errors)
    last = errors[-1].strip()
    assert last.startswith("scoring interrupted after ") and last.endswith(
        f"rows: removed the partial output, {(data / 'scores.parquet').resolve()} is untouched")
    assert "Traceback" not in "".join(errors)
    assert sorted(p.name for p in data.iterdir()) == ["big.parquet", "tx.parquet"]
