"""error_rate: what a deployment's heartbeat writes (requests and failures since the last beat)
judged by the monitor."""

from __future__ import annotations

from pathlib import Path

import pytest
from monitor_testing import at

import mloop
from mloop.serving.deployments import Heartbeat
from mloop.serving.metrics import ServerMetrics
from mloop.stores.workspace import get_workspace


def test_the_heartbeat_writes_request_counts_the_monitor_judges(workspace: Path) -> None:
    ws = get_workspace()
    metrics = ServerMetrics(max_batch_size=8)
    heartbeat = Heartbeat("d1", ws, lambda: ("fraud", "fraud/1", metrics.answered))
    for code in [200] * 95 + [422] * 3 + [500] * 2:
        metrics.count("/predict", code)
    metrics.count("/feedback", 500)  # not a model route: not counted
    heartbeat.write_counts(at(10))
    heartbeat.write_counts(at(11))  # nothing new: nothing written
    for code in (200, 503):
        metrics.count("/v2/infer", code)
    heartbeat.write_counts(at(20))

    mloop.apply_monitors([mloop.Monitor("fraud-errors", "error_rate", model="fraud", window="1h", threshold=0.02)])
    result = mloop.run_monitor("fraud-errors", at=at(30))
    assert result.values == {"requests": 102, "client_errors": 3, "server_errors": 3}
    assert result.status == "failed" and result.value == pytest.approx(3 / 102)
    assert result.summary == "2.94% of 102 requests to fraud failed with 5xx in the last 1h (over 2.00%)"
    assert mloop.run_monitor("fraud-errors", at=at(15)).values["requests"] == 100  # [-45m, 15m): the first beat
    assert mloop.run_monitor("fraud-errors", at=at(200)).status == "no_data"

    mloop.apply_monitors([mloop.Monitor("fraud-errors", "error_rate", model="fraud", window="1h", threshold=0.1,
                                        options={"count": "all"})])
    judged = mloop.run_monitor("fraud-errors", at=at(30))
    assert judged.status == "passed" and judged.value == pytest.approx(6 / 102)
