"""The monitor kinds' reader of the prediction log: typed segments, JSON-only segments written
before typed columns existed, and database rows give the same values as mloop.predictions()."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import monitoring_models as mm
import numpy as np
import pyarrow.parquet as pq

import mloop
from mloop.monitoring.logged import columns_of, logged_predictions
from mloop.monitoring.model import Monitor
from mloop.serving.prediction_batch import TYPED_KEY, PredictionBatch
from mloop.serving.prediction_log import PredictionLogger
from mloop.serving.prediction_segments import segment_rows_sql
from mloop.stores.metadata.predictions import PREDICTION_COLUMNS
from mloop.stores.workspace import get_workspace

END = mm.START + timedelta(hours=1)


def test_typed_json_only_segments_and_database_rows_read_alike(sqlite_workspace: Path) -> None:
    version = mm.register()
    mm.log(version, mm.frame(1200, seed=1), batch=400, spill_rows=800)  # 800 spilled + 400 in the database
    workspace = get_workspace()
    first, *_ = workspace.predictions.segments(model="clf")
    typed_file = pq.read_table(first.path)
    assert typed_file.schema.metadata[TYPED_KEY] == b"1" and "input.x0" in typed_file.column_names
    mm.log(version, mm.frame(800, seed=2), batch=400, spill_rows=800, start=mm.START + timedelta(minutes=30))
    old = [s for s in workspace.predictions.segments(model="clf") if s.path != first.path][0]
    _as_json_only(old.path)

    table = logged_predictions(Monitor(name="m", kind="data_drift", model="clf"), workspace, mm.START, END,
                               parts=("inputs", "outputs"))
    expected = mloop.predictions("clf").set_index("request_id")

    assert table.num_rows == 2000 == len(expected)
    assert columns_of(table, "inputs") == [*mm.FEATURES, "country"]
    assert columns_of(table, "outputs") == ["prediction", "probability_0", "probability_1"]
    got = table.to_pandas().set_index("request_id").loc[expected.index]
    for name in mm.FEATURES:
        assert np.array_equal(got[f"input.{name}"].to_numpy(), expected[f"input.{name}"].to_numpy())
    assert (got["input.country"] == expected["input.country"]).all()
    assert np.array_equal(got["output.probability_1"].to_numpy(), expected["probability_1"].to_numpy())


def _as_json_only(path: str) -> None:
    """Rewrite a typed segment as segments were written before typed columns: JSON text only."""
    import duckdb

    sql, params = segment_rows_sql([path])
    table = duckdb.connect().sql(f"SELECT * FROM ({sql})", params=params).to_arrow_table()
    assert table.column_names == list(PREDICTION_COLUMNS) and table["inputs"].null_count == 0
    pq.write_table(table, path)
    assert TYPED_KEY not in (pq.read_schema(path).metadata or {})


def test_the_window_is_half_open_and_leaves_shadow_answers_out(sqlite_workspace: Path) -> None:
    version = mm.register()
    mm.log(version, mm.frame(1000, seed=1), batch=100)  # one batch a minute: minutes 0..9
    with PredictionLogger() as logger:
        logger.log(PredictionBatch(request_ids=["s1#shadow", "s2#shadow"], model="clf", version=version.version,
                                   inputs={"x0": [0.0, 1.0]}, outputs={"prediction": [0, 1]}, role="shadow",
                                   time=mm.START + timedelta(minutes=3)))

    table = logged_predictions(Monitor(name="m", kind="data_drift", model="clf"), get_workspace(),
                               mm.START + timedelta(minutes=2), mm.START + timedelta(minutes=5), parts=())

    assert table.num_rows == 300
    assert len(mloop.predictions("clf")) == 1002
