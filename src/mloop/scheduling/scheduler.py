"""The scheduler's core. One tick: find the due schedules (one query), claim their due times (one
transaction: the fires' unique key decides between schedulers), start the jobs won, evaluate the
triggers, poll running jobs and record how they ended, call the tick hooks, beat.

Time comes in as `now`, so tests drive ticks at any moment without waiting for cron minutes.

Due times that passed while no scheduler ran (or while the loop was stalled longer than
`grace`) are missed: `catchup="skip"` records one `skipped` fire for the latest of them, and
`catchup="once"` starts one job for it. Either way the schedule then moves to its next due time
after now, so a scheduler coming back after a week starts at most one job per schedule.
"""

from __future__ import annotations

import logging
import os
import socket
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from mloop.core.cadence import Cadence, parse_cadence
from mloop.core.clock import utcnow
from mloop.core.errors import MloopError
from mloop.core.ids import new_id
from mloop.core.imports import resolve
from mloop.scheduling.adoption import ended_runs
from mloop.scheduling.jobs import FutureHandle, Handle, Job, JobContext, job_kind, start_function
from mloop.scheduling.triggers import trigger_kind
from mloop.stores.metadata.schedules import FireRecord, SchedulerRecord
from mloop.stores.workspace import Workspace

HOST = socket.gethostname()
#: functions called as function(workspace) on every tick, "module:function"; e.g. alert delivery
TICK_HOOKS: list[str] = ["mloop.monitoring:watch_blessings", "mloop.monitoring:deliver_pending"]
#: how often a scheduler writes its heartbeat
BEAT_EVERY = timedelta(seconds=5)
#: how often it looks for runs other schedulers started and did not see end (they stopped first)
ADOPT_EVERY = timedelta(seconds=10)
#: how long fires are kept (checked hourly); a schedule every 5 s makes 17,280 a day
KEEP_FIRES = timedelta(days=30)
PRUNE_EVERY = timedelta(hours=1)

log = logging.getLogger("mloop.scheduler")


@dataclass
class TickReport:
    started: list[FireRecord] = field(default_factory=list)
    skipped: list[FireRecord] = field(default_factory=list)
    failed: list[FireRecord] = field(default_factory=list)
    #: (source, name, due_at, result, error) of the jobs seen ending in this tick
    ended: list[tuple[str, str, datetime, str, str | None]] = field(default_factory=list)


