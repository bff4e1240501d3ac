"""Ground truth joined to logged predictions (by request id; by entity + time with an ASOF join),
and `explain_prediction`: version, run, training data bytes, inputs, outputs, label."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import serving_models
from prediction_logs import at, predict_batch

import mloop
from mloop.serving import PredictionLogger


def test_labels_by_request_id_join_the_right_predictions_and_the_newest_wins(fraud: mloop.ModelVersion) -> None:
    with PredictionLogger(spill_rows=10, flush_seconds=600) as logger:
        batch, _ = predict_batch(fraud, ["db1", "db2", "db3"])
        logger.log(batch)
        logger.flush()
        spilled, _ = predict_batch(fraud, [f"pq{i}" for i in range(12)], time=at(5))
        logger.log(spilled)
    first = mloop.log_labels(pd.DataFrame({"request_id": ["db1", "pq3", "nobody"], "label": [1, 0, 1]}))
    assert (first.labels, first.matched, first.unmatched, first.predictions) == (3, 2, 1, 2)
    assert str(first) == "logged 3 label(s): 2 matched 2 logged prediction(s), 1 matched none yet"
    mloop.log_labels(pd.DataFrame({"id": ["db1"], "truth": [0]}), id_column="id", label_column="truth")

    labelled = mloop.predictions(with_labels=True).set_index("request_id")["label"]
    assert labelled["db1"] == 0 and labelled["pq3"] == 0  # db1's newer label replaced its first one
    assert labelled.drop(["db1", "pq3"]).isna().all()
    assert "label" not in mloop.predictions().columns


def test_labels_by_entity_apply_to_the_latest_prediction_at_or_before_their_time(
        fraud: mloop.ModelVersion) -> None:
    shadow = serving_models.register_fraud(seed=4, c=0.2, alias=None)
    customers = pd.DataFrame({"customer": [7, 8]})
    with PredictionLogger(flush_seconds=600) as logger:
        for minute, ids in ((0, ["c7-t0", "c8-t0"]), (10, ["c7-t10", "c8-t10"]), (20, ["c7-t20", "c8-t20"])):
            batch, _ = predict_batch(fraud, ids, time=at(minute), entity_keys=customers)
            logger.log(batch)
        copy, _ = predict_batch(shadow, ["c7-shadow-t5"], time=at(5), role="shadow",
                                entity_keys=pd.DataFrame({"customer": [7]}))
        logger.log(copy)
    truth = pd.DataFrame({"customer": [7, 8, 9], "event_time": [at(15), at(10), at(30)], "fraud": [1, 0, 1]})
    result = mloop.log_labels(truth, entity_columns=["customer"], time_column="event_time", label_column="fraud")

    # customer 7 at minute 15: fraud/1's answer at 10 (not 20: later; not 0: older), and the shadow's at 5;
    # customer 8 at minute 10 exactly: the answer at 10; customer 9 never got one
    assert (result.labels, result.matched, result.unmatched, result.predictions) == (3, 2, 1, 3)
    labels = mloop.predictions(with_labels=True).set_index("request_id")["label"]
    assert labels[["c7-t10", "c7-shadow-t5", "c8-t10"]].tolist() == [1, 1, 0]
    assert labels.drop(["c7-t10", "c7-shadow-t5", "c8-t10"]).isna().all()
    only_fraud = mloop.log_labels(truth.assign(fraud=[5, 5, 5]), entity_columns=["customer"], label_column="fraud",
                                  model="fraud")
    assert only_fraud.predictions == 3  # model= names the model, every version of it
    assert mloop.log_labels(truth, entity_columns=["customer"], label_column="fraud", model="churn").matched == 0


def test_labels_from_a_file_and_bad_label_inputs_say_what_to_fix(fraud: mloop.ModelVersion, tmp_path: Path) -> None:
    with PredictionLogger(flush_seconds=600) as logger:
        batch, _ = predict_batch(fraud, ["a", "b"])
        logger.log(batch)
    pd.DataFrame({"request_id": ["a", "b"], "is_fraud": ["yes", "no"]}).to_parquet(tmp_path / "truth.parquet")
    assert mloop.log_labels(tmp_path / "truth.parquet", label_column="is_fraud").matched == 2
    assert mloop.predictions(with_labels=True).set_index("request_id")["label"].to_dict() == {"a": "yes", "b": "no"}
    with pytest.raises(mloop.ValidationError, match="has no column 'label'; its columns: request_id, is_fraud"):
        mloop.log_labels(tmp_path / "truth.parquet")
    with pytest.raises(mloop.ValidationError, match="labels file .*missing.parquet does not exist"):
        mloop.log_labels(tmp_path / "missing.parquet")
    with pytest.raises(mloop.ValidationError, match="entity_columns must be a list"):
        mloop.log_labels(tmp_path / "truth.parquet", entity_columns="customer")


def test_explain_answers_version_run_training_bytes_inputs_outputs_and_label(fraud: mloop.ModelVersion) -> None:
    with PredictionLogger(spill_rows=5, flush_seconds=600) as logger:
        batch, expected = predict_batch(fraud, ["small-1"], time=at(3))
        logger.log(batch)
        logger.flush()
        spilled, spilled_expected = predict_batch(fraud, [f"big-{i}" for i in range(6)], time=at(4), seed=9)
        logger.log(spilled)
    mloop.log_labels(pd.DataFrame({"request_id": ["small-1"], "label": [1]}))
    [data] = fraud.lineage["training_data"]
    artifact = mloop.get_artifact(data["artifact_id"])

    explained = mloop.explain_prediction("small-1")
    assert (explained.model, explained.version, explained.role, explained.deployment) == (
        "fraud", 1, "primary", "fraud-online")
    assert explained.run_id == fraud.run_id and explained.pipeline == "fraud-serving" and explained.step == "train"
    assert explained.training_fingerprint == fraud.training_fingerprint == artifact.id
    assert [(d.artifact_id, d.bytes, d.shape) for d in explained.training_data] == [
        (artifact.id, artifact.record.size, [600, 5])]
    row = expected.iloc[0]
    assert explained.inputs == {"amount": row["amount"], "age": row["age"], "country": row["country"],
                                "hour": row["hour"]}
    assert explained.outputs["prediction"] == row["prediction"]
    assert explained.outputs["probability_1"] == row["probability_1"]
    assert explained.time == at(3) and explained.latency_ms == 0.5
    assert explained.has_label and explained.label == 1
    text = str(explained)
    assert "answered by   fraud/1 (primary, deployment fraud-online)" in text
    assert f"trained by    run {fraud.run_id} (pipeline fraud-serving, step train)" in text
    assert f"artifact {artifact.id} ({artifact.record.size:,} bytes, 600×5" in text and "label         1" in text

    from_parquet = mloop.explain_prediction("big-2")  # a request in a Parquet segment
    assert from_parquet.inputs["amount"] == spilled_expected.iloc[2]["amount"] and not from_parquet.has_label
    assert from_parquet.run_id == fraud.run_id and "(none logged)" in str(from_parquet)
    with pytest.raises(mloop.NotFoundError, match="^no prediction with request id nope; list recent ones with"):
        mloop.explain_prediction("nope")


def test_explain_of_a_version_missing_from_the_registry_still_shows_the_prediction(
        fraud: mloop.ModelVersion) -> None:
    batch, _ = predict_batch(fraud, ["elsewhere"])
    batch.model = "fraud-other"  # served from another registry
    with PredictionLogger(flush_seconds=600) as logger:
        logger.log(batch)
    explained = mloop.explain_prediction("elsewhere")
    assert not explained.registered and explained.run_id is None and explained.training_data == []
    assert explained.training_fingerprint == fraud.training_fingerprint  # as logged with the prediction
    assert "(fraud-other/1 is not in this registry: no lineage)" in str(explained)


def test_explain_names_the_content_hash_of_a_table_registered_in_memory(sqlite_workspace: Path) -> None:
    frame = serving_models.transactions(300, seed=4)
    model = serving_models.train(frame)
    version = mloop.register_model("fraud", model, training_data=frame, target="y")
    with PredictionLogger(flush_seconds=600) as logger:
        batch, _ = predict_batch(version, ["mem-1"], time=at(1))
        logger.log(batch)

    explained = mloop.explain_prediction("mem-1")
    fingerprint = version.lineage["training_frame"]["fingerprint"]
    assert explained.training_fingerprint == fingerprint and explained.run_id is None
    assert f"a table in memory: sha256 {fingerprint}" in str(explained)
    assert "300×5 rows×columns" in str(explained)
