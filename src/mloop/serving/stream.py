"""Scoring a Redis Stream with a consumer group: read a micro-batch, score it in one predict call,
write one result per input to the sink stream, and only then acknowledge the inputs.

At-least-once: an entry is acknowledged after its result (or its dead letter) is stored, so a
consumer killed at any point leaves its entries pending, and they are scored again, by the same
consumer when it restarts under its name (it re-reads its own pending entries first) or by any
consumer of the group once they have been idle `claim_idle_ms` (XAUTOCLAIM). A result can thus
appear twice; none is ever missing. Entries that do not fit the model's signature go, with the
reason, to the dead-letter stream `<sink stream>:dead` and are acknowledged: they never block
the stream.
"""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from mloop.core.errors import ConfigError, ValidationError
from mloop.core.urls import redacted
from mloop.registry import adapters
from mloop.serving.deployments import Heartbeat, start_deployment, stop_deployment
from mloop.serving.stream_address import StreamAddress, default_consumer, redis_module
from mloop.serving.stream_entries import EntryBatch, dead_letter_fields, read_entries, result_fields
from mloop.stores.workspace import Workspace, get_workspace

if TYPE_CHECKING:
    from mloop.registry.loaded import LoadedModel

DEFAULT_GROUP = "mloop"
DEAD_LETTER_SUFFIX = ":dead"
Entries = list[tuple[str, dict[str, str] | None]]


@dataclass
class StreamStats:
    """What one `run` did. `pending` is the group's entries delivered and not yet acknowledged
    (by any consumer) when the run ended."""

    model_version: str
    source: str
    sink: str
    group: str
    consumer: str
    scored: int = 0
    dead_lettered: int = 0
    claimed: int = 0  # taken over from other consumers (counted in scored/dead_lettered too)
    skipped: int = 0  # pending entries deleted from the stream before they were scored
    batches: int = 0
    seconds: float = 0.0
    pending: int | None = None
    stopped_by: str = "running"  # "max_entries", "stop" (the event, SIGTERM or Ctrl-C)
    started: float = field(default_factory=time.monotonic, repr=False)

    @property
    def entries(self) -> int:
        """Entries handled: scored or dead-lettered."""
        return self.scored + self.dead_lettered

    @property
    def rows_per_s(self) -> float:
        return self.entries / self.seconds if self.seconds > 0 else 0.0

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("started")
        return {**data, "entries": self.entries, "rows_per_s": self.rows_per_s}


