"""Scoring a Redis Stream through the Python API (`mloop.score_stream`, `mloop.StreamScorer`)
against the real Redis server: results, entry formats, dead letters, pending and claimed entries."""

from __future__ import annotations

import json
import threading
import time

import numpy as np
import pandas as pd
import pytest
import serving_models
from redis_streams import Streams, streams, wait_for

import mloop
from mloop.registry.signature import ColumnSpec, Signature
from mloop.serving.stream_address import StreamAddress
from mloop.serving.stream_entries import read_entries


@pytest.fixture
def names() -> Streams:
    with streams() as made:
        yield made


def expected_scores(records: list[dict]) -> tuple[np.ndarray, np.ndarray]:
    model = mloop.load_model("fraud@champion")
    frame = pd.DataFrame.from_records(records)
    return np.asarray(model.predict(frame)), np.asarray(model.predict_proba(frame))


@pytest.mark.parametrize("form", ["data", "columns"])
def test_scores_equal_the_models_own_predictions(fraud: mloop.ModelVersion, names: Streams, form: str) -> None:
    records = serving_models.sample_records(60, seed=4)
    ids = names.add(records, form=form, request_ids=True)

    stats = mloop.score_stream("fraud@champion", names.source_url, names.sink_url, batch_size=16, max_entries=60)

    assert (stats.scored, stats.dead_lettered, stats.pending, stats.stopped_by) == (60, 0, 0, "max_entries")
    assert stats.batches == 4 and stats.model_version == "fraud/1"
    results = names.results()
    assert [r["id"] for r in results] == ids  # one result per input, in order
    assert [r["request_id"] for r in results] == [f"req-{i}" for i in range(60)]
    assert {r["model_version"] for r in results} == {"fraud/1"}
    predictions, probabilities = expected_scores(records)
    assert [int(r["prediction"]) for r in results] == predictions.tolist()
    got = [json.loads(r["probabilities"]) for r in results]
    assert [[p["0"], p["1"]] for p in got] == probabilities.tolist()  # exact: floats written round-trip
    # the consumer was a deployment while it ran
    (deployment,) = mloop.list_deployments("fraud")
    assert (deployment.mode, deployment.status, deployment.version) == ("stream", "stopped", "fraud/1")
    assert names.source_url.split("?")[0] in deployment.url and "->" in deployment.url


def test_a_batch_mixing_json_and_column_entries(fraud: mloop.ModelVersion, names: Streams) -> None:
    records = serving_models.sample_records(10, seed=5)
    ids = names.add(records[:5], form="data") + names.add(records[5:], form="columns")

    stats = mloop.score_stream("fraud@champion", names.source_url, names.sink_url, max_entries=10)

    assert stats.scored == 10 and stats.batches == 1
    results = {r["id"]: r for r in names.results()}
    predictions, _ = expected_scores(records)
    assert [int(results[i]["prediction"]) for i in ids] == predictions.tolist()
    assert all("request_id" not in r for r in results.values())


def test_bad_entries_go_to_the_dead_letter_stream_and_do_not_block(fraud: mloop.ModelVersion,
                                                                   names: Streams) -> None:
    good = serving_models.sample_records(4, seed=6)
    first = names.add(good[:2])
    bad = {
        "not json": {"data": "{oops", "request_id": "r-1"},
        "unknown category": {"amount": "10.5", "age": "30", "country": "XX", "hour": "3"},
        "not a number": {"amount": "lots", "age": "30", "country": "DE", "hour": "3"},
        "fractional integer": {"amount": "1.0", "age": "30.5", "country": "DE", "hour": "3"},
        "missing": {"amount": "1.0", "age": "30", "country": "DE"},
        "extra": {"amount": "1.0", "age": "30", "country": "DE", "hour": "3", "colour": "red"},
    }
    bad_ids = {reason: names.client.xadd(names.source, fields) for reason, fields in bad.items()}
    last = names.add(good[2:])

    stats = mloop.score_stream("fraud@champion", names.source_url, names.sink_url, max_entries=10)

    assert (stats.scored, stats.dead_lettered, stats.pending) == (4, 6, 0)
    assert [r["id"] for r in names.results()] == first + last
    dead = {r["id"]: r for r in names.results(names.dead)}
    assert set(dead) == set(bad_ids.values())
    reasons = {reason: dead[entry_id]["error"] for reason, entry_id in bad_ids.items()}
    assert reasons["not json"].startswith("field 'data' is not valid JSON")
    assert reasons["unknown category"] == "'country' has unknown value 'XX' (known: DE, FR, US)"
    assert reasons["not a number"] == "'amount' is 'lots', expected a number (float)"
    assert reasons["fractional integer"] == "'age' is '30.5', expected a whole number"
    assert reasons["missing"].startswith("'hour' is missing")
    assert reasons["extra"] == "unexpected field 'colour'"
    assert dead[bad_ids["not json"]]["request_id"] == "r-1"
    assert json.loads(dead[bad_ids["extra"]]["entry"]) == bad["extra"]  # enough to replay it


