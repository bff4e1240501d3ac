"""A prediction logger whose writer is a process of its own: what a server uses.

    logger = ProcessPredictionLogger(workspace, flush_rows=8192, flush_seconds=2.0, spill_rows=512)
    logger.log_later(answered, requests)          # the batching thread: one append, as before
    logger.close()                                # everything logged is written, the process ends

Encoding a flush and writing it to Parquet or the database is Python work; in the server's process
it holds the interpreter lock in bursts while the event loop wants it back after each socket call,
and that costs the server more than the work itself. Here the server's writer thread only pickles
what it took from the buffer (`answered.Answered` in its compact form) and sends it through a pipe
once per flush; a child process (`python -m mloop.serving.prediction_writer`) runs an ordinary
PredictionLogger on the same workspace, writes each message as it arrives and answers with its
counts, which this side reports as its `stats` (and to `on_flush`, for /metrics).

Nothing is lost when the child dies: what was sent and not yet confirmed written is kept here and
handed, with everything after it, to a PredictionLogger in this process (logged once as an
error; rows the child wrote just before dying may then be written twice). When the server dies,
the child reads the end of its pipe, writes what it received and exits. The child ignores
SIGINT and SIGTERM: a Ctrl-C in the terminal reaches the whole process group, and the server
closes its writer in its own shutdown.
"""

from __future__ import annotations

import logging
import os
import pickle
import signal
import subprocess
import sys
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import asdict
from multiprocessing.connection import Connection
from typing import TYPE_CHECKING, Any

from mloop.serving.prediction_log import (
    _OPEN,
    LogBuffer,
    LoggerStats,
    PredictionLogger,
    _Later,
)

if TYPE_CHECKING:
    from mloop.serving.prediction_batch import PredictionBatch
    from mloop.stores.workspace import Workspace

_log = logging.getLogger("mloop.serving.prediction_log")
#: how long close() waits for the child to write everything and answer
CLOSE_TIMEOUT = 60.0
_COUNTS = ("written", "spilled", "errors", "dropped")


