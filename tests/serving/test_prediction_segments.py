"""Typed Parquet segments: a spilled flush keeps its values as typed columns only, and every reader
of whole rows (mloop.predictions, explain) sees them as it saw JSON segments."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

import mloop
from mloop.serving.explain import _from_segments
from mloop.serving.prediction_batch import TYPED_KEY, PredictionBatch
from mloop.serving.prediction_log import PredictionLogger
from mloop.stores.workspace import get_workspace


def _batch(ids: list[str], inputs: dict, **extra: object) -> PredictionBatch:
    n = len(ids)
    return PredictionBatch(request_ids=ids, model="m", version=1, inputs=inputs,
                           outputs={"prediction": np.arange(n) % 2}, **extra)  # type: ignore[arg-type]


def test_a_spilled_flush_is_typed_and_reads_back_as_json_did(sqlite_workspace: Path) -> None:
    with PredictionLogger(spill_rows=4, flush_seconds=600) as logger:
        logger.log(_batch(["a", "b"], {"x": [1.5, float("nan")], "c": ["u", "v"]},
                          entity_keys={"customer": [7, 8]}))
        logger.log(_batch(["c", "d", "e"], pd.DataFrame({"x": [2.0, 3.0, 4.0], "c": ["w", None, "y"]})))
    [segment] = get_workspace().predictions.segments()
    table = pq.read_table(segment.path)
    assert table.schema.metadata[TYPED_KEY] == b"1"
    assert {"input.x", "input.c", "output.prediction", "entity.customer"} <= set(table.column_names)
    assert table["inputs"].null_count == 5  # the JSON columns are not written

    frame = mloop.predictions("m").set_index("request_id").sort_index()
    assert frame["input.x"].tolist()[0] == 1.5 and np.isnan(frame["input.x"].tolist()[1])
    assert frame["input.x"].tolist()[2:] == [2.0, 3.0, 4.0]
    assert frame["input.c"].tolist()[:3] == ["u", "v", "w"] and frame["input.c"].isna().tolist()[3]
    assert frame["entity.customer"].tolist()[:2] == [7, 8] and frame["entity.customer"].isna().tolist()[2:] == [True] * 3
    record = _from_segments(get_workspace(), "a")
    assert record is not None and json.loads(record.inputs) == {"x": 1.5, "c": "u"}
    assert json.loads(record.entity_key or "null") == {"customer": 7}
    other = _from_segments(get_workspace(), "d")
    assert other is not None and other.entity_key is None and json.loads(other.inputs) == {"x": 3.0, "c": None}


def test_a_flush_whose_types_disagree_is_written_as_json(sqlite_workspace: Path) -> None:
    with PredictionLogger(spill_rows=4, flush_seconds=600) as logger:
        logger.log(_batch(["a", "b"], pd.DataFrame({"x": [1.0, 2.0]})))
        logger.log(_batch(["c", "d"], {"x": ["one", "two"]}))  # the same input as text, in another group
    [segment] = get_workspace().predictions.segments()
    table = pq.read_table(segment.path)

    assert TYPED_KEY not in (table.schema.metadata or {}) and table["inputs"].null_count == 0
    frame = mloop.predictions("m").set_index("request_id").sort_index()
    assert frame.index.tolist() == ["a", "b", "c", "d"] and frame["input.x"].notna().all()
