"""The server's Prometheus metrics (prometheus_client): requests, latency, batch sizes, queue waits,
predict times, errors, swaps, and the prediction log's rows and writer CPU. With several worker processes they are shared through files in
PROMETHEUS_MULTIPROC_DIR (set by `serve` before the workers start), so any worker's /metrics
answers for all of them.

Besides the histograms, the largest queue wait and predict time seen are kept as gauges: the
batching promises ("no batch above max_batch_size", "no wait above max_wait + one predict") are
checked against exact values, not bucket bounds.
"""

from __future__ import annotations

import os
from typing import Any

from mloop.serving.batching import BatchStats

_LATENCY = (0.0005, 0.001, 0.002, 0.003, 0.005, 0.0075, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)
_SIZES = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 4096)
#: routes a model answers: their requests and errors are what the error_rate monitor reads
MODEL_ROUTES = frozenset({"/predict", "/v2/infer"})


class ServerMetrics:
    def __init__(self, max_batch_size: int) -> None:
        from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

        self.multiprocess = bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))
        self.registry = CollectorRegistry(auto_describe=True)
        # in multiprocess mode values live in files; the collector reads them at scrape time
        where: dict[str, Any] = {} if self.multiprocess else {"registry": self.registry}
        gauge_mode: dict[str, Any] = {"multiprocess_mode": "max"} if self.multiprocess else {}
        sizes = tuple(sorted({*_SIZES, max_batch_size}))
        self.requests = Counter("mloop_requests", "Requests answered, by route and status code.",
                                ["route", "code"], **where)
        self.latency = Histogram("mloop_request_latency_seconds", "Time from request to response.", ["route"],
                                 buckets=_LATENCY, **where)
        self.predictions = Counter("mloop_predictions", "Rows predicted, by model version and role.",
                                   ["version", "role"], **where)
        self.batch_size = Histogram("mloop_batch_size", "Rows per predict call of the micro-batcher.", ["version"],
                                    buckets=sizes, **where)
        self.queue_wait = Histogram("mloop_queue_wait_seconds", "Time a request waited in the batching queue.",
                                    ["version"], buckets=_LATENCY, **where)
        self.predict_time = Histogram("mloop_predict_seconds", "Time of one predict call.", ["version"],
                                      buckets=_LATENCY, **where)
        self.queue_wait_max = Gauge("mloop_queue_wait_max_seconds", "Longest wait in the batching queue so far.",
                                    ["version"], **where, **gauge_mode)
        self.predict_max = Gauge("mloop_predict_max_seconds", "Longest predict call so far.", ["version"],
                                 **where, **gauge_mode)
        self.late_max = Gauge("mloop_dispatch_late_max_seconds",
                              "Longest a batch started after its rules allowed (scheduling delay) so far.",
                              ["version"], **where, **gauge_mode)
        self.batch_max = Gauge("mloop_batch_size_max", "Largest batch so far.", ["version"], **where, **gauge_mode)
        self.rejected = Counter("mloop_queue_rejected", "Requests refused with 503 because the queue was full.",
                                ["version"], **where)
        self.errors = Counter("mloop_errors", "Requests that failed, by reason.", ["reason"], **where)
        self.swaps = Counter("mloop_swaps", "Version switches (switched=true) and refused candidates.",
                             ["role", "switched"], **where)
        live: dict[str, Any] = {"multiprocess_mode": "livesum"} if self.multiprocess else {}
        self.log_rows = Gauge("mloop_prediction_log_rows",
                              "Prediction log rows so far: logged, written, spilled (to Parquet), dropped, pending.",
                              ["state"], **where, **live)
        self.log_cpu = Gauge("mloop_prediction_log_writer_cpu_seconds",
                             "CPU time of the prediction log's writer: its process (encoding, writing, "
                             "compaction) and the server's sending thread.",
                             **where, **live)
        self._max: dict[tuple[str, str], float] = {}
        #: requests on MODEL_ROUTES answered by this process, then those answered 4xx and 5xx (the
        #: deployment's heartbeat writes them to the metadata store)
        self.answered = [0, 0, 0]

    def count(self, route: str, code: int) -> None:
        self.requests.labels(route, str(code)).inc()
        if route in MODEL_ROUTES:
            answered = self.answered
            answered[0] += 1
            if code >= 500:
                answered[2] += 1
            elif code >= 400:
                answered[1] += 1

    def observe_batch(self, version: str, stats: BatchStats) -> None:
        self.batch_size.labels(version).observe(stats.rows)
        self.predict_time.labels(version).observe(stats.predict_seconds)
        wait = self.queue_wait.labels(version)
        for seconds in stats.waits:
            wait.observe(seconds)
        self._raise("wait", version, max(stats.waits), self.queue_wait_max)
        self._raise("predict", version, stats.predict_seconds, self.predict_max)
        self._raise("batch", version, stats.rows, self.batch_max)
        self._raise("late", version, stats.late, self.late_max)

    def observe_log(self, stats: Any) -> None:
        """The prediction logger's LoggerStats (after each of its writer's rounds)."""
        for state in ("logged", "written", "spilled", "dropped", "pending"):
            self.log_rows.labels(state).set(getattr(stats, state))
        self.log_cpu.set(stats.writer_cpu_seconds)

    def _raise(self, what: str, version: str, value: float, gauge: Any) -> None:
        key = (what, version)
        if value > self._max.get(key, -1.0):
            self._max[key] = value
            gauge.labels(version).set(value)

    def render(self) -> tuple[bytes, str]:
        from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

        if not self.multiprocess:
            return generate_latest(self.registry), CONTENT_TYPE_LATEST
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return generate_latest(registry), CONTENT_TYPE_LATEST