def test_own_pending_entries_are_scored_first(fraud: mloop.ModelVersion, names: Streams) -> None:
    """A consumer that read entries and died before acknowledging them finds them again under its name."""
    ids = names.add(serving_models.sample_records(30, seed=7))
    names.client.xgroup_create(names.source, "mloop", id="0")
    names.client.xreadgroup("mloop", "worker-1", {names.source: ">"}, count=12)  # read, never acked
    assert names.pending() == 12

    stats = mloop.score_stream("fraud@champion", names.url(names.source, consumer="worker-1"), names.sink_url,
                               batch_size=5, max_entries=30)

    assert (stats.consumer, stats.scored, stats.claimed, stats.pending) == ("worker-1", 30, 0, 0)
    assert [r["id"] for r in names.results()] == ids  # the pending twelve first, then the rest


def test_a_dead_consumers_pending_entries_are_claimed(fraud: mloop.ModelVersion, names: Streams) -> None:
    ids = names.add(serving_models.sample_records(20, seed=8))
    names.client.xgroup_create(names.source, "scorers", id="0")
    names.client.xreadgroup("scorers", "dead", {names.source: ">"}, count=8)
    time.sleep(0.1)  # the dead consumer's entries are now idle for longer than claim_idle_ms

    stats = mloop.score_stream("fraud@champion", names.source_url, names.sink_url, group="scorers",
                               consumer="alive", claim_idle_ms=50, max_entries=20)

    assert (stats.scored, stats.claimed, stats.pending) == (20, 8, 0)
    assert sorted(r["id"] for r in names.results()) == sorted(ids)
    consumers = {c["name"]: c["pending"] for c in names.client.xinfo_consumers(names.source, "scorers")}
    assert consumers == {"dead": 0, "alive": 0}


def test_entries_idle_less_than_claim_idle_ms_stay_with_their_consumer(fraud: mloop.ModelVersion,
                                                                       names: Streams) -> None:
    names.add(serving_models.sample_records(10, seed=9))
    names.client.xgroup_create(names.source, "mloop", id="0")
    names.client.xreadgroup("mloop", "busy", {names.source: ">"}, count=4)

    stats = mloop.score_stream("fraud@champion", names.source_url, names.sink_url, consumer="other",
                               claim_idle_ms=600_000, max_entries=6)

    assert (stats.scored, stats.claimed, stats.pending) == (6, 0, 4)


def test_stop_finishes_and_acknowledges_what_it_read(fraud: mloop.ModelVersion, names: Streams) -> None:
    scorer = mloop.StreamScorer("fraud@champion", names.source_url, names.sink_url, batch_size=8, block_ms=20)
    stop = threading.Event()
    outcome: list[mloop.StreamStats] = []
    with scorer:
        worker = threading.Thread(target=lambda: outcome.append(scorer.run(stop)))
        worker.start()
        try:
            ids = names.add(serving_models.sample_records(40, seed=10))
            wait_for(lambda: len(names.results()) >= 40, "every entry is scored")
        finally:
            stop.set()
            worker.join(30)
    [stats] = outcome
    assert (stats.scored, stats.pending, stats.stopped_by) == (40, 0, "stop")
    assert [r["id"] for r in names.results()] == ids
    # a generated consumer name is dropped from the group once it holds nothing
    assert names.client.xinfo_consumers(names.source, "mloop") == []


