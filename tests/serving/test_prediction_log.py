"""PredictionLogger: what a server logs is readable afterwards (database rows, Parquet segments, and
both in one DuckDB query), nothing is lost on close, at exit or on SIGTERM, and a failing database
is retried without ever raising into the caller."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa
from prediction_logs import at, predict_batch

import mloop
from mloop.serving import PredictionBatch, PredictionLogger, prediction_log
from mloop.serving.prediction_writer import ProcessPredictionLogger
from mloop.stores.workspace import get_workspace

LOGGERS = {"thread": PredictionLogger, "process": ProcessPredictionLogger}


@pytest.fixture(params=sorted(LOGGERS))
def new_logger(request: pytest.FixtureRequest) -> type[PredictionLogger] | type[ProcessPredictionLogger]:
    """Both loggers keep the same promises: writing in this process's thread, or in a process of its own."""
    return LOGGERS[request.param]


def test_everything_logged_is_readable_after_close_from_the_database_and_parquet(
        fraud: mloop.ModelVersion, sqlite_workspace: Path, new_logger: type) -> None:
    small, small_expected = predict_batch(fraud, [f"db-{i}" for i in range(12)], seed=1, time=at(0))
    large, large_expected = predict_batch(fraud, [f"pq-{i}" for i in range(80)], seed=2, time=at(1))
    tail, tail_expected = predict_batch(fraud, [f"tail-{i}" for i in range(3)], seed=3, time=at(2))
    logger = new_logger(spill_rows=50, flush_seconds=60)
    logger.log(small)
    logger.flush()  # 12 rows < spill_rows: the database
    logger.log(large)
    logger.flush()  # 80 rows: a Parquet segment
    logger.log(tail)
    logger.close()

    workspace = get_workspace()
    assert sorted(workspace.predictions.prediction_rows()["request_id"]) == sorted(
        [f"db-{i}" for i in range(12)] + [f"tail-{i}" for i in range(3)])
    [segment] = workspace.predictions.segments()
    assert segment.rows == 80 and segment.model == "fraud" and (segment.min_time, segment.max_time) == (at(1), at(1))
    assert Path(segment.path).is_file() and Path(segment.path).parent == (
        sqlite_workspace / ".mloop" / "predictions" / "fraud" / "date=2026-11-02")
    assert logger.stats == prediction_log.LoggerStats(logged=95, written=95, spilled=80, errors=0, dropped=0,
                                                      pending=0)

    logged = mloop.predictions()  # one query over both
    expected = pd.concat([small_expected, large_expected, tail_expected], ignore_index=True)
    assert len(logged) == 95 and logged["time"].is_monotonic_decreasing
    joined = expected.merge(logged, on="request_id", validate="one_to_one")
    for column in ("amount", "age", "country", "hour"):
        assert (joined[column] == joined[f"input.{column}"]).all(), column
    assert (joined["prediction_x"] == joined["prediction_y"]).all()
    assert (joined["probability_1_x"] == joined["probability_1_y"]).all()  # doubles kept exactly
    assert set(logged["version"]) == {1} and set(logged["deployment"]) == {"fraud-online"}
    assert set(logged["training_fingerprint"]) == {fraud.training_fingerprint}
    assert (logged["latency_ms"] == 0.5).all()


def test_filters_and_the_limit_apply_across_database_and_parquet(fraud: mloop.ModelVersion) -> None:
    with PredictionLogger(spill_rows=20, flush_seconds=60) as logger:
        for minute in range(4):  # alternately a segment (25 rows) and database rows (5)
            rows = 25 if minute % 2 == 0 else 5
            batch, _ = predict_batch(fraud, [f"m{minute}-{i}" for i in range(rows)], time=at(minute),
                                     deployment=f"d{minute % 2}")
            logger.log(batch)
            logger.flush()
    newest = mloop.predictions(limit=7)
    assert list(newest["request_id"]) == sorted(f"m3-{i}" for i in range(5)) + ["m2-0", "m2-1"]
    window = mloop.predictions("fraud", since=at(1), until=at(2).isoformat())
    assert set(window["time"]) == {pd.Timestamp(at(1)), pd.Timestamp(at(2))} and len(window) == 30
    assert len(mloop.predictions(deployment="d0")) == 50
    assert mloop.predictions("churn").empty and mloop.predictions(version=2).empty


def test_one_parquet_file_per_model_when_a_flush_holds_several(fraud: mloop.ModelVersion, new_logger: type) -> None:
    import serving_models

    second = serving_models.register_fraud(seed=5, c=0.1, alias=None)
    with new_logger(spill_rows=10, flush_seconds=60) as logger:
        first_batch, _ = predict_batch(fraud, [f"a{i}" for i in range(8)])
        second_batch, _ = predict_batch(second, [f"b{i}" for i in range(8)])
        renamed = PredictionBatch(**{**second_batch.__dict__, "model": "fraud-shadow"})
        logger.log(first_batch)
        logger.log(renamed)
    segments = get_workspace().predictions.segments()
    assert sorted((s.model, s.rows) for s in segments) == [("fraud", 8), ("fraud-shadow", 8)]
    assert len({Path(s.path).parent.parent for s in segments}) == 2
    assert sorted(mloop.predictions("fraud-shadow")["request_id"]) == [f"b{i}" for i in range(8)]


