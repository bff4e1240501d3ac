"""`mloop scheduler`: the scheduler's loop in a process of its own. It ticks every `tick` seconds,
sooner when a schedule is due before that; SIGTERM or Ctrl-C stop it between ticks (jobs started
in subprocesses keep running); the stop is recorded."""

from __future__ import annotations

import logging
import signal
import threading
from datetime import datetime, timedelta
from typing import Any

from mloop.core.clock import utcnow
from mloop.core.errors import BackendError
from mloop.stores.workspace import Workspace, get_workspace

log = logging.getLogger("mloop.scheduler")
#: the shortest wait between ticks (a due time just passed is handled at once)
_MIN_WAIT = 0.005


def run_scheduler(*, tick: float = 1.0, once: bool = False, grace: float = 30.0, workspace: Workspace | None = None,
                  stop: threading.Event | None = None, hooks: list[str] | None = None) -> None:
    """Run the scheduler until `stop` is set, SIGTERM or Ctrl-C (on the main thread), or after one
    tick with `once` (then it waits for the jobs that tick started, and records how they ended).
    `grace`: seconds after which a due time counts as missed (see the schedule's catchup)."""
    from mloop.scheduling.scheduler import Scheduler

    workspace = workspace or get_workspace()
    stop = stop or threading.Event()
    scheduler = Scheduler(workspace, grace=timedelta(seconds=grace), hooks=hooks)
    restore = _stop_on_signals(stop)
    scheduler.start()
    try:
        while not stop.is_set():
            try:
                started = utcnow()
                scheduler.tick(started)
                if once:
                    while scheduler.running and not stop.wait(0.05):
                        scheduler.poll()
                    break
                wait = _wait(workspace, tick, started)
            except BackendError as exc:  # the database away for a moment: say so, try again next tick
                if once:
                    raise
                log.error("tick failed: %s", exc)
                wait = tick
            stop.wait(wait)
    finally:
        scheduler.stop()
        restore()


def _wait(workspace: Workspace, tick: float, tick_started: datetime) -> float:
    """Until the next due time, at most `tick`; a schedule still due since before the tick that
    just ran (one the scheduler cannot fire, e.g. a cadence no longer valid) waits a whole tick."""
    earliest = workspace.schedules.earliest_due()
    if earliest is None or earliest <= tick_started:
        return tick
    return min(tick, max(_MIN_WAIT, (earliest - utcnow()).total_seconds()))


def _stop_on_signals(stop: threading.Event) -> Any:
    if threading.current_thread() is not threading.main_thread():
        return lambda: None
    previous = {number: signal.getsignal(number) for number in (signal.SIGTERM, signal.SIGINT)}

    def handler(number: int, frame: Any) -> None:
        stop.set()

    for number in previous:
        signal.signal(number, handler)

    def restore() -> None:
        for number, action in previous.items():
            signal.signal(number, action)

    return restore
