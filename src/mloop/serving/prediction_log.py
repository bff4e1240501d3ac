"""The prediction logger: every predicted batch written asynchronously, in bulk.

    logger = PredictionLogger()                  # the current workspace
    logger.log(PredictionBatch(request_ids=[...], model="fraud", version=3, inputs=frame,
                               outputs={"prediction": labels, "probabilities": proba}, ...))
    logger.close()                                # at shutdown: everything logged is written

`log` appends the batch to an in-memory buffer and returns: no encoding, no I/O, no waiting on
the writer. A writer thread flushes the buffer every `flush_seconds`, or as soon as it holds
`flush_rows` rows: a flush of fewer than `spill_rows` rows is one INSERT statement into the
metadata database; a larger one is one Parquet file per model under `folder` (its values as typed
columns, see prediction_batch; temp file + rename), recorded as a segment row (prediction_sink). A failing
database is retried, counted in `stats.errors` and retried again at the next flush; it never
raises into the caller. Only past `max_buffer_rows` rows held for retry are the oldest given up
(counted in `stats.dropped`).

The spilled files of a busy logger are merged every `compact_seconds` and at close (see
prediction_compaction), so a long window is a few files, not one per flush.

Parquet files are written to the local state folder (`.mloop/predictions/<model>/date=YYYY-MM-DD/`);
when the artifact store is one other machines reach (S3, a team server), each is also stored there
and recorded by its digest, so monitors and readers anywhere see it (see prediction_segments).
"""

from __future__ import annotations

import atexit
import logging
import os
import signal
import threading
import time
import weakref
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mloop.serving.prediction_batch import PredictionBatch, check_batch, encode_batches
from mloop.serving.prediction_sink import PendingWrite, PredictionSink

if TYPE_CHECKING:
    import pyarrow as pa

    from mloop.stores.workspace import Workspace

_log = logging.getLogger("mloop.serving.prediction_log")
#: pauses between the attempts of one write (then the rows wait for the next flush)
RETRY_DELAYS = (0.05, 0.2, 0.5)
_OPEN: weakref.WeakSet[LogBuffer] = weakref.WeakSet()


@dataclass(frozen=True)
class LoggerStats:
    """Rows (requests) so far: logged by callers, written (database + Parquet), of those spilled to
    Parquet, given up (`dropped`: malformed batches, or past the retry buffer), still `pending`;
    `errors` counts failed write attempts and malformed batches; `writer_cpu_seconds` is the CPU
    time of the writer thread (encoding, writing, compaction): what logging costs the process
    beyond one append per batch."""

    logged: int
    written: int
    spilled: int
    errors: int
    dropped: int
    pending: int
    writer_cpu_seconds: float = field(default=0.0, compare=False)  # not part of what two stats agree on


class _Later:
    """A batch to be made by the writer (see `log_later`); a plain class with slots, as one is
    made per micro-batch on the batching thread (a frozen dataclass costs 3× as much)."""

    __slots__ = ("make", "requests")

    def __init__(self, make: Callable[[], PredictionBatch], requests: int) -> None:
        self.make, self.requests = make, requests

    def __len__(self) -> int:
        return self.requests