class Scheduler:
    def __init__(self, workspace: Workspace, *, grace: timedelta = timedelta(seconds=30), workers: int = 8,
                 hooks: list[str] | None = None) -> None:
        self.workspace = workspace
        self.store = workspace.schedules
        self.id = f"{HOST}:{os.getpid()}"
        self.grace = grace
        self.hooks = list(TICK_HOOKS if hooks is None else hooks)
        self.pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="mloop-job")
        self.context = JobContext(workspace, self.pool, workspace.logs_dir / "scheduler")
        self.running: dict[tuple[str, str, datetime], Handle] = {}
        self._cadences: dict[tuple[str, str], Cadence] = {}
        self._beat_at: datetime | None = None
        self._adopted_at: datetime | None = None
        self._pruned_at: datetime | None = None
        self._errors: dict[tuple[str, str], str] = {}  # said once, not on every tick

    def start(self, now: datetime | None = None) -> None:
        now = now or utcnow()
        self.workspace.check_writable()
        self.store.scheduler_started(SchedulerRecord(self.id, HOST, os.getpid(), now, now, None))
        self._beat_at = now
        log.info("scheduler %s started", self.id, extra={"scheduler": self.id})

    def stop(self, now: datetime | None = None) -> None:
        """Let the in-process jobs already claimed finish and record them, then record the stop;
        jobs in subprocesses keep running (they are runs of their own; the next scheduler records
        how they ended)."""
        waiting = sum(isinstance(handle, FutureHandle) for handle in self.running.values())
        if waiting:
            log.info("waiting for %d in-process job(s) to end", waiting)
        self.pool.shutdown(wait=True)
        self.poll()
        self.store.scheduler_stopped(self.id, now or utcnow())
        log.info("scheduler %s stopped (%d job(s) left running)", self.id, len(self.running),
                 extra={"scheduler": self.id})

    def tick(self, now: datetime | None = None) -> TickReport:
        now = now or utcnow()
        report = TickReport()
        self._fire_schedules(now, report)
        self._evaluate_triggers(now, report)
        self.poll(report)
        if self._adopted_at is None or now - self._adopted_at >= ADOPT_EVERY:
            self._adopted_at = now
            ended = ended_runs(self.workspace, exclude=set(self.running), now=now)
            if ended:
                self.store.finish_fires(ended)
                report.ended.extend(row[:5] for row in ended)
        self._call_hooks()
        if self._pruned_at is None or now - self._pruned_at >= PRUNE_EVERY:
            self._pruned_at = now
            pruned = self.store.prune_fires(now - KEEP_FIRES)
            if pruned:
                log.info("removed %d fire(s) older than %s days", pruned, KEEP_FIRES.days)
        if self._beat_at is None or now - self._beat_at >= BEAT_EVERY:
            self.store.scheduler_beat(self.id, now)
            self._beat_at = now
        return report

    def poll(self, report: TickReport | None = None) -> None:
        """Record the jobs that ended since the last poll."""
        ended = []
        for key, handle in list(self.running.items()):
            try:
                outcome = handle.poll()
            except Exception as exc:  # noqa: BLE001 - a broken handle ends its job, not the scheduler
                outcome = ("failed", f"{type(exc).__name__}: {exc}")
            if outcome is None:
                continue
            del self.running[key]
            ended.append((*key, *outcome, utcnow()))
            level = logging.INFO if outcome[0] == "succeeded" else logging.WARNING
            log.log(level, "%s %s due %s %s%s", key[0], key[1], key[2].isoformat(), outcome[0],
                    f": {outcome[1]}" if outcome[1] else "", extra={key[0]: key[1], "result": outcome[0]})
        if ended:
            self.store.finish_fires(ended)
            if report is not None:
                report.ended.extend(row[:5] for row in ended)

    def _fire_schedules(self, now: datetime, report: TickReport) -> None:
        due = self.store.due_schedules(now)
        if not due:
            return
        fires, next_due, schedules = [], {}, {}
        for schedule in due:
            try:
                cadence = self._cadence(schedule.cron, schedule.timezone)
            except MloopError as exc:
                self._error("schedule", schedule.name, str(exc))
                continue
            latest = max(cadence.latest_at_or_before(now), schedule.next_due_at)
            missed = now - latest > self.grace
            outcome = "skipped" if missed and schedule.catchup == "skip" else "started"
            run_id = new_id() if outcome == "started" and job_kind(schedule.job_kind).makes_run else None
            fires.append(FireRecord("schedule", schedule.name, latest, now, self.id, outcome, run_id))
            next_due[schedule.name] = cadence.next_after(now)
            schedules[schedule.name] = schedule
        for fire in self.store.claim(fires, next_due):
            schedule = schedules[fire.schedule]
            if fire.outcome == "skipped":
                report.skipped.append(fire)
                log.info("schedule %s: skipped missed due time %s (catchup skip)", fire.schedule,
                         fire.due_at.isoformat(), extra={"schedule": fire.schedule})
                continue
            self._start(fire, schedule.job_kind, schedule.target, schedule.arguments, schedule.folder, report)

    def _evaluate_triggers(self, now: datetime, report: TickReport) -> None:
        for trigger in self.store.list_triggers():
            try:
                detection = trigger_kind(trigger.kind).detect(trigger, self.workspace, now)
            except Exception as exc:  # noqa: BLE001 - a broken trigger is said, the others go on
                self._error("trigger", trigger.name, str(exc) if isinstance(exc, MloopError) else
                            f"{type(exc).__name__}: {exc}")
                continue
            self._errors.pop(("trigger", trigger.name), None)
            if detection is None:
                continue
            fire = None
            if detection.arguments is not None:
                run_id = new_id() if job_kind(trigger.job_kind).makes_run else None
                fire = FireRecord("trigger", trigger.name, now, now, self.id, "started", run_id)
            if not self.store.advance_trigger(trigger.name, trigger.revision, detection.state, now, fire):
                continue  # another scheduler handled this event
            if fire is not None:
                arguments = {**trigger.arguments, **(detection.arguments or {})}
                self._start(fire, trigger.job_kind, trigger.target, arguments, trigger.folder, report)

    def _start(self, fire: FireRecord, kind: str, target: str, arguments: dict[str, Any], folder: str,
               report: TickReport) -> None:
        job = Job(fire.schedule, kind, target, arguments, job_folder(self.workspace, folder), fire.due_at, fire.run_id)
        try:
            handle = start_function(kind)(job, self.context)
        except Exception as exc:  # noqa: BLE001 - a job that cannot start is a failed fire, not a dead scheduler
            error = str(exc) if isinstance(exc, MloopError) else f"{type(exc).__name__}: {exc}"
            error = error.splitlines()[0] if error else type(exc).__name__
            self.store.record_outcome(fire.source, fire.schedule, fire.due_at, "failed", error)
            report.failed.append(fire)
            log.error("%s %s due %s failed to start: %s", fire.source, fire.schedule, fire.due_at.isoformat(), error,
                      extra={fire.source: fire.schedule})
            return
        self.running[(fire.source, fire.schedule, fire.due_at)] = handle
        report.started.append(fire)
        log.info("%s %s due %s started%s", fire.source, fire.schedule, fire.due_at.isoformat(),
                 f" run {fire.run_id}" if fire.run_id else "", extra={fire.source: fire.schedule, "run_id": fire.run_id})

    def _call_hooks(self) -> None:
        for reference in self.hooks:
            try:
                resolve(reference)(self.workspace)
            except Exception as exc:  # noqa: BLE001 - a failing hook is logged; the loop goes on
                log.error("tick hook %s failed: %s: %s", reference, type(exc).__name__, exc)

    def _error(self, source: str, name: str, message: str) -> None:
        if self._errors.get((source, name)) != message:
            log.error("%s %s: %s", source, name, message, extra={source: name})
        self._errors[(source, name)] = message

    def _cadence(self, expression: str, timezone: str) -> Cadence:
        key = (expression, timezone)
        cadence = self._cadences.get(key)
        if cadence is None:
            cadence = self._cadences[key] = parse_cadence(expression, timezone)
        return cadence


def job_folder(workspace: Workspace, folder: str) -> Path:
    """Where a job runs: its folder, relative to the project folder ('' for the project folder)."""
    root = workspace.settings.root
    return root / folder if folder else root