class StreamScorer:
    """Scores `source` into `sink` with `model_ref` ('fraud@champion', 'fraud/3'). The group and
    consumer come from these arguments, else from the source URL's `group=`/`consumer=`, else
    'mloop' and '<host>-<pid>'. Give a stable consumer name to have a restarted process finish its
    own pending entries at once rather than after `claim_idle_ms`. The constructor checks its
    arguments and does no I/O; `open()` (called by `run`) loads the model and connects."""

    def __init__(self, model_ref: str, source: str, sink: str, *, group: str | None = None,
                 consumer: str | None = None, batch_size: int = 256, block_ms: int = 100,
                 claim_idle_ms: int = 30_000, workspace: Workspace | None = None,
                 on_batch: Callable[[StreamStats], None] | None = None, poll_seconds: float = 2.0) -> None:
        for name, value, least in (("batch_size", batch_size, 1), ("block_ms", block_ms, 1),
                                   ("claim_idle_ms", claim_idle_ms, 1)):
            if not isinstance(value, int) or value < least:
                raise ConfigError(f"{name} must be a whole number >= {least}, got {value!r}")
        self.model_ref = model_ref
        self.source = StreamAddress.parse(source, "source")
        self.sink = StreamAddress.parse(sink, "sink")
        self.group = group or self.source.group or DEFAULT_GROUP
        self.consumer = consumer or self.source.consumer or default_consumer()
        self._named = bool(consumer or self.source.consumer)
        self.batch_size, self.block_ms, self.claim_idle_ms = batch_size, block_ms, claim_idle_ms
        self.dead_letter_stream = self.sink.stream + DEAD_LETTER_SUFFIX
        self._workspace = workspace
        self._on_batch = on_batch
        self.poll_seconds = poll_seconds
        self._deployment: str | None = None
        redis_module()  # the extra's absence is a setup error: say so before any work
        self._model: LoadedModel | None = None
        self._source_client: Any = None
        self._sink_client: Any = None

    # ------------------------------------------------------------------ setup

    def open(self) -> StreamScorer:
        """Resolve and load the model, reach both Redis servers, create the group if missing
        (from the stream's start, creating the stream). Idempotent."""
        if self._model is None:
            from mloop.registry.versions import get_model_version

            version = get_model_version(self.model_ref, workspace=self._workspace)
            if version.signature is None:
                raise ConfigError(f"{version.ref} has no signature, so stream entries cannot be read as its "
                                  "input; register it again with its training data")
            self._model = version.load()
        if self._source_client is None:
            self._source_client = self._connect(self.source)
            self._sink_client = self._connect(self.sink) if self.sink.client_url != self.source.client_url \
                else self._source_client
            self._create_group()
        return self

    def _connect(self, address: StreamAddress) -> Any:
        client = address.connect(self.block_ms)
        try:
            client.ping()
        except redis_module().RedisError as exc:
            client.close()
            raise address.error(exc) from exc
        return client

    def _create_group(self) -> None:
        try:
            self._source_client.xgroup_create(self.source.stream, self.group, id="0", mkstream=True)
        except redis_module().ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise self.source.error(exc) from exc

    def close(self) -> None:
        for client in {id(c): c for c in (self._source_client, self._sink_client) if c is not None}.values():
            client.close()
        self._source_client = self._sink_client = None

    def __enter__(self) -> StreamScorer:
        return self.open()

    def __exit__(self, *exc: Any) -> None:
        self.close()

    @property
    def model(self) -> LoadedModel:
        if self._model is None:
            self.open()
        assert self._model is not None
        return self._model

    # ------------------------------------------------------------------ running

    def run(self, stop: threading.Event | None = None, max_entries: int | None = None) -> StreamStats:
        """Score until `stop` is set (SIGTERM and Ctrl-C set it too, in the main thread) or
        `max_entries` entries were handled. The batch in hand is always finished and acknowledged."""
        if max_entries is not None and max_entries < 1:
            raise ConfigError(f"max_entries must be a whole number >= 1, got {max_entries!r}")
        self.open()
        stop = stop or threading.Event()
        stats = StreamStats(self.model.version.ref, self.source.stream, self.sink.stream, self.group, self.consumer)
        restore = _stop_on_signals(stop)
        deployment, heartbeat = self._record_start()
        self._deployment = deployment
        try:
            self._loop(stats, stop, max_entries)
        except redis_module().RedisError as exc:
            raise self.source.error(exc) from exc
        finally:
            restore()
            stats.seconds = time.monotonic() - stats.started
            heartbeat.stop()
            stop_deployment(deployment, self._store_workspace)
        stats.stopped_by = "max_entries" if max_entries is not None and stats.entries >= max_entries else "stop"
        stats.pending = self.pending()
        self._forget_consumer()
        return stats

    @property
    def _store_workspace(self) -> Workspace:
        return self._workspace or get_workspace()

    def _record_start(self) -> tuple[str, Heartbeat]:
        """This consumer as a deployment (mode "stream") in the metadata store, with its heartbeat."""
        version = self.model.version
        deployment = start_deployment(version.name, self.model_ref, version.ref, mode="stream",
                                      url=f"{redacted(self.source.url)} -> {redacted(self.sink.url)}",
                                      workspace=self._store_workspace)
        heartbeat = Heartbeat(deployment, self._store_workspace)
        heartbeat.start()
        return deployment, heartbeat

    def _loop(self, stats: StreamStats, stop: threading.Event, max_entries: int | None) -> None:
        def room() -> int:
            return self.batch_size if max_entries is None else min(self.batch_size, max_entries - stats.entries)

        own_cursor: str | None = "0"  # this consumer's pending entries first, then new ones
        claim_cursor, next_claim = "0-0", 0.0
        claim_every = max(self.claim_idle_ms / 2000, self.block_ms / 1000)
        from mloop.serving.stream_follow import AliasFollower

        follower = AliasFollower(self.model_ref, self._store_workspace, self.poll_seconds)
        while not stop.is_set() and room() > 0:
            newer = follower.newer(self.model, self._deployment)  # between batches: a batch is scored by one version
            if newer is not None:
                self._model = newer
                stats.model_version = newer.version.ref
            if own_cursor is not None:
                entries = self._read(own_cursor, room(), block=False)
                own_cursor = entries[-1][0] if entries else None
                if entries:
                    self._score(entries, stats)
                continue
            if time.monotonic() >= next_claim:
                claim_cursor, entries = self._claim(claim_cursor, room(), stats)
                if claim_cursor == "0-0":  # went round the whole pending list
                    next_claim = time.monotonic() + claim_every
                if entries:
                    stats.claimed += len(entries)
                    self._score(entries, stats)
                    continue
            entries = self._read(">", room(), block=True)
            if entries:
                self._score(entries, stats)

    def _read(self, cursor: str, count: int, block: bool) -> Entries:
        reply = self._source_client.xreadgroup(self.group, self.consumer, {self.source.stream: cursor},
                                               count=count, block=self.block_ms if block else None)
        return list(reply[0][1]) if reply else []

    def _claim(self, cursor: str, count: int, stats: StreamStats) -> tuple[str, Entries]:
        reply = self._source_client.xautoclaim(self.source.stream, self.group, self.consumer,
                                               min_idle_time=self.claim_idle_ms, start_id=cursor, count=count)
        next_cursor, entries = reply[0], list(reply[1])
        if len(reply) > 2 and reply[2]:
            stats.skipped += len(reply[2])  # deleted from the stream: Redis already dropped them from the group
        return next_cursor, entries

    def _score(self, entries: Entries, stats: StreamStats) -> None:
        """Score one batch, store its results and dead letters in one round trip, then ack it."""
        live = [(entry_id, values) for entry_id, values in entries if values]
        if len(live) < len(entries):
            stats.skipped += len(entries) - len(live)
        model = self.model
        assert model.signature is not None
        batch = read_entries(live, model.signature)
        results, dead = self._predict(batch, model)
        if results or dead:
            pipe = self._sink_client.pipeline(transaction=False)
            for values in results:
                pipe.xadd(self.sink.stream, values, maxlen=self.sink.maxlen, approximate=True)
            for values in dead:
                pipe.xadd(self.dead_letter_stream, values)
            try:
                pipe.execute()  # raises if any write failed: then nothing is acknowledged
            except redis_module().RedisError as exc:
                raise self.sink.error(exc) from exc
        self._source_client.xack(self.source.stream, self.group, *[entry_id for entry_id, _ in entries])
        stats.scored += len(results)
        stats.dead_lettered += len(dead)
        stats.batches += 1
        stats.seconds = time.monotonic() - stats.started
        if self._on_batch is not None:
            self._on_batch(stats)

    def _predict(self, batch: EntryBatch, model: LoadedModel) -> tuple[list[dict[str, str]], list[dict[str, str]]]:
        ref = model.version.ref
        if len(batch.valid):
            try:
                frame = model.prepare(batch.frame)
            except ValidationError:  # a check the entry conversion does not make: find the entries
                _reject_by_halves(batch, model)
                frame = model.prepare(batch.frame) if len(batch.valid) else None
            if frame is not None:
                predictions = adapters.predict(model.model, frame)
                probabilities = _probabilities(model.model, frame)
                return (result_fields(batch, predictions, probabilities, adapters.classes(model.model), ref),
                        dead_letter_fields(batch, ref))
        return [], dead_letter_fields(batch, ref)

    # ------------------------------------------------------------------ state

    def pending(self) -> int:
        """Entries of the group delivered to some consumer and not acknowledged yet."""
        self.open()
        try:
            summary = self._source_client.xpending(self.source.stream, self.group)
        except redis_module().RedisError as exc:
            raise self.source.error(exc) from exc
        return int(summary["pending"])

    def _forget_consumer(self) -> None:
        """A generated consumer name is never used again: drop it from the group when it holds
        nothing (a consumer holding pending entries stays, so they can be claimed)."""
        if self._named:
            return
        try:
            mine = self._source_client.xpending_range(self.source.stream, self.group, min="-", max="+", count=1,
                                                      consumername=self.consumer)
            if not mine:
                self._source_client.xgroup_delconsumer(self.source.stream, self.group, self.consumer)
        except redis_module().RedisError:
            pass  # housekeeping only


