"""Ctrl-C during a run. The first stops starting steps and lets the running ones end, so what
they produce is kept; the second abandons them at once. Either way the run is on record as
interrupted, with the command that resumes it."""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable
from types import FrameType
from typing import Any

SIGINT_NAME = "Ctrl-C (SIGINT)"


class RunInterrupted(KeyboardInterrupt):
    """A run stopped by Ctrl-C and recorded as interrupted; its message says how to resume it.
    `abandoned` is True when steps were left running (the second Ctrl-C): the process should
    exit without waiting for them."""

    def __init__(self, run_id: str, message: str, abandoned: bool) -> None:
        super().__init__(message)
        self.run_id = run_id
        self.abandoned = abandoned


class Interrupts:
    """Turns SIGINT into a request to stop (`requested`) the first time, KeyboardInterrupt the
    second; later ones are ignored while the run records how it ended. Only in the main thread,
    and only where SIGINT has Python's default handler (never over one the caller installed)."""

    def __init__(self, on_first: Callable[[], None]) -> None:
        self.on_first = on_first
        self.requested = False
        self.abandoning = False
        self._previous: Any = None

    def __enter__(self) -> Interrupts:
        if threading.current_thread() is threading.main_thread() \
                and signal.getsignal(signal.SIGINT) is signal.default_int_handler:
            self._previous = signal.signal(signal.SIGINT, self._handle)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)
            self._previous = None

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        if self.abandoning:
            return
        if self.requested:
            self.abandoning = True
            raise KeyboardInterrupt
        self.requested = True
        self.on_first()
