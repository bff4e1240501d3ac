"""A busy logger's spilled files are merged: per model and day, typed with typed and JSON with JSON;
the compacted segment replaces the small ones at once and reads back the same rows."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

import mloop
from mloop.serving.prediction_batch import TYPED_KEY, PredictionBatch
from mloop.serving.prediction_log import PredictionLogger
from mloop.stores.workspace import get_workspace


def _batch(ids: list[str], inputs: object, model: str = "m") -> PredictionBatch:
    return PredictionBatch(request_ids=ids, model=model, version=1, inputs=inputs,  # type: ignore[arg-type]
                           outputs={"prediction": np.arange(len(ids)) % 2})


def test_spilled_files_are_compacted_into_one_per_model_and_encoding(sqlite_workspace: Path) -> None:
    with PredictionLogger(spill_rows=2, flush_seconds=600, compact_seconds=600) as logger:
        for index in range(5):  # five flushes of m: five small typed files
            logger.log(_batch([f"m{index}a", f"m{index}b"], pd.DataFrame({"x": [index, index + 0.5]})))
            logger.flush()
        logger.log(_batch(["o1", "o2"], pd.DataFrame({"x": [1.0, 2.0]}), model="other"))
        logger.flush()
        logger.log(_batch(["j1", "j2"], pd.DataFrame({"x": [1.0, 2.0]})))  # disagreeing types: a JSON file
        logger.log(_batch(["j3", "j4"], {"x": ["one", "two"]}))
        logger.flush()
        before = {s.path for s in get_workspace().predictions.segments(model="m")}
        assert len(before) == 6
        expected = mloop.predictions("m").sort_values("request_id").reset_index(drop=True)

        replaced = logger._sink.compactor.compact()  # what the writer does every compact_seconds

        assert replaced == 5  # the five typed files of m; "other" and the JSON file are alone in their groups
        segments = get_workspace().predictions.segments(model="m")
        assert len(segments) == 2 and sum(s.rows for s in segments) == 14
        compacted = next(s for s in segments if s.path not in before)
        assert compacted.rows == 10 and pq.read_table(compacted.path).schema.metadata[TYPED_KEY] == b"1"
        assert all(Path(p).exists() for p in before)  # replaced files wait a cycle: a reader may be on them
        after = mloop.predictions("m").sort_values("request_id").reset_index(drop=True)
        pd.testing.assert_frame_equal(after, expected)
    assert all(not Path(p).exists() for p in before if p not in {s.path for s in segments})  # gone at close
    assert len(get_workspace().predictions.segments(model="other")) == 1
