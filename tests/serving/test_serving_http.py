"""`mloop serve` over real HTTP: the /predict forms, errors that name the problem (never a 500),
/metadata, /metrics, the OpenAPI document."""

from __future__ import annotations

import json
import math

import httpx
import numpy as np
import pandas as pd
import pytest
import serving_models
from served import metric, serving

import mloop


@pytest.fixture(scope="module")
def server(module_workspace):  # type: ignore[no-untyped-def]
    """One server for the module: the tests below only read it (metrics are compared before/after)."""
    with serving("fraud@champion", "--max-body-mb", "0.05") as running:
        yield running


@pytest.fixture
def fraud(module_workspace) -> mloop.ModelVersion:  # type: ignore[no-untyped-def]
    return mloop.get_model_version("fraud/1")


def expected(records: list[dict]) -> tuple[list, list]:
    model = mloop.load_model("fraud/1").model
    frame = pd.DataFrame.from_records(records)[serving_models.COLUMNS]
    return model.predict(frame).tolist(), model.predict_proba(frame).tolist()


def test_every_request_form_gets_the_models_own_answers(server) -> None:  # type: ignore[no-untyped-def]
    records = serving_models.sample_records(6, seed=4)
    predictions, probabilities = expected(records)
    columns = {name: [r[name] for r in records] for name in serving_models.COLUMNS}
    for body in (records, {"records": records}, {"instances": records}, {"columns": columns}):
        answer = httpx.post(f"{server.url}/predict", json=body).json()
        assert answer["predictions"] == predictions
        assert np.allclose(answer["probabilities"], probabilities)
        assert answer["model_version"] == "fraud/1" and answer["classes"] == [0, 1]
    single = httpx.post(f"{server.url}/predict", json=records[0], headers={"X-Request-ID": "req-1"}).json()
    assert single["predictions"] == predictions[:1] and single["request_id"] == "req-1"


def test_a_bad_payload_is_a_422_naming_each_bad_field(server) -> None:  # type: ignore[no-untyped-def]
    answer = httpx.post(f"{server.url}/predict", json={"amount": "12", "age": 30.5, "country": "XX", "colour": 1})
    assert answer.status_code == 422
    problems = answer.json()["problems"]
    assert problems == ["field 'amount' is a string, expected a number", "field 'age' is 30.5, expected an integer",
                        "field 'country' has unknown value 'XX' (known: DE, FR, US)", "missing field 'hour'",
                        "unknown field 'colour'"]
    # many rows take the DataFrame path: still a 422 that names the column
    rows = serving_models.sample_records(80)
    rows[3]["age"] = "old"
    answer = httpx.post(f"{server.url}/predict", json={"records": rows})
    assert answer.status_code == 422 and "'age'" in answer.json()["error"]


@pytest.mark.parametrize(("content", "headers", "status", "says"), [
    (b'{"amount": 1,', {"content-type": "application/json"}, 400, "not valid JSON"),
    (b"amount=1", {"content-type": "application/x-www-form-urlencoded"}, 415, "Content-Type: application/json"),
    (b"", {"content-type": "application/json"}, 400, "empty"),
    (b"[1, 2]", {"content-type": "application/json"}, 400, "list of JSON objects"),
    (json.dumps({"records": [{"amount": 1.0}] * 4000}).encode(), {"content-type": "application/json"}, 413, "limit"),
])
def test_malformed_requests_get_a_4xx_with_a_reason(server, content, headers, status, says) -> None:  # type: ignore[no-untyped-def]
    answer = httpx.post(f"{server.url}/predict", content=content, headers=headers)
    assert answer.status_code == status
    assert says in answer.json()["error"]
    # and the server goes on serving
    assert httpx.post(f"{server.url}/predict", json=serving_models.sample_records(1)[0]).status_code == 200


def test_nan_and_infinity_are_refused_where_training_had_none(server) -> None:  # type: ignore[no-untyped-def]
    record = serving_models.sample_records(1)[0]
    for value, says in ((math.inf, "infinite"), (math.nan, "null"), (None, "null")):
        body = json.dumps({**record, "amount": value}).encode()  # Python's json writes NaN/Infinity
        answer = httpx.post(f"{server.url}/predict", content=body, headers={"content-type": "application/json"})
        assert answer.status_code == 422 and says in answer.json()["error"]
    columns = {name: [record[name]] * 100 for name in serving_models.COLUMNS}
    columns["amount"][7] = math.inf
    answer = httpx.post(f"{server.url}/predict", content=json.dumps({"columns": columns}).encode(),
                        headers={"content-type": "application/json"})
    assert answer.status_code == 422 and "infinite" in answer.json()["error"]
    assert metric(server.url, "mloop_requests_total", code="500") == 0
    assert metric(server.url, "mloop_errors_total", reason="model") == 0


def test_metadata_names_the_version_its_lineage_and_training_data(server, fraud) -> None:  # type: ignore[no-untyped-def]
    meta = httpx.get(f"{server.url}/metadata").json()
    assert (meta["model"], meta["follows"], meta["version"]) == ("fraud", "fraud@champion", "fraud/1")
    assert meta["training_fingerprint"] == fraud.training_fingerprint is not None
    assert meta["lineage"]["pipeline"] == "fraud-serving"
    assert [c["name"] for c in meta["signature"]["inputs"]] == serving_models.COLUMNS
    assert meta["batching"] == {"enabled": True, "max_batch_size": 64, "max_wait_ms": 0.0, "max_queue": 64}


def test_metrics_count_requests_rows_batches_and_errors(server) -> None:  # type: ignore[no-untyped-def]
    watched = {"ok": ("mloop_requests_total", {"route": "/predict", "code": "200"}),
               "bad": ("mloop_requests_total", {"route": "/predict", "code": "422"}),
               "rows": ("mloop_predictions_total", {"version": "fraud/1", "role": "primary"}),
               "batches": ("mloop_batch_size_count", {"version": "fraud/1"}),
               "batched_rows": ("mloop_batch_size_sum", {"version": "fraud/1"}),
               "signature_errors": ("mloop_errors_total", {"reason": "signature"}),
               "timed": ("mloop_request_latency_seconds_count", {"route": "/predict"})}
    before = {key: metric(server.url, name, **labels) for key, (name, labels) in watched.items()}
    records = serving_models.sample_records(3)
    for record in records:
        httpx.post(f"{server.url}/predict", json=record)
    httpx.post(f"{server.url}/predict", json={"records": records})
    httpx.post(f"{server.url}/predict", json={"amount": "x"})
    change = {key: metric(server.url, name, **labels) - before[key] for key, (name, labels) in watched.items()}
    assert change == {"ok": 4, "bad": 1, "rows": 6, "batches": change["batches"], "batched_rows": 6,
                      "signature_errors": 1, "timed": 5}
    assert 2 <= change["batches"] <= 4  # sequential requests: one batch each (the 3 records: one batch)


def test_the_openapi_document_describes_predict_with_the_signature(server) -> None:  # type: ignore[no-untyped-def]
    document = httpx.get(f"{server.url}/openapi.json").json()
    assert {"/predict", "/metadata", "/metrics", "/v2/models/{name}/infer"} <= set(document["paths"])
    schema = document["paths"]["/predict"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    record = schema["oneOf"][0]
    assert set(record["properties"]) == set(serving_models.COLUMNS)
    assert httpx.get(f"{server.url}/docs").status_code == 200
