"""Signatures exported as JSON Schema, Avro and protobuf, checked with real payloads and parsers."""

from __future__ import annotations

import importlib
import io
import json
import sys
from datetime import datetime, timezone
from pathlib import Path

import fastavro
import jsonschema
import pandas as pd
import pytest

from mloop.registry import Signature


@pytest.fixture
def signature() -> Signature:
    frame = pd.DataFrame({
        "amount": [12.5, None, 80.0, 5.0],
        "age": [31, 45, 22, 60],
        "country": ["DE", "FR", "DE", "DE"],
        "plan": pd.Categorical(["basic", "pro", "basic", "basic"]),
        "signup time": pd.to_datetime(["2024-01-01", "2024-02-01", "2024-03-01", "2024-04-01"]),
        "vip": [False, True, False, False],
    })
    return Signature.infer(frame)


RECORD = {"amount": 10.0, "age": 40, "country": "FR", "plan": "pro", "signup time": "2024-05-01T10:00:00Z",
          "vip": True}


def test_json_schema_accepts_a_real_payload_and_rejects_bad_ones(signature: Signature) -> None:
    schema = signature.to_json_schema("fraud/1 input")
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)

    assert list(validator.iter_errors(RECORD)) == []
    assert list(validator.iter_errors({**RECORD, "amount": None})) == []  # amount was missing in training
    assert signature.problems(RECORD) == []  # the Python check agrees
    bad = {
        "missing": {k: v for k, v in RECORD.items() if k != "age"},
        "extra": {**RECORD, "channel": "web"},
        "type": {**RECORD, "age": "forty"},
        "domain": {**RECORD, "country": "IT"},
        "null": {**RECORD, "age": None},
    }
    for name, payload in bad.items():
        assert list(validator.iter_errors(payload)), name
        assert signature.problems(payload), name


def test_avro_schema_is_a_record_with_typed_fields(signature: Signature) -> None:
    schema = json.loads(json.dumps(signature.to_avro("fraud_input", "mloop.fraud")))
    assert (schema["type"], schema["name"], schema["namespace"]) == ("record", "FraudInput", "mloop.fraud")
    fields = {f["name"]: f for f in schema["fields"]}
    assert list(fields) == ["amount", "age", "country", "plan", "signup_time", "vip"]
    assert fields["amount"]["type"] == ["null", "double"] and fields["amount"]["default"] is None
    assert fields["age"]["type"] == "long" and fields["vip"]["type"] == "boolean"
    assert fields["country"]["type"] == {"type": "enum", "name": "FraudInput_country", "symbols": ["DE", "FR"]}
    assert fields["plan"]["type"]["symbols"] == ["basic", "pro"]
    assert fields["signup_time"]["type"] == {"type": "long", "logicalType": "timestamp-micros"}
    assert fields["signup_time"]["doc"] == "column 'signup time'"


def test_proto_file_declares_messages_fields_and_a_service(signature: Signature) -> None:
    text = signature.to_proto("fraud", package="mloop.fraud.v1")
    assert text.startswith('syntax = "proto3";')
    assert 'import "google/protobuf/timestamp.proto";' in text
    assert "package mloop.fraud.v1;" in text
    assert "message FraudInput {" in text
    for line in ("  optional double amount = 1;", "  int64 age = 2;", "  string country = 3;  // one of: DE, FR",
                 "  google.protobuf.Timestamp signup_time = 5;", "  bool vip = 6;"):
        assert line in text
    assert "rpc Predict(FraudRequest) returns (FraudResponse);" in text
    assert text.count("{") == text.count("}")


def test_avro_schema_parses_and_round_trips_a_record(signature: Signature) -> None:
    schema = fastavro.parse_schema(signature.to_avro("fraud_input", "mloop.fraud"))
    record = {"amount": None, "age": 40, "country": "FR", "plan": "pro",
              "signup_time": datetime(2024, 5, 1, 10, tzinfo=timezone.utc), "vip": True}
    buffer = io.BytesIO()
    fastavro.writer(buffer, schema, [record])
    buffer.seek(0)
    assert list(fastavro.reader(buffer)) == [record]
    for bad in ({**record, "country": "IT"}, {**record, "age": "forty"}, {**record, "age": None}):
        assert not fastavro.validation.validate(bad, schema, raise_errors=False), bad


def test_proto_file_compiles_with_protoc_and_carries_a_request(signature: Signature, tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    from grpc_tools import protoc

    (tmp_path / "fraud.proto").write_text(signature.to_proto("fraud", package="mloop.fraud.v1"))
    includes = Path(protoc.__file__).parent / "_proto"
    status = protoc.main(["protoc", f"-I{tmp_path}", f"-I{includes}", f"--python_out={tmp_path}",
                          str(tmp_path / "fraud.proto")])
    assert status == 0
    monkeypatch.syspath_prepend(str(tmp_path))
    module = importlib.import_module("fraud_pb2")
    request = module.FraudRequest()
    row = request.instances.add()
    row.age, row.country, row.vip = 40, "FR", True
    row.signup_time.FromDatetime(datetime(2024, 5, 1, 10, tzinfo=timezone.utc))
    decoded = module.FraudRequest.FromString(request.SerializeToString())
    [first] = decoded.instances
    assert (first.age, first.country, first.vip, first.HasField("amount")) == (40, "FR", True, False)
    assert [f.name for f in module.FraudInput.DESCRIPTOR.fields] == [
        "amount", "age", "country", "plan", "signup_time", "vip"]
    monkeypatch.delitem(sys.modules, "fraud_pb2")
