"""What `mloop serve` can set (plain data: passed to worker processes as JSON)."""

from __future__ import annotations

from dataclasses import dataclass, field

MiB = 1024 * 1024


@dataclass(frozen=True)
class BatchingOptions:
    """Micro-batching: at most `max_batch_size` rows per predict, a request waits at most
    `max_wait_ms` plus one predict; `max_queue` rows may wait (default: one batch). With
    `max_wait_ms=0` no request is held on purpose: the requests that arrive while a predict runs
    form the next batch, so batches grow with load and a lone request is answered at once."""

    max_batch_size: int = 64
    max_wait_ms: float = 0.0
    max_queue: int | None = None
    enabled: bool = True


@dataclass(frozen=True)
class ServeOptions:
    """Everything `mloop serve` can set besides the model reference."""

    batching: BatchingOptions = field(default_factory=BatchingOptions)
    canary: str | None = None
    canary_percent: float = 0.0
    shadow: str | None = None
    shadow_percent: float = 0.0
    follow: bool = True
    poll_seconds: float = 2.0
    max_body_bytes: int = 10 * MiB
    #: log every prediction (request id, version, inputs, outputs, latency) to the prediction log
    log_predictions: bool = True
    #: serve (and swap to) only versions whose latest readiness check passed
    require_ready: bool = False
    #: the deployment record this server reports swaps to (set by `serve`)
    deployment_id: str | None = None
