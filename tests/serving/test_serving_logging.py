"""Every answer of `mloop serve` is in the prediction log — request id, version, training-set
fingerprint, inputs, outputs, latency; shadow answers too, under their own version — nothing lost
at a graceful stop; labels posted to /feedback join by request id; explain names the version."""

from __future__ import annotations

import httpx
import numpy as np
import pandas as pd
import serving_models
from served import serving

import mloop


def test_every_answer_is_logged_and_labels_join_by_request_id(fraud) -> None:  # type: ignore[no-untyped-def]
    serving_models.register_fraud(seed=5, c=0.01, alias="candidate")
    records = serving_models.sample_records(5, seed=3)
    with serving("fraud@champion", "--shadow", "fraud@candidate") as server:
        answers = [httpx.post(f"{server.url}/predict", json=r, headers={"X-Request-ID": f"r{i}"}).json()
                   for i, r in enumerate(records)]
        many = httpx.post(f"{server.url}/predict", json={"records": records[:3]}, headers={"X-Request-ID": "many"})
        feedback = httpx.post(f"{server.url}/feedback", json=[{"request_id": "r1", "label": 1},
                                                              {"request_id": "nobody", "label": 0}]).json()
        bad = httpx.post(f"{server.url}/feedback", json={"label": 1})
    # the server stopped gracefully (SIGTERM): everything it answered is written
    log = mloop.predictions("fraud", with_labels=True)

    assert many.status_code == 200 and feedback == {"labels": 2, "matched": 1, "unmatched": 1}
    assert bad.status_code == 400 and "request_id" in bad.json()["error"]
    primary = log[log["role"] == "primary"].set_index("request_id").sort_index()
    assert sorted(primary.index) == sorted([f"r{i}" for i in range(5)] + ["many:0", "many:1", "many:2"])
    singles = primary.loc[[f"r{i}" for i in range(5)]]
    assert singles["prediction"].tolist() == [a["predictions"][0] for a in answers]
    assert np.allclose(singles[["probability_0", "probability_1"]].to_numpy(), [a["probabilities"][0] for a in answers])
    assert singles["input.amount"].tolist() == [r["amount"] for r in records]
    assert singles["input.country"].tolist() == [r["country"] for r in records]
    assert set(primary["version"]) == {1} and set(primary["training_fingerprint"]) == {fraud.training_fingerprint}
    assert (primary["latency_ms"] > 0).all() and primary["deployment"].notna().all()
    assert primary.loc["r1", "label"] == 1 and pd.isna(primary.loc["r2", "label"])
    shadow = log[log["role"] == "shadow"]
    assert sorted(shadow["request_id"]) == sorted([f"r{i}#shadow" for i in range(5)] + [f"many:{i}#shadow" for i in range(3)])
    assert set(shadow["version"]) == {2}
    shadow = shadow.set_index("request_id")
    assert shadow.loc["r1#shadow", "label"] == 1 and pd.isna(shadow.loc["r2#shadow", "label"])  # the request's truth
    explained = mloop.explain_prediction("r2")
    assert (explained.model, explained.version, explained.role) == ("fraud", 1, "primary")
    assert explained.run_id == fraud.run_id


def test_no_log_logs_nothing(fraud) -> None:  # type: ignore[no-untyped-def]
    with serving("fraud@champion", "--no-log") as server:
        assert httpx.post(f"{server.url}/predict", json=serving_models.sample_records(1)[0]).status_code == 200
    assert len(mloop.predictions("fraud")) == 0


def test_an_all_float_model_logs_its_inputs_from_the_float_array(sqlite_workspace) -> None:  # type: ignore[no-untyped-def]
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(0)
    frame = pd.DataFrame(rng.normal(size=(200, 3)), columns=["a", "b", "c"])
    labels = (frame.sum(axis=1) > 0).astype(int)
    version = mloop.register_model("floats", LogisticRegression().fit(frame, labels), training_data=frame.assign(y=labels),
                                   target="y")
    rows = frame.head(6).to_dict(orient="records")
    with serving(version.ref) as server:
        answers = [httpx.post(f"{server.url}/predict", json=row, headers={"X-Request-ID": f"f{i}"}).json()
                   for i, row in enumerate(rows)]
    log = mloop.predictions("floats").set_index("request_id").loc[[f"f{i}" for i in range(6)]]
    assert log[["input.a", "input.b", "input.c"]].to_numpy().tolist() == frame.head(6).to_numpy().tolist()
    assert log["prediction"].tolist() == [a["predictions"][0] for a in answers]


def test_metrics_show_the_log_writer_rows_and_cpu(fraud) -> None:  # type: ignore[no-untyped-def]
    import re
    import time

    def log_figures(url: str) -> dict[str, float]:
        text = httpx.get(f"{url}/metrics").text
        figures = {state: float(value) for state, value in
                   re.findall(r'^mloop_prediction_log_rows\{state="(\w+)"\} (\S+)$', text, re.M)}
        cpu = re.search(r"^mloop_prediction_log_writer_cpu_seconds (\S+)$", text, re.M)
        return figures | ({"cpu": float(cpu.group(1))} if cpu else {})

    with serving("fraud@champion") as server:
        for record in serving_models.sample_records(4, seed=1):
            assert httpx.post(f"{server.url}/predict", json=record).status_code == 200
        deadline = time.monotonic() + 30  # the writer exports its figures after each round (every 2 s)
        figures = log_figures(server.url)
        while figures.get("written") != 4 and time.monotonic() < deadline:
            time.sleep(0.2)
            figures = log_figures(server.url)
    assert figures["logged"] == figures["written"] == 4
    assert figures["dropped"] == figures["pending"] == figures["spilled"] == 0
    assert figures["cpu"] > 0  # the writer's own thread time: what logging costs beyond an append
    assert len(mloop.predictions("fraud")) == 4