class LogBuffer:
    """What a prediction logger's callers see: `log` and `log_later` append to a buffer (no
    encoding, no I/O, no lock); a subclass's writer takes the buffer (`_drain`) and writes it."""

    def __init__(self, workspace: Workspace | None, flush_rows: int, flush_seconds: float, spill_rows: int,
                 max_buffer_rows: int, on_flush: Callable[[LoggerStats], None] | None) -> None:
        from mloop.core.errors import ValidationError
        from mloop.stores.workspace import get_workspace

        for name, value in (("flush_rows", flush_rows), ("spill_rows", spill_rows),
                            ("max_buffer_rows", max_buffer_rows)):
            if value < 1:
                raise ValidationError(f"{name} must be at least 1, not {value}")
        if flush_seconds <= 0:
            raise ValidationError(f"flush_seconds must be positive, not {flush_seconds}")
        self.flush_rows, self.flush_seconds, self.spill_rows = flush_rows, flush_seconds, spill_rows
        self.max_buffer_rows = max_buffer_rows
        self.workspace = workspace or get_workspace()
        self.on_flush = on_flush  # told the stats after each of the writer's rounds (e.g. to export them)
        self._pending: deque[PredictionBatch | _Later] = deque()
        self._pending_rows = 0
        # re-entrant: a SIGTERM handler may close the logger while this thread is inside log/flush
        self._lock = threading.RLock()
        self._wake = threading.Event()
        self._closed = False
        self._refused = 0  # rows handed over after close

    def log(self, batch: PredictionBatch) -> None:
        """Hand a batch to the log (an append to a buffer; never raises, never waits on I/O)."""
        if batch.time is None:
            batch.time = datetime.now(timezone.utc)
        if self._closed:
            self._refuse(len(batch.request_ids), f" of {batch.model}")
            return
        # No lock here: deque.append is atomic, and the row count only decides when to wake the
        # writer (an update lost to a race delays a flush by at most flush_seconds).
        self._pending.append(batch)
        self._pending_rows += len(batch.request_ids)
        if self._pending_rows >= self.flush_rows and not self._wake.is_set():
            self._wake.set()

    def log_later(self, make: Callable[[], PredictionBatch], requests: int) -> None:
        """Like `log`, for a batch the writer makes when it flushes (`make()`, called once;
        `requests`: how many it holds, for the flush threshold and `stats.pending` until then).
        The caller's thread does one append: a server's batching thread hands over what it
        answered without holding the interpreter lock while the event loop wants it back.
        A logger whose writer is another process pickles `make`: pass a picklable callable."""
        if self._closed:  # counted as dropped, with a warning, without making the batch
            self._refuse(requests, "")
            return
        self._pending.append(_Later(make, requests))
        self._pending_rows += requests
        if self._pending_rows >= self.flush_rows and not self._wake.is_set():
            self._wake.set()

    def _refuse(self, rows: int, what: str) -> None:
        with self._lock:
            self._refused += rows
        _log.warning("prediction logger is closed: %d prediction(s)%s were not logged", rows, what)

    def _drain(self) -> list[PredictionBatch | _Later]:
        """Everything buffered so far (batches logged meanwhile stay for the next flush)."""
        self._pending_rows = 0
        items: list[PredictionBatch | _Later] = []
        while True:
            try:
                items.append(self._pending.popleft())
            except IndexError:
                return items

    def _start_writer(self) -> None:
        """Start the writer thread (`_run`); the logger is closed at exit and on SIGTERM."""
        self._thread = threading.Thread(target=self._run, name="mloop-prediction-log", daemon=True)
        self._thread.start()
        _OPEN.add(self)
        _install_exit_hooks()

    def _stop_writer(self) -> bool:
        """Mark the logger closed and let the writer thread finish its last round; False when it
        was closed already."""
        with self._lock:
            if self._closed:
                return False
            self._closed = True
        self._wake.set()
        if threading.current_thread() is not self._thread:
            self._thread.join(timeout=10.0)  # it was woken; bounded, in case this thread holds a write lock
        return True

    def _run(self) -> None:
        raise NotImplementedError

    def _buffered(self) -> int:
        return sum(len(item) for item in list(self._pending))  # list(deque) is atomic

    def __enter__(self) -> LogBuffer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        raise NotImplementedError