def test_close_writes_a_partly_filled_buffer_and_is_idempotent(fraud: mloop.ModelVersion, new_logger: type) -> None:
    logger = new_logger(flush_rows=1000, flush_seconds=600)
    batch, _ = predict_batch(fraud, ["r1", "r2", "r3"])
    logger.log(batch)
    assert logger.stats.written == 0 and logger.stats.pending == 3  # far below flush_rows, long before a flush
    logger.close()
    assert sorted(mloop.predictions()["request_id"]) == ["r1", "r2", "r3"]
    logger.close()
    late, _ = predict_batch(fraud, ["late"])
    logger.log(late)  # after close: counted, never raised
    assert logger.stats == prediction_log.LoggerStats(logged=3, written=3, spilled=0, errors=0, dropped=1, pending=0)
    assert "late" not in set(mloop.predictions()["request_id"])


def test_the_writer_flushes_by_itself_once_flush_rows_are_buffered(fraud: mloop.ModelVersion, new_logger: type) -> None:
    logger = new_logger(flush_rows=10, flush_seconds=600)
    try:
        for start in (0, 6):
            batch, _ = predict_batch(fraud, [f"r{start + i}" for i in range(6)])
            logger.log(batch)
        deadline = time.monotonic() + 60
        while logger.stats.written < 12 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert len(mloop.predictions()) == 12  # written by the thread: no flush() or close() called
    finally:
        logger.close()


def test_a_failing_database_is_retried_and_never_raises_into_the_caller(
        fraud: mloop.ModelVersion, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(prediction_log, "RETRY_DELAYS", (0.0,))
    engine = get_workspace().metadata.database.engine
    with engine.begin() as connection:  # the table is gone: every insert fails in the database
        connection.exec_driver_sql("ALTER TABLE prediction_log RENAME TO prediction_log_away")
    logger = PredictionLogger(flush_seconds=600)
    first, _ = predict_batch(fraud, ["a", "b"])
    logger.log(first)
    logger.flush()
    assert logger.stats.errors == 2 and logger.stats.written == 0 and logger.stats.pending == 2  # two attempts
    with engine.begin() as connection:
        connection.exec_driver_sql("ALTER TABLE prediction_log_away RENAME TO prediction_log")
    second, _ = predict_batch(fraud, ["c"])
    logger.log(second)
    logger.close()
    assert logger.stats.written == 3 and logger.stats.dropped == 0 and logger.stats.pending == 0
    assert sorted(mloop.predictions()["request_id"]) == ["a", "b", "c"]


def test_a_malformed_batch_is_dropped_and_counted_the_others_are_written(fraud: mloop.ModelVersion, new_logger: type) -> None:
    good, _ = predict_batch(fraud, ["ok1", "ok2"])
    bad, _ = predict_batch(fraud, ["bad1", "bad2"])
    bad.outputs = {"prediction": [1]}  # one answer for two requests
    with new_logger(flush_seconds=600) as logger:
        logger.log(bad)
        logger.log(good)
    assert logger.stats.dropped == 2 and logger.stats.errors == 1 and logger.stats.written == 2
    assert sorted(mloop.predictions()["request_id"]) == ["ok1", "ok2"]


def test_batches_made_by_the_writer_are_logged_and_one_that_fails_is_counted(fraud: mloop.ModelVersion) -> None:
    later, _ = predict_batch(fraud, ["l1", "l2"])
    now, _ = predict_batch(fraud, ["n1"])
    made: list[str] = []

    def make() -> PredictionBatch:
        made.append("later")
        return later

    def broken() -> PredictionBatch:
        raise RuntimeError("a bug in the caller's entry")

    with PredictionLogger(flush_seconds=600) as logger:
        logger.log_later(make, 2)
        logger.log_later(broken, 3)
        logger.log(now)
        assert made == [] and logger.stats.pending == 6  # made by the writer when it flushes
    assert made == ["later"]
    assert (logger.stats.written, logger.stats.dropped, logger.stats.errors) == (3, 3, 1)
    assert sorted(mloop.predictions()["request_id"]) == ["l1", "l2", "n1"]


def test_a_retried_flush_never_duplicates_a_request(fraud: mloop.ModelVersion, new_logger: type) -> None:
    batch, _ = predict_batch(fraud, ["x1", "x2"])
    with new_logger(flush_seconds=600) as logger:
        logger.log(batch)
        logger.flush()
        logger.log(batch)  # the same request ids again (a client retry)
    assert sorted(mloop.predictions()["request_id"]) == ["x1", "x2"]


SCRIPT = """
import sys, time
sys.path.insert(0, {tests!r})
import mloop
from prediction_logs import predict_batch
version = mloop.get_model_version("fraud/1")
from mloop.serving.prediction_writer import ProcessPredictionLogger
logger = {logger}(flush_rows=100000, flush_seconds=600)
for start in range(0, 30, 3):
    batch, _ = predict_batch(version, [f"{{start + i}}" for i in range(3)])
    logger.log(batch)
print(logger.stats.logged, logger.stats.written, flush=True)
if {wait}:
    time.sleep(600)
"""


@pytest.mark.parametrize("ending", ["sigterm", "exit"])
@pytest.mark.parametrize("logger", ["mloop.PredictionLogger", "ProcessPredictionLogger"])
def test_a_process_that_ends_loses_nothing_it_logged(fraud: mloop.ModelVersion, ending: str, logger: str) -> None:
    tests = str(Path(__file__).parent)
    code = textwrap.dedent(SCRIPT.format(tests=tests, wait=ending == "sigterm", logger=logger))
    process = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        assert process.stdout.readline().split() == ["30", "0"]  # logged, nothing written yet
        if ending == "sigterm":
            process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=120) == (-signal.SIGTERM if ending == "sigterm" else 0)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        if process.stdout is not None:
            process.stdout.close()
    assert sorted(mloop.predictions()["request_id"], key=int) == [str(i) for i in range(30)]


