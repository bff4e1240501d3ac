"""The micro-batcher's promises under bursty, uneven load: no batch above max_batch_size rows, no
request waiting longer than max_wait plus the one predict running ahead of it, a full queue refused
at once (QueueFullError), every answer routed to its own request."""

from __future__ import annotations

import asyncio
import random
import sys
import time

import pytest
from served import run_apart

from mloop.serving.app import SWITCH_INTERVAL
from mloop.serving.batching import BatchStats, MicroBatcher, QueueFullError

#: Python threads hand over the interpreter lock at most every switch interval (SWITCH_INTERVAL,
#: set by `serve`): a wake-up can be that late, twice (the worker waking, the worker starting its
#: predict)
SCHEDULING = 2 * SWITCH_INTERVAL + 0.001


def run_bursts(batcher: MicroBatcher, seed: int) -> tuple[list[tuple[int, int, object]], int]:
    """Bursts of 1-40 concurrent requests of 1-3 rows at uneven gaps: (request, rows, answer) and refusals."""
    rng = random.Random(seed)

    async def main() -> tuple[list[tuple[int, int, object]], int]:
        answers: list[tuple[int, int, object]] = []
        refused = 0

        async def one(index: int, rows: int) -> None:
            nonlocal refused
            try:
                answers.append((index, rows, await batcher.submit((index, rows), rows)))
            except QueueFullError:
                refused += 1

        tasks, index = [], 0
        for _ in range(25):
            for _ in range(rng.randint(1, 40)):
                tasks.append(asyncio.ensure_future(one(index, rng.choice((1, 1, 1, 2, 3)))))
                index += 1
            await asyncio.sleep(rng.choice((0.0, 0.001, 0.004, 0.012)))
        await asyncio.gather(*tasks)
        return answers, refused

    previous = sys.getswitchinterval()
    sys.setswitchinterval(SWITCH_INTERVAL)
    try:
        return run_apart(main)
    finally:
        sys.setswitchinterval(previous)


def slow_predict(payloads: list[tuple[int, int]]) -> list[object]:
    time.sleep(0.0005 + 0.0002 * sum(rows for _, rows in payloads))  # a model whose time grows with rows
    return [("answer", index) for index, _ in payloads]


@pytest.mark.parametrize("max_queue", [None, 24])
def test_no_batch_over_the_maximum_and_no_wait_over_max_wait_plus_one_predict(max_queue: int | None) -> None:
    stats: list[BatchStats] = []
    batcher = MicroBatcher(slow_predict, max_batch_size=8, max_wait_ms=3, max_queue=max_queue, on_batch=stats.append)
    answers, refused = run_bursts(batcher, seed=7)
    batcher.close()

    assert all(answer == ("answer", index) for index, _, answer in answers)  # each request got its own answer
    assert max(s.rows for s in stats) <= 8
    assert sum(s.rows for s in stats) == sum(rows for _, rows, _ in answers)
    longest_predict = max(s.predict_seconds for s in stats)
    # what the operating system and the interpreter lock added (a loaded machine): not the batcher's
    late = max(s.late for s in stats)
    longest_wait = max(max(s.waits) for s in stats)
    if max_queue is None:  # the default queue holds one batch: the wait promise holds
        assert longest_wait <= 0.003 + longest_predict + late + SCHEDULING, (longest_wait, longest_predict, late)
    else:  # a queue of three batches: at most three predicts
        assert longest_wait <= 0.003 + 3 * (longest_predict + late) + SCHEDULING, (longest_wait, longest_predict)
    assert refused > 0  # bursts of 40 do not fit: refused at once, not left to time out
    assert any(s.rows > 1 for s in stats) and any(len(s.waits) > 1 for s in stats)  # requests were grouped



def test_the_promises_hold_over_http_under_bursty_load(fraud) -> None:  # type: ignore[no-untyped-def]
    import httpx
    import numpy as np
    import pandas as pd
    import serving_models
    from served import metric, serving

    import mloop

    records = serving_models.sample_records(400, seed=11)
    model = mloop.load_model("fraud/1").model
    truth = model.predict(pd.DataFrame.from_records(records)).tolist()
    rng = random.Random(3)

    async def bursts(url: str) -> list[httpx.Response]:
        responses: list[httpx.Response] = []
        limits = httpx.Limits(max_connections=64, max_keepalive_connections=64)
        async with httpx.AsyncClient(base_url=url, limits=limits, timeout=30) as client:
            position = 0
            for _ in range(12):
                size = rng.choice((1, 3, 20, 48))
                batch = []
                for i in range(size):  # mostly single records; some requests of 5 rows
                    first = (position + i) % (len(records) - 5)
                    rows = 5 if i % 4 == 3 else 1
                    body = records[first] if rows == 1 else {"records": records[first:first + rows]}
                    batch.append(client.post("/predict", json=body, headers={"X-Request-ID": str(first)}))
                position += size
                responses += await asyncio.gather(*batch)
                await asyncio.sleep(rng.choice((0.0, 0.002, 0.02)))
        return responses

    # a request waits up to 30 ms for a fuller batch: a second request of 5 rows arriving meanwhile
    # cannot join the first (5 + 5 > 8) nor wait for the next batch: it is refused at once
    with serving("fraud@champion", "--max-batch-size", "8", "--max-wait-ms", "30") as server:
        responses = run_apart(lambda: bursts(server.url))
        version = {"version": "fraud/1"}
        largest_batch = metric(server.url, "mloop_batch_size_max", **version)
        batches = metric(server.url, "mloop_batch_size_count", **version)
        within_max = metric(server.url, "mloop_batch_size_bucket", le="8.0", **version)
        longest_wait = metric(server.url, "mloop_queue_wait_max_seconds", **version)
        longest_predict = metric(server.url, "mloop_predict_max_seconds", **version)
        late = metric(server.url, "mloop_dispatch_late_max_seconds", **version)
        refused = metric(server.url, "mloop_queue_rejected_total")

    codes = [r.status_code for r in responses]
    assert set(codes) <= {200, 503} and codes.count(200) > len(codes) // 3
    for response in responses:
        if response.status_code == 200:  # the answers of this request's own records
            answer = response.json()
            first = int(answer["request_id"])
            assert answer["predictions"] == truth[first:first + len(answer["predictions"])]
        else:
            assert response.headers["Retry-After"] == "1" and "queue is full" in response.json()["error"]
    assert codes.count(503) == refused > 0
    assert largest_batch <= 8 and within_max == batches > 0
    assert longest_wait <= 0.030 + longest_predict + late + SCHEDULING, (longest_wait, longest_predict, late)
    assert np.isfinite(longest_predict)
