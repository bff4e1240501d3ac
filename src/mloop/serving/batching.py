"""Adaptive micro-batching with two promises: no batch larger than `max_batch_size` rows, and no
request waiting in the queue longer than `max_wait` plus the one predict call running ahead of it
(`max_wait` 0, the default, holds no request on purpose: what arrives during a predict is the next batch).

One worker thread per model does both the collecting and the predicting: it waits for the first
request, then until the batch is full or the oldest request's deadline has come, takes at most
`max_batch_size` rows and predicts them; after a predict it looks at the queue at once, so a batch
that became due meanwhile leaves without a round trip through the event loop (whose own
iterations, under a burst of requests, would add their length to the wait). Results go back to
each request's future on the event loop in one call per batch.

The wait promise needs a bounded queue: rows beyond what the next batch can take would wait for
two predicts, so by default the queue holds at most one batch (`max_queue = max_batch_size`) and a
request that does not fit is refused at once (QueueFullError: HTTP 503 with Retry-After) rather than
left to time out. A larger `max_queue` trades the promise for fewer refusals: a request may then wait
ceil(max_queue / max_batch_size) predicts. Requests of `max_batch_size` rows or more are not
queued; they are predicted as they come (`direct`).

Python threads take turns holding the interpreter lock, so a wake-up can be late by up to the
switch interval; `serve` sets it to 2 ms (from CPython's 5 ms; see serving.app.SWITCH_INTERVAL).
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from mloop.core.errors import MloopError

#: predicts the rows of several requests at once: (requests' payloads) -> one result per request
BatchPredict = Callable[[Sequence[Any]], Sequence[Any]]


class QueueFullError(MloopError):
    """The batching queue cannot take this request without breaking its wait promise."""


@dataclass
class BatchStats:
    """What the batcher reports after each batch (for metrics): rows, per-request waits, predict time."""

    rows: int
    waits: list[float]
    predict_seconds: float
    #: how long after it was due (deadline or full, and the previous predict over) the batch
    #: started: the operating system's and the interpreter's share of the waits, not the batcher's
    late: float = 0.0


@dataclass
class _Pending:
    payload: Any
    rows: int
    enqueued: float
    future: asyncio.Future[Any]
    loop: asyncio.AbstractEventLoop


@dataclass
class MicroBatcher:
    predict: BatchPredict
    max_batch_size: int = 64
    max_wait_ms: float = 0.0
    max_queue: int | None = None
    on_batch: Callable[[BatchStats], None] | None = None
    name: str = "model"
    _queue: deque[_Pending] = field(default_factory=deque, init=False)
    _queued_rows: int = field(default=0, init=False)
    _condition: threading.Condition = field(default_factory=threading.Condition, init=False)
    _thread: threading.Thread | None = field(default=None, init=False)
    _closed: bool = field(default=False, init=False)
    _previous_end: float = field(default=0.0, init=False)

    def __post_init__(self) -> None:
        if self.max_batch_size < 1:
            raise ValueError("max_batch_size must be at least 1")
        if self.max_wait_ms < 0:
            raise ValueError("max_wait_ms cannot be negative")
        if self.max_queue is None:
            self.max_queue = self.max_batch_size
        self._max_wait = self.max_wait_ms / 1000.0
        self._limit = max(self.max_queue, 1)

    @property
    def queued_rows(self) -> int:
        return self._queued_rows

    async def submit(self, payload: Any, rows: int = 1) -> Any:
        """The result for `payload` (`rows` rows), predicted within a batch; QueueFullError when full."""
        loop = asyncio.get_running_loop()
        item = _Pending(payload, rows, time.perf_counter(), loop.create_future(), loop)
        with self._condition:
            if self._closed:
                raise QueueFullError(f"{self.name} is shutting down")
            if self._queued_rows + rows > self._limit:
                raise QueueFullError(f"{self.name}: the batching queue is full ({self._queued_rows} rows waiting)")
            self._queue.append(item)
            self._queued_rows += rows
            if self._thread is None:
                self._thread = threading.Thread(target=self._work, name=f"mloop-batch-{self.name}", daemon=True)
                self._thread.start()
            self._condition.notify()
        return await item.future

    def close(self, timeout: float = 10.0) -> None:
        """Predict what is queued, then stop the worker thread."""
        with self._condition:
            self._closed = True
            self._condition.notify()
        if self._thread is not None:
            self._thread.join(timeout)

    def _work(self) -> None:
        while True:
            batch = self._next_batch()
            if batch is None:
                return
            self._run(batch)

    def _next_batch(self) -> list[_Pending] | None:
        with self._condition:
            while not self._queue:
                if self._closed:
                    return None
                self._condition.wait()
            deadline = self._queue[0].enqueued + self._max_wait
            while self._queued_rows < self.max_batch_size and not self._closed:
                remaining = deadline - time.perf_counter()
                if remaining <= 0:
                    break
                self._condition.wait(remaining)
            batch, rows = [], 0
            while self._queue and rows + self._queue[0].rows <= self.max_batch_size:
                item = self._queue.popleft()
                rows += item.rows
                batch.append(item)
            if not batch:  # a queued request bigger than a batch (max_queue > max_batch_size): alone
                batch.append(self._queue.popleft())
                rows = batch[0].rows
            self._queued_rows -= rows
            return batch

    def _due(self, batch: list[_Pending]) -> float:
        """When the batcher's rules let `batch` start: its oldest request's deadline, or the moment
        it was full if sooner, but not before the previous predict ended."""
        due, rows = batch[0].enqueued + self._max_wait, 0
        for item in batch:
            rows += item.rows
            if rows >= self.max_batch_size:
                due = min(due, item.enqueued)
                break
        return max(due, self._previous_end)

    def _run(self, batch: list[_Pending]) -> None:
        started = time.perf_counter()
        late = max(0.0, started - self._due(batch))
        waits = [started - item.enqueued for item in batch]
        try:
            results: Sequence[Any] | BaseException = self.predict([item.payload for item in batch])
        except BaseException as exc:  # delivered to every request of the batch
            results = exc
        self._previous_end = time.perf_counter()
        elapsed = self._previous_end - started
        by_loop: dict[asyncio.AbstractEventLoop, list[tuple[asyncio.Future[Any], Any]]] = {}
        for index, item in enumerate(batch):
            outcome = results if isinstance(results, BaseException) else results[index]
            by_loop.setdefault(item.loop, []).append((item.future, outcome))
        for loop, outcomes in by_loop.items():
            with contextlib.suppress(RuntimeError):  # a closed event loop: nobody waits for these results
                loop.call_soon_threadsafe(_deliver, outcomes)
        if self.on_batch is not None:
            self.on_batch(BatchStats(sum(item.rows for item in batch), waits, elapsed, late))


def _deliver(outcomes: list[tuple[asyncio.Future[Any], Any]]) -> None:
    for future, outcome in outcomes:
        if future.done():  # the request was cancelled (client gone)
            continue
        if isinstance(outcome, BaseException):
            future.set_exception(outcome)
        else:
            future.set_result(outcome)