class PredictionLogger(LogBuffer):
    def __init__(self, workspace: Workspace | None = None, *, flush_rows: int = 1024, flush_seconds: float = 1.0,
                 spill_rows: int = 5000, folder: str | os.PathLike[str] | None = None,
                 max_buffer_rows: int = 1_000_000, compact_seconds: float = 60.0,
                 on_flush: Callable[[LoggerStats], None] | None = None) -> None:
        super().__init__(workspace, flush_rows, flush_seconds, spill_rows, max_buffer_rows, on_flush)
        self.folder = Path(folder) if folder is not None else self.workspace.settings.state_dir / "predictions"
        self._writer_cpu = 0.0
        self._failed: deque[PendingWrite] = deque()
        #: rows: taken from the buffer by the writer, written, spilled; errors; rows given up
        self._counts = {"taken": 0, "written": 0, "spilled": 0, "errors": 0, "dropped": 0}
        self._write_lock = threading.RLock()
        self._duckdb: Any = None  # the writer's JSON encoder, opened on the first flush
        self._sink = PredictionSink(self.workspace, self.folder, spill_rows, compact_seconds)
        self._start_writer()

    def flush(self) -> None:
        """Write everything logged so far (in the calling thread); rows whose write fails stay
        buffered for the next flush."""
        with self._write_lock:
            self._write_pending()

    def close(self) -> None:
        """Stop the writer and write everything logged: nothing is lost on a graceful shutdown.
        Idempotent; also run at interpreter exit and on SIGTERM (when nothing else handles it)."""
        if not self._stop_writer():
            return
        self.flush()
        if self._failed or self._pending:  # a failing database, or a log() that raced with close: once more
            time.sleep(RETRY_DELAYS[-1] if self._failed else 0)
            self.flush()
        with self._write_lock:
            self._sink.compactor.compact(final=True)
            if self._duckdb is not None:
                self._duckdb.close()
                self._duckdb = None
        lost = sum(w.table.num_rows for w in self._failed)
        if lost:
            with self._lock:
                self._counts["dropped"] += lost
            self._failed.clear()
            _log.error("prediction logger closed with %d prediction(s) not written (see the errors above)", lost)
        _OPEN.discard(self)

    @property
    def stats(self) -> LoggerStats:
        buffered = self._buffered()
        with self._lock:
            counts = dict(self._counts)
            counts["dropped"] += self._refused
            held = sum(w.table.num_rows for w in list(self._failed))
        taken = counts.pop("taken")
        return LoggerStats(logged=taken + buffered, pending=buffered + held, writer_cpu_seconds=self._writer_cpu,
                           **counts)

    # ------------------------------------------------------------------ writer side

    def _run(self) -> None:
        while True:
            self._wake.wait(self.flush_seconds)
            self._wake.clear()
            closing = self._closed
            try:
                self.flush()
                if not closing and self._sink.compactor.due():
                    with self._write_lock:
                        self._sink.compactor.compact()
            except Exception:  # never let the writer die: the rows stay buffered, counted as an error
                _log.exception("prediction logger: flush failed")
                with self._lock:
                    self._counts["errors"] += 1
            self._writer_cpu = time.thread_time()  # this thread's own CPU since it started
            if self.on_flush is not None:
                try:
                    self.on_flush(self.stats)
                except Exception:
                    _log.exception("prediction logger: on_flush failed")
            if closing:
                return

    def _take(self) -> list[PredictionBatch]:
        """Everything buffered so far (batches logged meanwhile stay for the next flush); batches
        logged with `log_later` are made now."""
        batches: list[PredictionBatch] = []
        failed = 0
        for item in self._drain():
            if isinstance(item, _Later):
                try:
                    batches.append(item.make())
                except Exception:  # the caller's bug: say so, keep the others
                    _log.exception("prediction batch dropped: it could not be made")
                    failed += item.requests
                continue
            batches.append(item)
        with self._lock:
            self._counts["taken"] += sum(len(b) for b in batches) + failed
            if failed:
                self._counts["errors"] += 1
                self._counts["dropped"] += failed
        return batches

    def _write_pending(self) -> None:
        batches = self._take()
        if batches:
            table = self._encode(batches)
            if table is not None and table.num_rows:
                self._failed.append(PendingWrite(table))
        while self._failed:
            write = self._failed[0]
            if not self._store(write):
                self._trim_failed()
                return
            self._failed.popleft()

    def _encode(self, batches: list[PredictionBatch]) -> pa.Table | None:
        good = []
        for batch in batches:
            try:
                check_batch(batch)
            except Exception as exc:  # a malformed batch is the caller's bug: say so, keep the others
                _log.error("prediction batch dropped: %s", exc)
                with self._lock:
                    self._counts["errors"] += 1
                    self._counts["dropped"] += len(batch.request_ids)
                continue
            good.append(batch)
        if not good:
            return None
        try:
            if self._duckdb is None:
                from mloop.quality.inputs import duckdb_module

                self._duckdb = duckdb_module().connect()
            # a flush that will be spilled keeps its values as typed columns (see prediction_batch)
            return encode_batches(good, self._duckdb, typed=sum(len(b) for b in good) >= self.spill_rows)
        except Exception:
            _log.exception("prediction batches dropped: they could not be encoded")
            with self._lock:
                self._counts["errors"] += 1
                self._counts["dropped"] += sum(len(b) for b in good)
            return None

    def _store(self, write: PendingWrite) -> bool:
        """Write the rows (retried a few times); False when every attempt failed."""
        for attempt, delay in enumerate((0.0, *RETRY_DELAYS)):
            if delay:
                time.sleep(delay)
            try:
                spilled = self._sink.store(write)
            except Exception as exc:
                with self._lock:
                    self._counts["errors"] += 1
                _log.warning("prediction log write failed (attempt %d): %s", attempt + 1, exc)
                continue
            with self._lock:
                self._counts["written"] += write.table.num_rows
                self._counts["spilled"] += write.table.num_rows if spilled else 0
            return True
        return False

    def _trim_failed(self) -> None:
        held = sum(w.table.num_rows for w in self._failed)
        while self._failed and held > self.max_buffer_rows:
            lost = self._failed.popleft().table.num_rows
            held -= lost
            with self._lock:
                self._counts["dropped"] += lost
            _log.error("prediction log: %d prediction(s) given up after repeated write failures", lost)


def close_all() -> None:
    """Close every open logger (at interpreter exit; on SIGTERM)."""
    for logger in list(_OPEN):
        logger.close()


_HOOKS: dict[str, Any] = {}


def _install_exit_hooks() -> None:
    """atexit once; and a SIGTERM handler when the process has none of its own (a server such as
    uvicorn installs its own and closes the logger in its shutdown): the loggers are closed, then
    the signal is delivered again with its default action, so the exit status is unchanged."""
    if _HOOKS:
        return
    _HOOKS["atexit"] = atexit.register(close_all)
    if threading.current_thread() is not threading.main_thread():
        return
    if signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:

        def on_sigterm(signum: int, _frame: Any) -> None:
            close_all()
            signal.signal(signum, signal.SIG_DFL)
            os.kill(os.getpid(), signum)

        signal.signal(signal.SIGTERM, on_sigterm)
        _HOOKS["sigterm"] = on_sigterm
