"""`mloop serve` as users start it: mistakes are one line and exit code 2 before a port is bound;
several workers share one port and one /metrics; a standard Open Inference Protocol client works."""

from __future__ import annotations

import socket
import subprocess
import sys
import time

import httpx
import numpy as np
import pandas as pd
import pytest
import serving_models
from served import metric, serving

import mloop


def serve_fails(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "mloop.cli.main", "serve", *args], capture_output=True, text=True,
                          timeout=60)


@pytest.mark.parametrize(("args", "says"), [
    (["fraud@staging"], "model 'fraud' has no alias 'staging'; set one with: mloop models promote fraud VERSION --alias staging"),
    (["frod@champion"], "no model 'frod'"),
    (["fraud"], "'fraud' is not a model version; write NAME/VERSION or NAME@ALIAS"),
    (["fraud@champion", "--workers", "0"], "--workers must be at least 1, got 0"),
    (["fraud@champion", "--max-batch-size", "0"], "--max-batch-size and --max-queue must be at least 1"),
    (["fraud@champion", "--canary", "fraud/1", "--canary-percent", "150"], "--canary-percent must be between 0 and 100"),
    (["fraud@champion", "--canary", "fraud/9"], "fraud"),
])
def test_mistakes_are_one_line_and_exit_2(fraud, args: list[str], says: str) -> None:  # type: ignore[no-untyped-def]
    from typer.testing import CliRunner

    from mloop.cli.main import app

    result = CliRunner().invoke(app, ["serve", *args])  # each mistake is caught before uvicorn starts
    assert result.exit_code == 2, result.output
    assert says in result.output and "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_a_port_in_use_is_named_before_anything_starts(fraud) -> None:  # type: ignore[no-untyped-def]
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = serve_fails("fraud@champion", "--port", str(port))
    assert result.returncode == 2
    assert f"cannot listen on 127.0.0.1:{port}: it is in use; choose another with --port" in result.stderr


def test_two_workers_share_the_port_and_their_metrics(fraud) -> None:  # type: ignore[no-untyped-def]
    record = serving_models.sample_records(1)[0]
    with serving("fraud@champion", "--workers", "2") as server:
        with httpx.Client(base_url=server.url) as client:
            answers = [client.post("/predict", json=record, headers={"Connection": "close"}) for _ in range(30)]
        counted = metric(server.url, "mloop_requests_total", route="/predict", code="200")
        deadline = time.monotonic() + 30  # each worker's log writer exports its rows after each round (2 s)
        while metric(server.url, "mloop_prediction_log_rows", state="written") < 30 and time.monotonic() < deadline:
            time.sleep(0.2)
        written = metric(server.url, "mloop_prediction_log_rows", state="written")  # summed over the workers
    assert {a.status_code for a in answers} == {200} and counted == 30
    assert written == 30


def test_tritonclient_infers_through_the_v2_routes(fraud) -> None:  # type: ignore[no-untyped-def]
    import tritonclient.http as triton

    frame = serving_models.transactions(5, seed=8).drop(columns="y")
    model = mloop.load_model("fraud/1").model
    with serving("fraud@champion") as server:
        client = triton.InferenceServerClient(url=server.url.removeprefix("http://"))
        assert client.is_server_live() and client.is_server_ready() and client.is_model_ready("fraud")
        metadata = client.get_model_metadata("fraud")
        for binary in (False, True):
            inputs = []
            for column, datatype in (("amount", "FP64"), ("age", "INT64"), ("country", "BYTES"), ("hour", "INT64")):
                values = frame[column].to_numpy(dtype=object if datatype == "BYTES" else None)
                tensor = triton.InferInput(column, [len(frame)], datatype)
                tensor.set_data_from_numpy(values, binary_data=binary)
                inputs.append(tensor)
            outputs = [triton.InferRequestedOutput(name, binary_data=binary) for name in ("prediction", "probabilities")]
            result = client.infer("fraud", inputs, outputs=outputs)
            assert result.as_numpy("prediction").tolist() == model.predict(frame).tolist()
            assert np.allclose(result.as_numpy("probabilities"), model.predict_proba(frame))
        with pytest.raises(triton.InferenceServerException, match="unknown model 'fruad'"):
            client.infer("fruad", inputs)
        client.close()
    assert [i["name"] for i in metadata["inputs"]] == ["amount", "age", "country", "hour"]
    assert pd.Series([i["datatype"] for i in metadata["inputs"]]).tolist() == ["FP64", "INT64", "BYTES", "INT64"]