def test_sink_maxlen_trims_the_result_stream(fraud: mloop.ModelVersion, names: Streams) -> None:
    names.add(serving_models.sample_records(300, seed=11))

    stats = mloop.score_stream("fraud@champion", names.source_url, names.url(names.sink, maxlen="100"),
                               batch_size=300, max_entries=300)

    assert stats.scored == 300
    assert 100 <= names.client.xlen(names.sink) < 300  # approximate trimming (MAXLEN ~)


def test_urls_give_group_consumer_and_pass_other_options_on() -> None:
    address = StreamAddress.parse("rediss://u:secret@h:6380/2?stream=tx&group=g&consumer=c&ssl_cert_reqs=none",
                                  "source")
    assert (address.stream, address.group, address.consumer) == ("tx", "g", "c")
    assert address.client_url == "rediss://u:secret@h:6380/2?ssl_cert_reqs=none"
    with pytest.raises(mloop.ConfigError) as refused:
        StreamAddress.parse("redis://u:secret@h:6380/2", "sink")
    assert str(refused.value) == ("sink 'redis://u:***@h:6380/2' names no stream; add ?stream=NAME, "
                                  "e.g. redis://127.0.0.1:6379/0?stream=scores")


def test_text_fields_become_the_signatures_types() -> None:
    signature = Signature((ColumnSpec("n", "integer", "int64", False), ColumnSpec("x", "float", "float64", True),
                           ColumnSpec("flag", "boolean", "bool", False),
                           ColumnSpec("size", "category", "category", False, [1, 2, 3]),
                           ColumnSpec("name", "string", "object", True)))
    entries = [("1-0", {"n": "4", "x": "", "flag": "true", "size": "2", "name": "a"}),
               ("1-1", {"n": "5", "x": "0.25", "flag": "0", "size": "3"}),
               ("1-2", {"n": "6", "x": "1", "flag": "maybe", "size": "4", "name": "c"})]

    batch = read_entries(entries, signature)

    assert batch.valid.tolist() == [0, 1]
    assert batch.rejected == {2: ["'flag' is 'maybe', expected true or false",
                                  "'size' has unknown value '4' (known: 1, 2, 3)"]}
    frame = batch.frame
    assert str(frame["n"].dtype) == "int64" and frame["n"].tolist() == [4, 5]
    assert frame["x"].isna().tolist() == [True, False] and frame["x"].iloc[1] == 0.25
    assert frame["flag"].tolist() == [True, False] and frame["size"].tolist() == [2, 3]
    assert frame["name"].iloc[0] == "a" and pd.isna(frame["name"].iloc[1])
    assert signature.problems(frame) == []


def test_a_running_consumer_follows_its_alias(fraud: mloop.ModelVersion, names: Streams) -> None:
    scorer = mloop.StreamScorer("fraud@champion", names.source_url, names.sink_url, batch_size=8, block_ms=20,
                                poll_seconds=0.1)
    stop = threading.Event()
    with scorer:
        worker = threading.Thread(target=lambda: scorer.run(stop))
        worker.start()
        try:
            names.add(serving_models.sample_records(16, seed=11))
            wait_for(lambda: len(names.results()) >= 16, "the first entries are scored by fraud/1")
            serving_models.register_fraud(seed=5, c=0.01)  # promotes fraud/2
            time.sleep(0.5)  # more than poll_seconds: the next batch is scored by the new champion
            names.add(serving_models.sample_records(16, seed=12))
            wait_for(lambda: len(names.results()) >= 32, "the next entries are scored")
        finally:
            stop.set()
            worker.join(30)
    versions = [r["model_version"] for r in names.results()]
    assert set(versions[:16]) == {"fraud/1"} and set(versions[16:]) == {"fraud/2"}
    (deployment,) = mloop.list_deployments("fraud")
    swaps = [(e.from_version, e.to_version) for e in mloop.get_deployment(deployment.id)[1] if e.kind == "swap"]
    assert swaps == [("fraud/1", "fraud/2")] and deployment.version == "fraud/2"
