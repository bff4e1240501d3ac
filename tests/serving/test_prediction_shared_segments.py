"""With the artifacts on S3 (a real moto server), the prediction log's Parquet segments go there:
a reader on another machine (another project folder and download cache, the same database and
bucket) sees every prediction, its explanation and its label; compaction replaces the small
objects and the server keeps no local copies once it is closed."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import mloop
from mloop.serving.prediction_batch import PredictionBatch
from mloop.serving.prediction_log import PredictionLogger
from mloop.serving.prediction_segments import STORED
from mloop.stores.workspace import get_workspace, reset_workspaces
from mloop_env import clear_mloop_env


def _project(folder: Path, db_url: str, s3_url: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A project folder of its own (its own state folder and S3 download cache) on the shared stores."""
    folder.mkdir(parents=True, exist_ok=True)
    clear_mloop_env(monkeypatch)
    monkeypatch.setenv("MLOOP_HOME", str(folder))
    monkeypatch.setenv("MLOOP_DB_URL", db_url)
    monkeypatch.setenv("MLOOP_ARTIFACTS_URL", s3_url)
    monkeypatch.setenv("MLOOP_CACHE_DIR", str(folder / "s3-cache"))
    monkeypatch.chdir(folder)
    reset_workspaces()
    return folder


def _batch(first: int, rows: int, model: str = "fraud") -> PredictionBatch:
    x = np.arange(first, first + rows, dtype=float)
    return PredictionBatch(request_ids=[f"r{i}" for i in range(first, first + rows)], model=model, version=1,
                           inputs=pd.DataFrame({"amount": x, "age": x / 2}),
                           outputs={"prediction": (np.arange(first, first + rows) % 2)})


def test_segments_written_on_one_machine_are_read_on_another(s3_url: str, tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    db_url = f"sqlite:///{tmp_path}/shared.db"
    server = _project(tmp_path / "server", db_url, s3_url, monkeypatch)
    with PredictionLogger(spill_rows=10, flush_seconds=600, compact_seconds=600) as logger:
        for first in range(0, 50, 10):  # five flushes of 10 rows: five small segments
            logger.log(_batch(first, 10))
            logger.flush()
        store = get_workspace().predictions
        small = [s.path for s in store.segments(model="fraud")]
        assert len(small) == 5 and all(path.startswith(STORED) for path in small)
        assert len(list((server / ".mloop" / "predictions").rglob("*.parquet"))) == 5  # the writer's own copies

        assert logger._sink.compactor.compact() == 5  # what the writer does every compact_seconds
        (merged,) = store.segments(model="fraud")
        assert merged.path.startswith(STORED) and merged.rows == 50
        artifacts = get_workspace().artifacts
        assert all(artifacts.exists(path[len(STORED):]) for path in small)  # a reader may still be on them
    assert not any(artifacts.exists(path[len(STORED):]) for path in small)  # deleted at close
    assert artifacts.exists(merged.path[len(STORED):])
    assert list((server / ".mloop" / "predictions").rglob("*.parquet")) == []

    _project(tmp_path / "laptop", db_url, s3_url, monkeypatch)
    seen = mloop.predictions("fraud").sort_values("request_id", key=lambda ids: ids.str[1:].astype(int))
    assert seen["request_id"].tolist() == [f"r{i}" for i in range(50)]
    np.testing.assert_array_equal(seen["input.amount"].to_numpy(), np.arange(50, dtype=float))
    np.testing.assert_array_equal(seen["prediction"].to_numpy(), np.arange(50) % 2)
    assert mloop.explain_prediction("r7").inputs == {"amount": 7.0, "age": 3.5}
    result = mloop.log_labels(pd.DataFrame({"request_id": ["r3", "r4"], "label": [1, 0]}))
    assert result.matched == 2
    labelled = mloop.predictions("fraud", with_labels=True).set_index("request_id")
    assert labelled.loc["r3", "label"] == 1 and labelled.loc["r4", "label"] == 0


def test_a_segment_missing_from_the_store_is_named(s3_url: str, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    db_url = f"sqlite:///{tmp_path}/shared.db"
    _project(tmp_path / "server", db_url, s3_url, monkeypatch)
    with PredictionLogger(spill_rows=10, flush_seconds=600) as logger:
        logger.log(_batch(0, 10))
    (segment,) = get_workspace().predictions.segments(model="fraud")
    get_workspace().artifacts.delete(segment.path[len(STORED):])

    _project(tmp_path / "laptop", db_url, s3_url, monkeypatch)
    with pytest.raises(mloop.NotFoundError, match=f"segment {segment.path} is missing from the artifact store"):
        mloop.predictions("fraud")