class ProcessPredictionLogger(LogBuffer):
    """PredictionLogger's interface (`log`, `log_later`, `flush`, `close`, `stats`, `on_flush`)
    with the writing done by a child process; `log_later`'s makers must be picklable."""

    def __init__(self, workspace: Workspace | None = None, *, flush_rows: int = 1024, flush_seconds: float = 1.0,
                 spill_rows: int = 5000, folder: str | os.PathLike[str] | None = None,
                 max_buffer_rows: int = 1_000_000, compact_seconds: float = 60.0,
                 on_flush: Callable[[LoggerStats], None] | None = None) -> None:
        super().__init__(workspace, flush_rows, flush_seconds, spill_rows, max_buffer_rows, on_flush)
        self._options: dict[str, Any] = {
            "flush_rows": flush_rows, "flush_seconds": flush_seconds, "spill_rows": spill_rows,
            "folder": str(folder) if folder is not None else None, "max_buffer_rows": max_buffer_rows,
            "compact_seconds": compact_seconds}
        self._sent = 0  # rows sent to the child (and not taken back)
        self._lost = 0  # rows that could not be sent (not picklable)
        self._child: dict[str, Any] = dict.fromkeys(_COUNTS, 0)  # its counts, as it last said
        self._child_cpu = 0.0
        self._own_cpu = {"writer": 0.0, "reader": 0.0}
        #: sent and not yet confirmed written: (message number, items, rows)
        self._unconfirmed: deque[tuple[int, list[PredictionBatch | _Later], int]] = deque()
        self._seq = 0
        self._answered = threading.Condition(self._lock)
        self._last_answer = 0  # the number of the last message the child answered
        self._fallback: PredictionLogger | None = None  # once the child is gone
        self._send_lock = threading.RLock()  # re-entrant: close() may run in a signal handler mid-send
        self._process, self._outbox, self._inbox = _start_child()
        self._outbox.send_bytes(pickle.dumps({"settings": self.workspace.settings, **self._options}, protocol=5))
        self._reader = threading.Thread(target=self._read, name="mloop-prediction-log-reader", daemon=True)
        self._reader.start()
        self._start_writer()

    @property
    def pid(self) -> int:
        """The writer process's id."""
        return self._process.pid

    def flush(self) -> None:
        """Write everything logged so far: sent, and returns once the writer says it is written."""
        seq = self._send(self._drain(), ask=True)
        if seq:
            self._wait_for(seq, CLOSE_TIMEOUT)
        if self._fallback is not None:
            self._fallback.flush()

    def close(self) -> None:
        """Send everything logged, let the child write it and end; nothing is lost on a graceful
        shutdown. Idempotent; also run at interpreter exit and on SIGTERM (see prediction_log)."""
        if not self._stop_writer():
            return
        seq = self._send(self._drain(), ask=True, kind="close")
        if seq and not self._wait_for(seq, CLOSE_TIMEOUT):
            _log.error("prediction log writer (pid %d) did not finish within %.0f s", self.pid, CLOSE_TIMEOUT)
        try:
            self._process.wait(timeout=10.0)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        self._reader.join(timeout=10.0)
        self._take_over("it ended")  # a no-op after a clean close: nothing unconfirmed
        if self._fallback is not None:
            self._fallback.close()
        self._outbox.close()
        self._inbox.close()
        _OPEN.discard(self)
        self._report()

    @property
    def stats(self) -> LoggerStats:
        buffered = self._buffered()
        with self._lock:
            child = dict(self._child)
            sent, lost, refused = self._sent, self._lost, self._refused
            cpu = self._child_cpu + sum(self._own_cpu.values())
            fallback = self._fallback
        counts = {"logged": sent + buffered + lost, "written": child["written"], "spilled": child["spilled"],
                  "errors": child["errors"] + (1 if lost else 0), "dropped": child["dropped"] + lost + refused,
                  "pending": buffered + max(0, sent - child["written"] - child["dropped"])}
        if fallback is not None:
            extra = asdict(fallback.stats)
            cpu += extra.pop("writer_cpu_seconds")
            counts = {name: value + extra[name] for name, value in counts.items()}
        return LoggerStats(**counts, writer_cpu_seconds=cpu)

    # ------------------------------------------------------------------ this side: send, read

    def _run(self) -> None:
        while True:
            self._wake.wait(self.flush_seconds)
            self._wake.clear()
            closing = self._closed
            self._send(self._drain())
            self._own_cpu["writer"] = time.thread_time()
            if closing:
                return

    def _send(self, items: list[PredictionBatch | _Later], *, ask: bool = False, kind: str = "log") -> int:
        """Send `items` (with `ask`, even none: the child answers once it wrote them); the message's
        number, 0 when it went to this process's logger instead (the child is gone)."""
        if not items and not ask:
            return 0
        rows = sum(len(item) for item in items)
        with self._send_lock:
            if self._fallback is None:
                try:
                    payload = pickle.dumps((kind, self._seq + 1, _packed(items)), protocol=5)
                except Exception:  # a maker that cannot be pickled: the caller's bug; the rest goes on
                    _log.exception("prediction batches dropped: they could not be sent to the log writer")
                    with self._lock:
                        self._lost += rows
                    return 0
                with self._lock:
                    self._seq += 1
                    self._unconfirmed.append((self._seq, items, rows))
                    self._sent += rows
                try:
                    self._outbox.send_bytes(payload)
                    return self._seq
                except OSError:
                    pass  # the child is gone: what it did not confirm goes to this process's logger
        if self._fallback is None:
            self._take_over("its pipe is closed")  # replays these items too
            return 0
        for item in items:
            if isinstance(item, _Later):
                self._fallback.log_later(item.make, item.requests)
            else:
                self._fallback.log(item)
        return 0

    def _read(self) -> None:
        """The child's answers: its counts after each message (told to `on_flush`)."""
        while True:
            try:
                seq, counts, cpu = pickle.loads(self._inbox.recv_bytes())
            except (EOFError, OSError):
                break
            with self._lock:
                self._child.update(counts)
                self._child_cpu = cpu
                while self._unconfirmed and self._unconfirmed[0][0] <= seq:
                    self._unconfirmed.popleft()
                self._last_answer = seq
                self._answered.notify_all()
            self._own_cpu["reader"] = time.thread_time()
            self._report()
        if not self._closed:
            self._take_over(f"it exited with status {self._process.wait()}")
        with self._lock:
            self._answered.notify_all()

    def _wait_for(self, seq: int, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        with self._lock:
            while self._last_answer < seq and self._fallback is None and self._reader.is_alive():
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._answered.wait(min(left, 0.5))
            return self._last_answer >= seq or self._fallback is not None

    def _take_over(self, why: str) -> None:
        """The child is gone: log what it did not confirm, and everything from now on, here."""
        with self._send_lock, self._lock:
            if self._fallback is not None or (self._closed and not self._unconfirmed):
                return
            unconfirmed = list(self._unconfirmed)
            self._unconfirmed.clear()
            self._sent -= sum(rows for _, _, rows in unconfirmed)
            self._fallback = PredictionLogger(self.workspace, **self._options,
                                              on_flush=lambda _stats: self._report())
        _log.error("prediction log writer process (pid %d) is gone (%s): this process writes the log from now "
                   "on, starting with the %d prediction(s) it had sent and not seen written", self.pid, why,
                   sum(rows for _, _, rows in unconfirmed))
        for _, items, _ in unconfirmed:
            self._send(items)
        if self._closed:
            self._fallback.flush()

    def _report(self) -> None:
        if self.on_flush is not None:
            try:
                self.on_flush(self.stats)
            except Exception:
                _log.exception("prediction logger: on_flush failed")


def _packed(items: list[PredictionBatch | _Later]) -> list[PredictionBatch | _Later]:
    """`items` with a server's answered micro-batches joined per version (answered.pack): what
    travels is a few big arrays, not a few small ones per micro-batch."""
    from mloop.serving.answered import Answered, pack

    answered = [item.make for item in items if isinstance(item, _Later) and type(item.make) is Answered]
    if len(answered) < 2:
        return items
    others = [item for item in items if not (isinstance(item, _Later) and type(item.make) is Answered)]
    return others + [_Later(joined, len(joined)) for joined in pack(answered)]


def _start_child() -> tuple[subprocess.Popen[bytes], Connection, Connection]:
    """The writer process, importing what this one imports (its sys.path), with a pipe each way."""
    from_parent, to_child = os.pipe()
    from_child, to_parent = os.pipe()
    code = ("import os, sys; sys.path[:] = os.environ.pop('MLOOP_WRITER_PATH').split(os.pathsep); "
            "from mloop.serving.prediction_writer import main; sys.exit(main(sys.argv[2:]))")
    env = {**os.environ, "MLOOP_WRITER_PATH": os.pathsep.join(sys.path)}
    try:  # named in ps: `python -c … mloop-prediction-log-writer 5 8`
        process = subprocess.Popen([sys.executable, "-c", code, "mloop-prediction-log-writer", str(from_parent),
                                    str(to_parent)], pass_fds=(from_parent, to_parent), stdin=subprocess.DEVNULL,
                                   env=env)
    except BaseException:
        for fd in (to_child, from_child):
            os.close(fd)
        raise
    finally:
        os.close(from_parent)
        os.close(to_parent)
    return process, Connection(to_child, readable=False), Connection(from_child, writable=False)


# ---------------------------------------------------------------------- the child


def main(argv: list[str]) -> int:
    """The writer process: read the settings, then messages until told to close or the pipe ends."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    inbox, outbox = Connection(int(argv[0]), writable=False), Connection(int(argv[1]), readable=False)
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    from mloop.stores.workspace import Workspace

    options = pickle.loads(inbox.recv_bytes())
    logger = PredictionLogger(Workspace(options.pop("settings")), **options)
    seq = 0
    try:
        while True:
            try:
                kind, seq, items = pickle.loads(inbox.recv_bytes())
            except EOFError:  # the server is gone: write what arrived
                break
            for item in items:
                if isinstance(item, _Later):
                    logger.log_later(item.make, item.requests)
                else:
                    logger.log(item)
            if kind == "close":
                logger.close()
            else:
                logger.flush()
            counts = asdict(logger.stats)
            outbox.send_bytes(pickle.dumps((seq, {name: counts[name] for name in _COUNTS}, time.process_time())))
            if kind == "close":
                return 0
    finally:
        logger.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