def _probabilities(model: Any, frame: Any) -> Any:
    try:
        return adapters.predict_proba(model, frame)
    except (AttributeError, NotImplementedError):  # e.g. an SVC without probability=True
        return None


def _reject_by_halves(batch: EntryBatch, model: LoadedModel) -> None:
    """Find the rows of `batch.frame` the signature refuses by checking halves, and move them to
    `batch.rejected` with the signature's reason (only runs when a batch as a whole is refused)."""
    import numpy as np

    signature = model.signature
    assert signature is not None
    refused: list[int] = []

    def check(rows: np.ndarray) -> None:
        problems = signature.problems(batch.frame.iloc[rows])
        if not problems:
            return
        if len(rows) == 1:
            refused.append(int(rows[0]))
            batch.rejected.setdefault(int(batch.valid[rows[0]]), []).extend(problems)
            return
        middle = len(rows) // 2
        check(rows[:middle])
        check(rows[middle:])

    check(np.arange(len(batch.valid)))
    keep = np.setdiff1d(np.arange(len(batch.valid)), refused)
    batch.frame = batch.frame.iloc[keep].reset_index(drop=True)
    batch.valid = batch.valid[keep]


def _stop_on_signals(stop: threading.Event) -> Callable[[], None]:
    """SIGTERM and the first Ctrl-C set `stop` (the batch in hand is finished); a second Ctrl-C
    interrupts at once (its entries stay pending, so nothing is lost). Only in the main thread."""
    if threading.current_thread() is not threading.main_thread():
        return lambda: None

    def handle(signum: int, _frame: Any) -> None:
        if signum == signal.SIGINT and stop.is_set():
            raise KeyboardInterrupt
        stop.set()

    previous = {number: signal.signal(number, handle) for number in (signal.SIGINT, signal.SIGTERM)}

    def restore() -> None:
        for number, handler in previous.items():
            signal.signal(number, handler)

    return restore


def score_stream(model_ref: str, source: str, sink: str, *, stop: threading.Event | None = None,
                 max_entries: int | None = None, **options: Any) -> StreamStats:
    """`StreamScorer(model_ref, source, sink, **options).run(stop, max_entries)` in one call."""
    with StreamScorer(model_ref, source, sink, **options) as scorer:
        return scorer.run(stop, max_entries)

