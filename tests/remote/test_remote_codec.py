"""The store-call codec: what the role stores take and return survives the trip unchanged, and the
server's decoder rebuilds only the metadata store's own records (never a name the peer chose)."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime, timedelta, timezone

import numpy as np
import pytest

from mloop.core.errors import ValidationError
from mloop.stores.metadata.registry_records import ModelVersionRecord
from mloop.stores.metadata.run_query import Comparison, Field, Junction, RunQuery
from mloop.stores.metadata.tracking_records import MetricHistory, TrackingBatch
from mloop.stores.remote.codec import decode, encode, record_types


def trip(value: object) -> object:
    return decode(json.loads(json.dumps(encode(value))))


def test_values_and_records_round_trip() -> None:
    when = datetime(2026, 5, 1, 12, 30, tzinfo=timezone(timedelta(hours=2)))
    batch = TrackingBatch(metrics=[("run", None, "loss", 0.5, 3, 1.7e9), ("run", "s", "nan", math.nan, 0, 1.0)],
                          params=[("run", None, "c", "1.0")], tags=[("run", "team", "ml")])
    version = ModelVersionRecord("m", 2, "a" * 64, None, None, {"inputs": []}, {"auc": 0.9}, {}, "", None, None,
                                 when, "me")
    query = RunQuery(Junction("and", (Comparison(Field("metrics", "auc"), ">", 0.5),
                                      Comparison(Field("params", "c"), "in", ("1", "2")))), Field("metrics", "auc"))
    value = {"batch": batch, "version": version, "query": query, "set": {1, 2}, "keys": {(1, "a"): b"\x00\xff"},
             "when": when, "nested": [(1, [2, {"__t": "not a tag"}])]}

    back = trip(value)
    assert isinstance(back, dict)
    assert back["batch"].metrics[0] == ("run", None, "loss", 0.5, 3, 1.7e9)
    assert math.isnan(back["batch"].metrics[1][3])
    assert back["version"] == version and back["query"] == query and back["when"].utcoffset() == timedelta(hours=2)
    assert back["set"] == {1, 2} and back["keys"] == {(1, "a"): b"\x00\xff"}
    assert back["nested"] == [(1, [2, {"__t": "not a tag"}])]


def test_arrays_keep_dtype_and_values() -> None:
    history = MetricHistory(np.array([0, 1], dtype=np.int64), np.array([0.5, np.nan]), np.array([1.0, 2.0]),
                            ["s", None])

    back = trip(history)
    assert isinstance(back, MetricHistory) and back.steps.dtype == np.int64 and back.step_run_ids == ["s", None]
    assert back.values[0] == 0.5 and np.isnan(back.values[1])
    assert trip(np.array(["a", None], dtype=object)) == ["a", None]  # object arrays travel as lists


def test_only_the_metadata_records_are_rebuilt() -> None:
    assert "RunRecord" in record_types() and "MetricHistory" in record_types()
    assert all(cls.__module__.startswith("mloop.stores.metadata.") for cls in record_types().values())
    for hostile in ({"__t": "record", "n": "Popen", "v": {"args": ["sh"]}},
                    {"__t": "record", "n": "os.system", "v": {}},
                    {"__t": "pickle", "v": "gASV"},
                    {"__t": "array", "dtype": "O", "shape": [1], "v": ""},
                    {"__t": "record", "n": "RunRecord", "v": {"no_such_field": 1}},
                    {"__t": "rows", "v": [["ok", {"__t": "record", "n": "RunRecord", "v": {}}]]},
                    {"__t": "rows", "v": 5}):
        with pytest.raises(ValidationError):
            decode(hostile)


def test_things_that_are_not_store_values_are_refused_on_the_way_out() -> None:
    class Stranger:
        pass

    with pytest.raises(ValidationError, match="cannot be sent"):
        encode(Stranger())
    assert encode(datetime(2026, 1, 1, tzinfo=UTC)) == {"__t": "datetime", "v": "2026-01-01T00:00:00+00:00"}
