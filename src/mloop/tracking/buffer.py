"""The log buffer. A logging call appends a tuple to a list under a lock held only for that append
(or for swapping the list out); one writer thread per process writes what piled up, in bulk.

Written: when a batch is full (the writer is woken), every FLUSH_SECONDS, at the end of each step
(a task end hook, so also in worker processes), at the end of a run, and at interpreter exit.
A step that raises still has its values flushed by the hook; a failed write keeps them for the
next flush.
"""

from __future__ import annotations

import atexit
import logging
import os
import threading

from mloop.stores.metadata import MetadataStores
from mloop.stores.metadata.tracking_records import MetricRow, ParamRow, TagRow, TrackingBatch

FLUSH_SECONDS = 1.0
#: pending metric points that wake the writer early
BATCH_POINTS = 20_000
#: pending metric points above which the logging call writes itself (bounded memory)
MAX_PENDING = 500_000

_log = logging.getLogger("mloop.tracking")


class Sink:
    """Values waiting to be written to one metadata store (by URL)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._reset()

    def _reset(self) -> None:
        self.lock = threading.Lock()
        self.metrics: list[MetricRow] = []
        self.params: list[ParamRow] = []
        self.tags: list[TagRow] = []
        self._write_lock = threading.Lock()

    @property
    def store(self) -> MetadataStores:
        from mloop.stores.opened import metadata_stores

        return metadata_stores(self.url)

    def pending(self) -> int:
        return len(self.metrics) + len(self.params) + len(self.tags)

    def wake_writer(self) -> None:
        """Called by a logging call after it appended; cheap unless a batch is full."""
        pending = len(self.metrics)
        if pending >= MAX_PENDING:
            self.flush()
        elif pending >= BATCH_POINTS and not _WAKE.is_set():
            _WAKE.set()

    def flush(self) -> None:
        """Write everything pending now (one transaction); waits for a write already under way."""
        with self._write_lock:
            with self.lock:
                if not self.pending():
                    return
                batch = TrackingBatch(self.metrics, self.params, self.tags)
                self.metrics, self.params, self.tags = [], [], []
            try:
                self.store.tracking.log_batch(batch)
            except Exception:
                with self.lock:  # keep them, in order, for the next flush
                    self.metrics[:0], self.params[:0], self.tags[:0] = batch.metrics, batch.params, batch.tags
                raise


_SINKS: dict[str, Sink] = {}
_SINKS_LOCK = threading.Lock()
_WAKE = threading.Event()
_WRITER: list[threading.Thread] = []


def sink_for(url: str) -> Sink:
    """The sink of a metadata store URL (one per process); starts the writer thread if needed."""
    sink = _SINKS.get(url)
    if sink is None or not _WRITER:
        with _SINKS_LOCK:
            sink = _SINKS.get(url) or _SINKS.setdefault(url, Sink(url))
            if not _WRITER:
                writer = threading.Thread(target=_write_forever, name="mloop-tracking-writer", daemon=True)
                _WRITER.append(writer)
                writer.start()
    return sink


def flush(url: str | None = None) -> None:
    """Write every pending value now: of one metadata store, or of all of them."""
    for sink in list(_SINKS.values()) if url is None else [s for u, s in _SINKS.items() if u == url]:
        sink.flush()


def close_stores() -> None:
    """Write what is pending and forget every sink (e.g. between tests); mloop.stores.opened
    closes the databases."""
    with _SINKS_LOCK:
        sinks = list(_SINKS.values())
        _SINKS.clear()
    for sink in sinks:
        sink.flush()


def _write_forever() -> None:
    while True:
        _WAKE.wait(FLUSH_SECONDS)
        _WAKE.clear()
        _flush_quietly()


#: sink URL -> the last write error reported for it (said once, until a write succeeds again)
_REPORTED: dict[str, str] = {}


def _flush_quietly() -> None:
    for sink in list(_SINKS.values()):
        try:
            sink.flush()
        except Exception as exc:  # a background writer has no caller to raise to
            if _REPORTED.get(sink.url) != str(exc):  # one line per outage, not one a second
                _REPORTED[sink.url] = str(exc)
                _log.error("mloop could not write tracked values to %s: %s; they are kept and retried",
                           sink.url, exc)
        else:
            if _REPORTED.pop(sink.url, None) is not None:
                _log.warning("mloop writes tracked values to %s again", sink.url)


def _after_fork_in_child() -> None:
    # The parent's pending values are the parent's to write; its locks may be held and its
    # connections and writer thread do not exist here.
    global _SINKS_LOCK, _WAKE
    _SINKS_LOCK, _WAKE = threading.Lock(), threading.Event()
    _WRITER.clear()
    for sink in _SINKS.values():
        sink._reset()


os.register_at_fork(after_in_child=_after_fork_in_child)
atexit.register(_flush_quietly)
