"""Hot swap: the server follows its alias; a promotion or a rollback switches versions under load
without a failed request; a version that fails its check is not switched to, and says why."""

from __future__ import annotations

import threading
import time

import httpx
import serving_models
from served import metric, serving

import mloop


def hammer(url: str, stop: threading.Event, seen: list[tuple[int, str]], workers: int = 4) -> list[threading.Thread]:
    """Threads posting single records until `stop`; every (status, version) goes to `seen`."""
    record = serving_models.sample_records(1)[0]

    def loop() -> None:
        with httpx.Client(base_url=url, timeout=30) as client:
            while not stop.is_set():
                answer = client.post("/predict", json=record)
                seen.append((answer.status_code, answer.json().get("model_version", answer.text)))

    threads = [threading.Thread(target=loop) for _ in range(workers)]
    for thread in threads:
        thread.start()
    return threads


def wait_for(condition, timeout: float = 60) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        time.sleep(0.05)


def test_promotion_and_rollback_switch_versions_under_load_without_a_failed_request(fraud) -> None:  # type: ignore[no-untyped-def]
    with serving("fraud@champion", "--poll-seconds", "0.2") as server:
        stop, seen = threading.Event(), []
        threads = hammer(server.url, stop, seen)
        try:
            wait_for(lambda: len(seen) > 50)
            second = serving_models.register_fraud(seed=5, c=0.01)  # registers fraud/2 and moves champion
            wait_for(lambda: seen[-1][1] == "fraud/2" and len({v for _, v in seen[-40:]}) == 1)
            mloop.rollback("fraud", reason="test")
            wait_for(lambda: seen[-1][1] == "fraud/1" and len({v for _, v in seen[-40:]}) == 1)
        finally:
            stop.set()
            for thread in threads:
                thread.join()
        meta = httpx.get(f"{server.url}/metadata").json()
        swaps = metric(server.url, "mloop_swaps_total", role="primary", switched="true")

    assert {status for status, _ in seen} == {200}, [s for s in seen if s[0] != 200][:3]
    assert second.ref == "fraud/2" and {version for _, version in seen} == {"fraud/1", "fraud/2"}
    assert meta["version"] == "fraud/1"
    assert [(e["from_version"], e["to_version"], e["switched"]) for e in meta["swaps"]] == [
        ("fraud/1", "fraud/2", True), ("fraud/2", "fraud/1", True)]
    assert swaps == 2


def test_a_version_that_fails_its_check_is_not_switched_to(fraud) -> None:  # type: ignore[no-untyped-def]
    frame = serving_models.transactions(300, seed=2).drop(columns=["hour"])
    model = serving_models.fraud_model(numbers=("amount", "age")).fit(frame.drop(columns="y"), frame["y"])
    with serving("fraud@champion", "--poll-seconds", "0.2") as server:
        narrower = mloop.register_model("fraud", model, training_data=frame, target="y")
        mloop.promote(narrower.ref, "champion", force=True)
        wait_for(lambda: httpx.get(f"{server.url}/metadata").json()["swaps"] != [])
        meta = httpx.get(f"{server.url}/metadata").json()
        answer = httpx.post(f"{server.url}/predict", json=serving_models.sample_records(1)[0])

    (event,) = meta["swaps"]
    assert (event["to_version"], event["switched"]) == ("fraud/2", False)
    assert "incompatible signature" in event["reason"] and "'hour'" in event["reason"]
    assert meta["version"] == "fraud/1" and answer.json()["model_version"] == "fraud/1"
    assert "not switching to fraud/2" in server.output()
