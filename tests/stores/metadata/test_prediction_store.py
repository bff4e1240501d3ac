"""PredictionStore contract: predictions in columns, segments and labels, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from typing import Any

from store_records import at

from mloop.stores.metadata import MetadataStores, PredictionSegment


def columns(ids: list[str], *, model: str = "fraud", version: int = 1, start: float = 0,
            deployment: str | None = "fraud-online") -> dict[str, list[Any]]:
    n = len(ids)
    return {
        "request_id": ids, "time": [at(start + i) for i in range(n)], "model": [model] * n, "version": [version] * n,
        "deployment": [deployment] * n, "role": ["primary"] * n, "training_fingerprint": ["f" * 64] * n,
        "inputs": [json.dumps({"amount": float(i), "country": "DE"}) for i in range(n)],
        "outputs": [json.dumps({"prediction": i % 2}) for i in range(n)],
        "latency_ms": [0.5 * i for i in range(n)], "entity_key": [json.dumps({"customer": i}) for i in range(n)],
    }


def test_predictions_are_written_in_one_batch_and_read_back_newest_first(store: MetadataStores) -> None:
    predictions = store.predictions
    assert predictions.get_prediction("r0") is None
    assert predictions.prediction_rows() == {name: [] for name in columns([])}
    predictions.add_predictions(columns([f"r{i}" for i in range(5)]))
    record = predictions.get_prediction("r3")
    assert record is not None
    assert (record.model, record.version, record.deployment, record.role) == ("fraud", 1, "fraud-online", "primary")
    assert record.time == at(3)
    assert json.loads(record.inputs) == {"amount": 3.0, "country": "DE"}
    assert json.loads(record.outputs) == {"prediction": 1}
    assert record.latency_ms == 1.5 and json.loads(record.entity_key or "") == {"customer": 3}
    rows = predictions.prediction_rows()
    assert rows["request_id"] == ["r4", "r3", "r2", "r1", "r0"]
    assert predictions.logged_request_ids(["r1", "r9", "r4", "r1"]) == {"r1", "r4"}
    assert predictions.logged_request_ids([]) == set()
    assert rows["time"][0] == at(4)


def test_logging_a_request_id_again_leaves_the_first_row(store: MetadataStores) -> None:
    predictions = store.predictions
    predictions.add_predictions(columns(["a", "b"]))
    again = columns(["b", "c"], version=2)
    predictions.add_predictions(again)  # a retried flush: b is already there
    rows = predictions.prediction_rows()
    assert sorted(rows["request_id"]) == ["a", "b", "c"]
    assert predictions.get_prediction("b").version == 1  # type: ignore[union-attr]
    assert predictions.get_prediction("c").version == 2  # type: ignore[union-attr]


def test_prediction_rows_are_filtered_by_model_version_deployment_and_time(store: MetadataStores) -> None:
    predictions = store.predictions
    predictions.add_predictions(columns(["a1", "a2", "a3"], version=1))
    predictions.add_predictions(columns(["b1", "b2"], version=2, start=10, deployment=None))
    predictions.add_predictions(columns(["c1"], model="churn", start=20))
    assert predictions.prediction_rows(model="churn")["request_id"] == ["c1"]
    assert predictions.prediction_rows(model="fraud", version=2)["request_id"] == ["b2", "b1"]
    assert predictions.prediction_rows(deployment="fraud-online", model="fraud")["request_id"] == ["a3", "a2", "a1"]
    assert predictions.prediction_rows(since=at(1), until=at(10))["request_id"] == ["b1", "a3", "a2"]
    assert predictions.prediction_rows(limit=2)["request_id"] == ["c1", "b2"]


def test_segments_overlapping_a_window_are_listed_oldest_first_and_recorded_once(store: MetadataStores) -> None:
    predictions = store.predictions
    first = PredictionSegment("s1", "/p/fraud/a.parquet", 6000, at(0), at(10), "fraud", at(11))
    second = PredictionSegment("s2", "/p/fraud/b.parquet", 7000, at(20), at(30), "fraud", at(31))
    other = PredictionSegment("s3", "/p/churn/c.parquet", 8000, at(5), at(25), "churn", at(26))
    for segment in (second, first, other, first):
        predictions.add_segment(segment)
    assert [s.id for s in predictions.segments()] == ["s1", "s3", "s2"]
    assert predictions.segments(model="fraud") == [first, second]
    assert [s.id for s in predictions.segments(since=at(12), until=at(19))] == ["s3"]
    assert [s.id for s in predictions.segments(model="fraud", since=at(10))] == ["s1", "s2"]
    assert predictions.segments(model="none") == []


def test_a_compacted_segment_replaces_the_ones_it_holds_at_once(store: MetadataStores) -> None:
    predictions = store.predictions
    small = [PredictionSegment(f"s{i}", f"/p/fraud/{i}.parquet", 100, at(i), at(i + 1), "fraud", at(i + 1))
             for i in range(3)]
    other = PredictionSegment("c1", "/p/churn/c.parquet", 50, at(0), at(2), "churn", at(3))
    for segment in (*small, other):
        predictions.add_segment(segment)
    compacted = PredictionSegment("all", "/p/fraud/all.parquet", 300, at(0), at(3), "fraud", at(4))

    predictions.replace_segments(compacted, ["s0", "s1", "s2"])
    predictions.replace_segments(compacted, ["s0", "s1", "s2"])  # a retried compaction changes nothing

    assert predictions.segments(model="fraud") == [compacted]
    assert predictions.segments(model="churn") == [other]


def test_labels_are_appended_and_the_newest_per_request_wins(store: MetadataStores) -> None:
    predictions = store.predictions
    assert predictions.labels_of(["r1"]) == {}
    predictions.add_labels({"request_id": ["r1", "r2", None], "entity_key": [None, None, '{"customer": 7}'],
                            "event_time": [None, None, at(3)], "label": ["1", "0", "1"]})
    predictions.add_labels({"request_id": ["r1"], "entity_key": [None], "event_time": [None], "label": ['"fraud"']})
    assert predictions.labels_of(["r1", "r2", "r3"]) == {"r1": '"fraud"', "r2": "0"}
    many = [f"x{i}" for i in range(1200)]  # more ids than one IN list holds
    predictions.add_labels({"request_id": many, "entity_key": [None] * 1200, "event_time": [None] * 1200,
                            "label": ["1"] * 1200})
    assert len(predictions.labels_of(many)) == 1200