def test_settings_and_read_filters_are_checked_before_any_work(sqlite_workspace: Path) -> None:
    with pytest.raises(mloop.ValidationError, match="flush_rows must be at least 1"):
        PredictionLogger(flush_rows=0)
    with pytest.raises(mloop.ValidationError, match="since 'yesterday' is not a time"):
        mloop.predictions(since="yesterday")
    with pytest.raises(mloop.ValidationError, match="limit must be a positive whole number"):
        mloop.predictions(limit=0)
    assert not (sqlite_workspace / "mloop.db").exists()  # nothing was created


def test_inputs_given_as_columns_and_entity_keys_are_logged(fraud: mloop.ModelVersion, new_logger: type) -> None:
    batch = PredictionBatch(request_ids=["one"], model="fraud", version=1,
                            inputs={"amount": [float("nan")], "age": [40], "country": ["FR"], "hour": [7]},
                            outputs={"prediction": [1], "probabilities": [[0.25, float("inf")]]},
                            entity_keys={"customer": [42]}, latency_ms=1.25)
    with new_logger(flush_seconds=600) as logger:
        logger.log(batch)
    [row] = mloop.predictions().to_dict(orient="records")
    assert pd.isna(row["input.amount"])  # NaN and infinities are logged as null (JSON has neither)
    assert (row["input.country"], row["entity.customer"]) == ("FR", 42)
    assert row["probabilities"][0] == 0.25 and pd.isna(row["probabilities"][1]) and row["prediction"] == 1 and row["latency_ms"] == 1.25
    record = get_workspace().predictions.get_prediction("one")
    assert record is not None and json.loads(record.entity_key or "") == {"customer": 42}


def test_sqlalchemy_is_not_needed_to_read_the_log_back(fraud: mloop.ModelVersion) -> None:
    # the log's tables are plain tables: another tool can read them
    batch, _ = predict_batch(fraud, ["p1"])
    with PredictionLogger(flush_seconds=600) as logger:
        logger.log(batch)
    engine = sa.create_engine(get_workspace().settings.db_url)
    with engine.connect() as connection:
        inputs = connection.exec_driver_sql("SELECT inputs FROM prediction_log WHERE request_id = 'p1'").scalar()
    engine.dispose()
    assert set(json.loads(inputs)) == {"amount", "age", "country", "hour"}


def test_logging_labels_and_reading_work_on_sqlite_and_postgresql(workspace: Path) -> None:
    def batch(ids: list[str], minute: float) -> PredictionBatch:
        n = len(ids)
        return PredictionBatch(request_ids=ids, model="churn", version=3, time=at(minute), latency_ms=2.0,
                               inputs={"tenure": list(range(n)), "plan": ["basic"] * n},
                               outputs={"prediction": [0.5 + i for i in range(n)]},
                               entity_keys={"customer": [f"c{i}" for i in range(n)]})

    with PredictionLogger(spill_rows=4, flush_seconds=600) as logger:
        logger.log(batch(["a0", "a1"], 0))  # the database
        logger.flush()
        logger.log(batch(["b0", "b1", "b2", "b3", "b4"], 10))  # a segment
    truth = pd.DataFrame({"customer": ["c1", "c4"], "event_time": [at(5), at(11)], "churned": [True, False]})
    result = mloop.log_labels(truth, entity_columns=["customer"], label_column="churned")
    logged = mloop.predictions("churn", with_labels=True).set_index("request_id")
    assert result.predictions == 2 and list(logged.index) == ["b0", "b1", "b2", "b3", "b4", "a0", "a1"]
    assert logged["label"].dropna().to_dict() == {"a1": True, "b4": False}
    assert logged.loc["b3", "input.tenure"] == 3 and logged.loc["b3", "prediction"] == 3.5
    assert logged.loc["a1", "time"] == pd.Timestamp(at(0)) and logged.loc["a1", "entity.customer"] == "c1"
    assert mloop.explain_prediction("b2").inputs == {"tenure": 2, "plan": "basic"}
