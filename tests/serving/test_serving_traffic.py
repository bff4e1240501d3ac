"""Canary and shadow: a share of traffic (sticky per request key) to a second version; copies of
requests to a shadow version whose answers are never returned."""

from __future__ import annotations

import time

import httpx
import serving_models
from served import metric, serving


def test_a_canary_takes_its_share_and_a_key_always_gets_the_same_version(fraud) -> None:  # type: ignore[no-untyped-def]
    serving_models.register_fraud(seed=5, c=0.01, alias="challenger")
    record = serving_models.sample_records(1)[0]
    with serving("fraud@champion", "--canary", "fraud@challenger", "--canary-percent", "30") as server:
        with httpx.Client(base_url=server.url) as client:
            versions = [client.post("/predict", json=record).json()["model_version"] for _ in range(300)]
            sticky = {key: {client.post("/predict", json=record, headers={"X-Request-Key": key}).json()["model_version"]
                            for _ in range(5)} for key in (f"customer-{i}" for i in range(40))}
            meta = client.get("/metadata").json()
        canary_rows = metric(server.url, "mloop_predictions_total", version="fraud/2", role="canary")

    share = versions.count("fraud/2") / len(versions)
    assert 0.18 < share < 0.42, share  # 30% of 300: far outside ±12 points only with p < 1e-4
    assert set(versions) == {"fraud/1", "fraud/2"}
    assert all(len(answers) == 1 for answers in sticky.values())  # the same key, the same version
    assert {next(iter(a)) for a in sticky.values()} == {"fraud/1", "fraud/2"}  # and keys are spread
    assert canary_rows == versions.count("fraud/2") + sum("fraud/2" in a for a in sticky.values()) * 5
    assert meta["versions"]["canary"] == {"follows": "fraud@challenger", "version": "fraud/2", "percent": 30.0,
                                          "training_fingerprint": meta["versions"]["canary"]["training_fingerprint"]}


def test_a_shadow_gets_copies_and_its_answers_are_never_returned(fraud) -> None:  # type: ignore[no-untyped-def]
    serving_models.register_fraud(seed=5, c=0.01, alias="candidate")
    records = serving_models.sample_records(40, seed=9)
    with serving("fraud@champion", "--shadow", "fraud@candidate") as server:
        with httpx.Client(base_url=server.url) as client:
            versions = {client.post("/predict", json=record).json()["model_version"] for record in records}
        deadline = time.monotonic() + 10
        while metric(server.url, "mloop_predictions_total", role="shadow") < 40 and time.monotonic() < deadline:
            time.sleep(0.05)
        shadowed = metric(server.url, "mloop_predictions_total", version="fraud/2", role="shadow")
        primary = metric(server.url, "mloop_predictions_total", version="fraud/1", role="primary")

    assert versions == {"fraud/1"}
    assert (shadowed, primary) == (40, 40)
