"""A served model's requests and failures reach the metadata store with the deployment's
heartbeat (the last ones when it stops), where the error_rate monitor judges them."""

from __future__ import annotations

from datetime import timedelta

import httpx
import serving_models
from served import serving

import mloop
from mloop.core.clock import utcnow


def test_requests_and_failures_are_counted_for_the_error_rate_monitor(fraud) -> None:  # type: ignore[no-untyped-def]
    with serving("fraud@champion") as server:
        good = [httpx.post(f"{server.url}/predict", json=r) for r in serving_models.sample_records(4)]
        bad = [httpx.post(f"{server.url}/predict", content=b"{not json", headers={"content-type": "application/json"}),
               httpx.post(f"{server.url}/predict", json={"amount": "lots"})]
        httpx.post(f"{server.url}/feedback", json={"request_id": "nope"})  # not a model route
    assert [r.status_code for r in good] == [200] * 4 and all(400 <= r.status_code < 500 for r in bad)

    mloop.apply_monitors([mloop.Monitor("fraud-errors", "error_rate", model="fraud", window="1h", threshold=0.2,
                                        options={"count": "all"})])
    result = mloop.run_monitor("fraud-errors", at=utcnow() + timedelta(seconds=1))
    assert result.values == {"requests": 6, "client_errors": 2, "server_errors": 0}  # written when it stopped
    assert result.status == "failed" and result.value == 2 / 6
