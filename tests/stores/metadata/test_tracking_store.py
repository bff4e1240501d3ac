"""TrackingStore contract: logged metrics, params, tags, run search; on SQLite and PostgreSQL."""

from __future__ import annotations

import math
from datetime import datetime, timezone

import pytest

from mloop.stores.metadata import MetadataStores, RunRecord
from mloop.stores.metadata.run_query import Comparison, Field, RunQuery
from mloop.stores.metadata.tracking_records import TrackingBatch

NOW = datetime(2026, 11, 2, tzinfo=timezone.utc)


def make_run(store: MetadataStores, run_id: str, params: dict | None = None, kind: str = "experiment") -> None:
    store.runs.create_run(RunRecord(id=run_id, pipeline="exp", status="running", params=params or {}, graph={"nodes": []},
                               graph_hash="", created_at=NOW, started_at=NOW, kind=kind), [])


def test_latest_metric_is_the_highest_step_then_the_newest_point(store: MetadataStores) -> None:
    make_run(store, "r1")
    store.tracking.log_batch(TrackingBatch(metrics=[("r1", None, "loss", 0.5, 1, 10.0), ("r1", None, "loss", 0.9, 0, 11.0)]))
    store.tracking.log_batch(TrackingBatch(metrics=[("r1", "s1", "loss", 0.4, 1, 12.0), ("r1", None, "loss", 0.1, 0, 13.0)]))
    store.tracking.log_batch(TrackingBatch(metrics=[("r1", None, "gap", float("nan"), 0, 1.0)]))

    values = store.tracking.run_values(["r1"])["r1"]
    assert values.metrics["loss"] == 0.4  # step 1 beats a later step 0; the newer step-1 point wins
    assert math.isnan(values.metrics["gap"])
    history = store.tracking.metric_history("r1", "loss")
    assert history.steps.tolist() == [0, 0, 1, 1]
    assert history.values.tolist() == [0.9, 0.1, 0.5, 0.4]
    assert history.timestamps.tolist() == [11.0, 13.0, 10.0, 12.0]
    assert history.step_run_ids == [None, None, None, "s1"]
    assert len(store.tracking.metric_history("r1", "nothing")) == 0


def test_params_and_tags_take_the_last_value_and_run_params_are_params(store: MetadataStores) -> None:
    make_run(store, "r1", params={"n": 200, "name": "base", "flag": True, "long": "x" * 5000}, kind="pipeline")
    store.tracking.log_batch(TrackingBatch(params=[("r1", None, "lr", "0.1"), ("r1", "s1", "lr", "0.2")],
                                  tags=[("r1", "team", "a"), ("r1", "team", "b")]))
    store.tracking.log_batch(TrackingBatch(params=[("r1", None, "name", "tuned")]))

    values = store.tracking.run_values(["r1", "missing"])
    assert set(values) == {"r1"}
    assert values["r1"].params == {"n": "200", "name": "tuned", "flag": "true", "lr": "0.2"}  # "long" is too long
    assert values["r1"].tags == {"team": "b"}


def test_search_uses_latest_metrics_params_and_attributes(store: MetadataStores) -> None:
    for index in range(6):
        make_run(store, f"r{index}", params={"model": "xgb" if index % 2 else "rf"})
        store.tracking.log_batch(TrackingBatch(metrics=[(f"r{index}", None, "auc", index / 10, 0, 1.0)]))
    query = RunQuery(Comparison(Field("params", "model"), "=", "xgb"), Field("metrics", "auc"), True, 2)
    assert [r.id for r in store.tracking.search_runs(query)] == ["r5", "r3"]
    query = RunQuery(Comparison(Field("attributes", "kind"), "=", "experiment"), Field("metrics", "auc"), False, 10)
    assert [r.id for r in store.tracking.search_runs(query)] == [f"r{i}" for i in range(6)]
    assert store.tracking.search_runs(RunQuery(Comparison(Field("metrics", "auc"), ">", 5.0)))== []


def test_a_batch_for_an_unknown_run_is_refused_whole(store: MetadataStores) -> None:
    import mloop

    make_run(store, "r1")
    with pytest.raises(mloop.ConflictError):
        store.tracking.log_batch(TrackingBatch(metrics=[("r1", None, "auc", 1.0, 0, 1.0), ("ghost", None, "auc", 1.0, 0, 1.0)]))
    assert store.tracking.run_values(["r1"]) == {}


def test_search_pages_with_offset_and_counts_every_match(store: MetadataStores) -> None:
    for index in range(7):
        make_run(store, f"r{index}", params={"model": "xgb" if index % 2 else "rf"})
        store.tracking.log_batch(TrackingBatch(metrics=[(f"r{index}", None, "auc", index / 10, 0, 1.0)]))
    xgb = Comparison(Field("params", "model"), "=", "xgb")
    pages = [store.tracking.search_runs(RunQuery(None, Field("metrics", "auc"), True, 3, offset)) for offset in (0, 3, 6)]
    assert [[r.id for r in page] for page in pages] == [["r6", "r5", "r4"], ["r3", "r2", "r1"], ["r0"]]
    assert [row[0] for row in store.tracking.search_table(RunQuery(xgb, Field("metrics", "auc"), False, 2, 1)).runs] == [
        "r3", "r5"]
    assert store.tracking.count_runs(RunQuery()) == 7
    assert store.tracking.count_runs(RunQuery(xgb, Field("metrics", "auc"), True, 1, 2)) == 3  # order, limit, offset ignored
    assert store.tracking.count_runs(RunQuery(Comparison(Field("metrics", "auc"), ">", 5.0))) == 0
