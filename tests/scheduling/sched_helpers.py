"""Helpers of the scheduling tests: waiting for a condition, a file's lines, a scheduler's jobs to end."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any


def wait_for(condition: Callable[[], object], timeout: float = 30.0, every: float = 0.05) -> object:
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout} s")
        time.sleep(every)


def lines(path: Path) -> list[str]:
    return path.read_text().splitlines() if path.exists() else []


def settle(scheduler: Any) -> None:
    """Poll a scheduler until the jobs it started have ended (and their results are recorded)."""

    def ended() -> bool:
        scheduler.poll()
        return not scheduler.running

    wait_for(ended)
