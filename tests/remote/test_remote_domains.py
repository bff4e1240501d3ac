"""Features, deployments, monitors and the prediction log in remote client mode: definitions, records,
schedules and spilled prediction files are written and read through the server, as locally."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import mloop
from mloop.features.apply import apply_features, list_feature_definitions
from mloop.features.definitions import Entity, Feature, FeatureView, Float64, ParquetSource
from mloop.serving.deployments import start_deployment, stop_deployment
from mloop.serving.prediction_batch import PredictionBatch
from mloop.serving.prediction_log import PredictionLogger
from mloop.serving.prediction_segments import STORED
from mloop.stores.metadata import open_metadata_stores
from mloop.stores.workspace import reset_workspaces
from remote.server_thread import served_workspace

customer = Entity("customer", join_keys=["customer_id"])


def view(*features: Feature) -> FeatureView:
    return FeatureView("customer_stats", entities=[customer], ttl=timedelta(days=7),
                       source=ParquetSource("data/stats.parquet", timestamp_field="event_time"),
                       schema=list(features) or [Feature("amount_7d", Float64)])


def test_features_apply_and_list_through_the_server(remote_workspace: Path, server_folder: Path) -> None:
    first = apply_features([view()])
    changed = apply_features([view(Feature("amount_7d", Float64), Feature("amount_30d", Float64))])

    assert [(c.kind, c.status, c.version) for c in first.changes] == [("entity", "new", 1), ("view", "new", 1)]
    assert [(c.name, c.status, c.version) for c in changed.changes if c.kind == "view"] == [
        ("customer_stats", "changed", 2)]
    assert {(d.kind, d.name) for d in list_feature_definitions()} == {("entity", "customer"),
                                                                       ("view", "customer_stats")}
    server = open_metadata_stores(f"sqlite:///{server_folder / '.mloop' / 'mloop.db'}")
    assert [d.version for d in server.features.definition_history("view", "customer_stats")] == [1, 2]
    server.close()


def test_deployments_are_recorded_and_listed_through_the_server(remote_workspace: Path) -> None:
    first = start_deployment("fraud", "fraud@champion", "fraud/1", mode="online", url="http://127.0.0.1:9")
    second = start_deployment("churn", "churn/2", "churn/2", mode="batch", url="file:///out")
    stop_deployment(first)

    listed = mloop.list_deployments()
    assert [(d.id, d.status) for d in listed] == [(second, "running"), (first, "stopped")]
    assert [d.id for d in mloop.list_deployments(running_only=True)] == [second]
    record, events = mloop.get_deployment(first)
    assert record.model == "fraud" and [e.kind for e in events] == ["start", "stop"]


def test_monitors_apply_and_list_through_the_server(remote_workspace: Path) -> None:
    volume = mloop.Monitor("fraud-volume", "volume", model="fraud", window="1h", schedule="@every 5m",
                           options={"min": 2})
    created = mloop.apply_monitors([volume])
    again = mloop.apply_monitors([volume])

    assert (created.created, again.unchanged) == (["fraud-volume"], ["fraud-volume"])
    assert [(m.name, m.schedule) for m in mloop.list_monitors()] == [("fraud-volume", "@every 5m")]
    assert [s.name for s in mloop.list_schedules()] == ["monitor:fraud-volume"]


def test_spilled_predictions_reach_the_server_and_other_clients(remote_workspace: Path, server_folder: Path,
                                                                tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with PredictionLogger(spill_rows=5, flush_seconds=600) as logger:  # a client's `mloop serve`
        for first in (0, 5):
            logger.log(PredictionBatch(request_ids=[f"r{i}" for i in range(first, first + 5)], model="fraud",
                                       version=1, inputs=pd.DataFrame({"amount": np.arange(first, first + 5.0)}),
                                       outputs={"prediction": np.zeros(5, dtype=int)}))
            logger.flush()
    assert list((remote_workspace / ".mloop" / "predictions").rglob("*.parquet")) == []  # nothing left on the client

    server_side = served_workspace(server_folder)
    (segment,) = server_side.predictions.segments(model="fraud")  # merged at close
    assert segment.path.startswith(STORED) and segment.rows == 10
    assert server_side.artifacts.exists(segment.path[len(STORED):])
    on_server = mloop.predictions("fraud", workspace=server_side)
    assert sorted(on_server["input.amount"]) == list(np.arange(10.0))
    server_side.close()

    reset_workspaces()  # another client folder (its own caches) of the same server
    other = tmp_path / "other-client"
    other.mkdir()
    monkeypatch.chdir(other)
    monkeypatch.setenv("MLOOP_HOME", str(other))
    assert sorted(mloop.predictions("fraud")["request_id"]) == sorted(f"r{i}" for i in range(10))
