"""Per-step log capture: stdout, stderr and `logging` records go to the step's own file.

Streams are routed by a context variable, so steps running in parallel threads each write to
their own file. Files rotate at `MAX_BYTES` (keeping `KEEP` older parts) and are gzip-compressed
when the step ends.
"""

from __future__ import annotations

import contextvars
import gzip
import io
import logging
import shutil
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TextIO

MAX_BYTES = 10 * 2**20
KEEP = 4
_CURRENT: contextvars.ContextVar[StepLog | None] = contextvars.ContextVar("mloop_step_log", default=None)
_INSTALL_LOCK = threading.Lock()
_installed = 0
_FORMAT = logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")


class StepLog:
    """One step's log file, created on the first write (a silent step costs no file) and
    rotating by size."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._file: TextIO | None = None
        self._written = 0
        self._parts = 0
        self._closed = False
        self._lock = threading.Lock()

    def write(self, text: str) -> None:
        with self._lock:
            if self._closed:
                return
            if self._file is None:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                # line-buffered: what a step printed is on disk even if its process is killed
                self._file = open(self.path, "w", buffering=1, encoding="utf-8", errors="replace")  # noqa: SIM115
            self._file.write(text)
            self._written += len(text)
            if self._written >= MAX_BYTES:
                self._rotate()

    def _rotate(self) -> None:
        assert self._file is not None
        self._file.close()
        self._parts += 1
        for index in range(min(self._parts, KEEP), 0, -1):
            older = self._part(index)
            if older.exists():
                older.replace(self._part(index + 1))
        self._part(KEEP + 1).unlink(missing_ok=True)
        self.path.replace(self._part(1))
        self._file = open(self.path, "w", buffering=1, encoding="utf-8", errors="replace")  # noqa: SIM115
        self._written = 0

    def _part(self, index: int) -> Path:
        return self.path.with_name(f"{self.path.name}.{index}")

    @property
    def has_output(self) -> bool:
        return self._file is not None

    def close(self, target: Path | None) -> bool:
        """Close and compress everything kept, oldest first, into one gzip file at `target`
        (gzip members concatenate); False when nothing was ever written."""
        with self._lock:
            self._closed = True
            if self._file is None or target is None:
                if self._file is not None:
                    self._file.close()
                return False
            self._file.close()
        parts = [self._part(i) for i in range(KEEP, 0, -1) if self._part(i).exists()] + [self.path]
        with open(target, "wb") as raw:
            for part in parts:
                with open(part, "rb") as source, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as member:
                    shutil.copyfileobj(source, member)
                part.unlink()
        return True


class _RoutingStream(io.TextIOBase):
    def __init__(self, replaced: TextIO) -> None:
        #: what sys.stdout/stderr was, put back by `uninstall`
        self.replaced = replaced
        # A rich Live display replaces sys.stdout with a proxy that holds text until a newline;
        # what is not a step's output goes to the stream behind it, or each redraw piles up there.
        self.fallback: TextIO = getattr(replaced, "rich_proxied_file", replaced)

    def write(self, text: str) -> int:
        log = _CURRENT.get()
        if log is None:
            return self.fallback.write(text)
        log.write(text)
        return len(text)

    def flush(self) -> None:
        if _CURRENT.get() is None:
            self.fallback.flush()

    def isatty(self) -> bool:
        return False if _CURRENT.get() is not None else self.fallback.isatty()

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return "utf-8"


class _RoutingHandler(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        log = _CURRENT.get()
        if log is not None:
            log.write(_FORMAT.format(record) + "\n")


_HANDLER = _RoutingHandler(logging.DEBUG)


def install() -> None:
    """Route sys.stdout/sys.stderr/logging through the per-step router (idempotent)."""
    global _installed
    with _INSTALL_LOCK:
        _installed += 1
        if not isinstance(sys.stdout, _RoutingStream):
            sys.stdout = _RoutingStream(sys.stdout)
        if not isinstance(sys.stderr, _RoutingStream):
            sys.stderr = _RoutingStream(sys.stderr)
        root = logging.getLogger()
        if _HANDLER not in root.handlers:
            root.addHandler(_HANDLER)
            if root.level > logging.INFO or root.level == logging.NOTSET:
                _HANDLER.previous_level = root.level  # type: ignore[attr-defined]
                root.setLevel(logging.INFO)


def uninstall() -> None:
    global _installed
    with _INSTALL_LOCK:
        _installed = max(0, _installed - 1)
        if _installed:
            return
        if isinstance(sys.stdout, _RoutingStream):
            sys.stdout = sys.stdout.replaced
        if isinstance(sys.stderr, _RoutingStream):
            sys.stderr = sys.stderr.replaced
        root = logging.getLogger()
        if _HANDLER in root.handlers:
            root.removeHandler(_HANDLER)
            previous = getattr(_HANDLER, "previous_level", None)
            if previous is not None:
                root.setLevel(previous)
                del _HANDLER.previous_level  # type: ignore[attr-defined]


@contextmanager
def capture(path: Path) -> Iterator[StepLog]:
    log = StepLog(path)
    token = _CURRENT.set(log)
    try:
        yield log
    finally:
        _CURRENT.reset(token)


def read_log(path: Path) -> str:
    """The text of a stored log (gzip) or of a live, still uncompressed log file."""
    if path.suffix != ".gz":
        return path.read_text(errors="replace")
    with gzip.open(path, "rt", encoding="utf-8", errors="replace") as handle:
        return handle.read()


def current_log() -> Any:
    return _CURRENT.get()
