"""The server's prediction logger writes in a process of its own: what it was handed reaches the log
even when that process is killed, the process never outlives the server, and a server's answered
micro-batches travel to it in a compact form that makes the same log rows."""

from __future__ import annotations

import os
import pickle
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest
from prediction_logs import predict_batch

import mloop
from mloop.serving.answered import Answered, LoggedModel, Requests
from mloop.serving.models import Job, Predictions
from mloop.serving.prediction_batch import MatrixColumns, PredictionBatch
from mloop.serving.prediction_log import LoggerStats
from mloop.serving.prediction_writer import ProcessPredictionLogger


def _gone(pid: int, timeout: float = 60.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        try:  # our own child: reap it, or it stays a zombie
            if os.waitpid(pid, os.WNOHANG)[0] == pid:
                return True
        except ChildProcessError:
            pass
        time.sleep(0.05)
    return False


def test_the_writer_is_another_process_and_ends_with_close(fraud: mloop.ModelVersion) -> None:
    logger = ProcessPredictionLogger(flush_seconds=600)
    batch, _ = predict_batch(fraud, ["w1", "w2"])
    logger.log(batch)
    logger.flush()  # returns once the writer says the rows are written
    assert logger.pid != os.getpid() and logger.stats.written == 2 and logger.stats.pending == 0
    assert sorted(mloop.predictions()["request_id"]) == ["w1", "w2"]
    logger.close()
    assert _gone(logger.pid, timeout=5)


def test_nothing_handed_over_is_lost_when_the_writer_process_is_killed(
        fraud: mloop.ModelVersion, caplog: pytest.LogCaptureFixture) -> None:
    reported: list[LoggerStats] = []  # what /metrics shows: told after every flush, by either writer
    logger = ProcessPredictionLogger(flush_seconds=0.2, on_flush=reported.append)
    first, _ = predict_batch(fraud, [f"a{i}" for i in range(5)])
    logger.log(first)
    logger.flush()
    os.kill(logger.pid, signal.SIGKILL)
    assert _gone(logger.pid)
    second, _ = predict_batch(fraud, [f"b{i}" for i in range(7)])
    logger.log(second)
    deadline = time.monotonic() + 60
    while not (reported and reported[-1].written == 12) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert (reported[-1].logged, reported[-1].written, reported[-1].pending) == (12, 12, 0)  # still reported
    logger.close()  # the server's own process wrote what the dead writer could not
    assert sorted(mloop.predictions()["request_id"]) == sorted([f"a{i}" for i in range(5)] + [f"b{i}" for i in range(7)])
    assert (logger.stats.logged, logger.stats.written, logger.stats.dropped) == (12, 12, 0)
    assert "prediction log writer process" in caplog.text and "is gone" in caplog.text


SERVER = """
import sys, time
sys.path.insert(0, {tests!r})
import mloop
from prediction_logs import predict_batch
from mloop.serving.prediction_writer import ProcessPredictionLogger
logger = ProcessPredictionLogger(flush_seconds=600)
batch, _ = predict_batch(mloop.get_model_version("fraud/1"), ["k1", "k2", "k3"])
logger.log(batch)
logger.flush()
print(logger.pid, flush=True)
time.sleep(600)
"""


def test_the_writer_process_ends_when_the_server_is_killed(fraud: mloop.ModelVersion) -> None:
    code = textwrap.dedent(SERVER.format(tests=str(Path(__file__).parent)))
    server = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        assert server.stdout is not None
        writer = int(server.stdout.readline())
        server.kill()  # kill -9: no shutdown, no atexit
        server.wait(timeout=60)
        assert _gone(writer)  # it read the end of its pipe and left: no orphan
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
        if server.stdout is not None:
            server.stdout.close()
    assert sorted(mloop.predictions()["request_id"]) == ["k1", "k2", "k3"]


def test_a_maker_that_cannot_be_sent_is_dropped_and_counted_the_others_are_written(
        fraud: mloop.ModelVersion) -> None:
    batch, _ = predict_batch(fraud, ["s1"])
    with ProcessPredictionLogger(flush_seconds=600) as logger:
        logger.log_later(lambda: batch, 4)  # a lambda does not pickle
        logger.flush()
        logger.log(batch)
    assert (logger.stats.logged, logger.stats.written, logger.stats.dropped) == (5, 1, 4)
    assert list(mloop.predictions()["request_id"]) == ["s1"]


def _answered(role: str = "primary", join_keys: tuple[str, ...] | None = None) -> Answered:
    matrix = np.arange(12, dtype=float).reshape(4, 3)
    model = LoggedModel("fraud", 3, "sha256:abc", role, "fraud-online", ("a", "b", "c"), join_keys)
    jobs = [Job([{"a": 0.0, "b": 1.0, "c": 2.0, "customer": 7}], "req1", 10.0),
            Job([{"a": 3.0, "customer": 8}, {"a": 6.0, "customer": 9}, {"a": 9.0, "customer": 10}], "req2", 10.5)]
    outputs = Predictions(np.array([0, 1, 1, 0]), np.full((4, 2), 0.5), [0, 1], matrix)
    return Answered(model, jobs, outputs, answered=11.0, at=1_790_000_000.0)


@pytest.mark.parametrize("role", ["primary", "shadow"])
def test_an_answered_micro_batch_makes_the_same_log_entry_after_travelling_to_the_writer(role: str) -> None:
    answered = _answered(role, join_keys=("customer",))
    here, there = answered(), pickle.loads(pickle.dumps(answered, protocol=5))()
    assert isinstance(here, PredictionBatch) and isinstance(there, PredictionBatch)
    suffix = "" if role == "primary" else "#shadow"
    assert here.request_ids == there.request_ids == [f"req1{suffix}", f"req2:0{suffix}", f"req2:1{suffix}",
                                                     f"req2:2{suffix}"]
    assert here.latency_ms == there.latency_ms == [1000.0, 500.0, 500.0, 500.0]
    assert here.entity_keys == there.entity_keys == {"customer": [7, 8, 9, 10]}
    assert isinstance(there.inputs, MatrixColumns) and list(there.inputs) == ["a", "b", "c"]
    assert np.array_equal(there.inputs["b"], here.inputs["b"]) and list(there.inputs["b"]) == [1.0, 4.0, 7.0, 10.0]
    assert (there.model, there.version, there.role, there.deployment, there.training_fingerprint) == (
        "fraud", 3, role, "fraud-online", "sha256:abc")
    assert there.time == here.time and there.classes == [0, 1]


def test_the_requests_travel_without_their_records() -> None:
    answered = _answered()
    state = pickle.loads(pickle.dumps(answered, protocol=5)).requests
    assert state == Requests(["req1", "req2"], [10.0, 10.5], [1, 3], None)
    assert b"customer" not in pickle.dumps(answered)  # the records' values are in the input matrix already


def test_micro_batches_of_a_matrix_model_travel_joined_and_make_the_same_rows() -> None:
    import pandas as pd

    from mloop.serving.prediction_batch import encode_batches
    from mloop.serving.prediction_log import _Later
    from mloop.serving.prediction_writer import _packed

    def answered(start: int, rows_per_job: list[int], model: LoggedModel) -> Answered:
        rows = sum(rows_per_job)
        matrix = np.arange(start, start + rows * 3, dtype=float).reshape(rows, 3)
        jobs = [Job([{}] * count, f"r{start}-{index}", 100.0 + index) for index, count in enumerate(rows_per_job)]
        outputs = Predictions(np.arange(rows) % 2, np.full((rows, 2), start / 100), [0, 1], matrix)
        return Answered(model, jobs, outputs, answered=101.0 + start / 1000, at=1_790_000_000.0 + start)

    primary = LoggedModel("fraud", 3, "sha256:abc", "primary", "dep", ("a", "b", "c"))
    shadow = LoggedModel("fraud", 4, "sha256:def", "shadow", "dep", ("a", "b", "c"))
    framed = LoggedModel("churn", 1, None, "primary", None)  # a model fed a DataFrame: travels as it is
    frame_answer = Answered(framed, [Job([{}], "f1", 100.0)],
                            Predictions(np.array([0.5]), None, None, pd.DataFrame({"x": [1.0]})), 101.0, 1.79e9)
    items = [answered(0, [1], primary), answered(10, [2, 1], shadow), answered(20, [1, 1], primary), frame_answer]
    wrapped = [_Later(item, len(item)) for item in items]
    packed = pickle.loads(pickle.dumps(_packed(wrapped), protocol=5))
    assert sorted(type(item.make).__name__ for item in packed) == ["Answered", "Answers", "Answers"]
    assert sum(item.requests for item in packed) == sum(len(item) for item in items) == 6

    def rows(makers: list) -> pd.DataFrame:
        table = encode_batches([make() for make in makers], typed=True).to_pandas()
        return table.sort_values("request_id").reset_index(drop=True)

    one_by_one, joined = rows(items), rows([item.make for item in packed])
    pd.testing.assert_frame_equal(one_by_one, joined)
    assert list(joined["request_id"]) == ["f1", "r0-0", "r10-0:0#shadow", "r10-0:1#shadow", "r10-1#shadow",
                                          "r20-0", "r20-1"]
    assert joined.loc[joined["request_id"] == "r20-1", "latency_ms"].item() == pytest.approx((101.02 - 101.0) * 1000)
