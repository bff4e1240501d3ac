"""ScheduleStore: schedules of jobs, the due times schedulers claimed (fires), event triggers and
the scheduler processes.

Contract:
- each method is one transaction;
- `add_schedule` / `add_trigger` with a name in use is a ConflictError; `get_*` return None on a
  miss; `remove_*`, `set_paused` return whether the name existed; removing a schedule or trigger
  removes its fires;
- `due_schedules(now)` is every unpaused schedule whose next due time is at or before `now`;
- `claim` inserts one fire per (source, name, due time) and is the only way two schedulers agree:
  a fire someone else already inserted is not claimed again. In the same transaction each
  schedule in `next_due` moves its `next_due_at` forward to that time (never back; also when the
  claim was lost), and each won fire moves its schedule's `last_due_at` forward. It returns what
  this caller won;
- `advance_trigger` is a compare-and-set on the trigger's revision: False (and nothing written)
  when another scheduler moved the trigger first;
- fires are newest first; `last_fires` gives each named schedule's newest fire;
  `unfinished_runs` the started fires with a run id and no result yet, oldest first;
- `prune_fires` deletes fires due before `before`, except started ones still without a result,
  and returns how many.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol


@dataclass(frozen=True)
class ScheduleRecord:
    name: str
    #: "pipeline", "python" or "monitor" (mloop.scheduling.jobs)
    job_kind: str
    target: str
    arguments: dict[str, Any]
    #: cron ("0 3 * * *") or "@every 5m"
    cron: str
    timezone: str
    #: what a scheduler does with due times that passed while none ran: "skip" or "once"
    catchup: str
    paused: bool
    #: the folder the job runs in ('' for the project folder)
    folder: str
    created_at: datetime
    updated_at: datetime
    next_due_at: datetime
    last_due_at: datetime | None


@dataclass(frozen=True)
class FireRecord:
    #: "schedule" or "trigger"
    source: str
    schedule: str
    due_at: datetime
    fired_at: datetime
    #: host:pid of the scheduler that claimed it
    scheduler: str
    #: "started", "skipped" or "failed" (could not start)
    outcome: str
    run_id: str | None = None
    error: str | None = None
    #: "succeeded" or "failed" once a started job ended (None while it runs)
    result: str | None = None
    ended_at: datetime | None = None


@dataclass(frozen=True)
class TriggerRecord:
    name: str
    #: "new_data" or "alert" (mloop.scheduling.triggers)
    kind: str
    config: dict[str, Any]
    job_kind: str
    target: str
    arguments: dict[str, Any]
    folder: str
    #: what the trigger has seen (files, an alert cursor)
    state: dict[str, Any]
    revision: int
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class SchedulerRecord:
    id: str
    host: str
    pid: int
    started_at: datetime
    heartbeat_at: datetime
    stopped_at: datetime | None


class ScheduleStore(Protocol):
    # schedules
    def add_schedule(self, schedule: ScheduleRecord) -> None: ...
    def replace_schedule(self, schedule: ScheduleRecord) -> None: ...
    def get_schedule(self, name: str) -> ScheduleRecord | None: ...
    def list_schedules(self) -> list[ScheduleRecord]: ...
    def remove_schedule(self, name: str) -> bool: ...
    def set_paused(self, name: str, paused: bool, next_due_at: datetime | None, at: datetime) -> bool: ...
    def due_schedules(self, now: datetime) -> list[ScheduleRecord]: ...
    def earliest_due(self) -> datetime | None: ...

    # fires
    def claim(self, fires: Sequence[FireRecord], next_due: dict[str, datetime]) -> list[FireRecord]: ...
    def record_outcome(self, source: str, name: str, due_at: datetime, outcome: str, error: str | None) -> None: ...
    def finish_fires(self, results: Sequence[tuple[str, str, datetime, str, str | None, datetime]]) -> None: ...
    def fires(self, name: str, *, source: str = "schedule", limit: int = 50) -> list[FireRecord]: ...
    def last_fires(self, source: str = "schedule") -> dict[str, FireRecord]: ...
    def unfinished_runs(self, limit: int = 500) -> list[FireRecord]: ...
    def prune_fires(self, before: datetime) -> int: ...

    # triggers
    def add_trigger(self, trigger: TriggerRecord) -> None: ...
    def get_trigger(self, name: str) -> TriggerRecord | None: ...
    def list_triggers(self) -> list[TriggerRecord]: ...
    def remove_trigger(self, name: str) -> bool: ...
    def advance_trigger(self, name: str, revision: int, state: dict[str, Any], at: datetime,
                        fire: FireRecord | None) -> bool: ...

    # scheduler processes
    def scheduler_started(self, scheduler: SchedulerRecord) -> None: ...
    def scheduler_beat(self, scheduler_id: str, at: datetime) -> None: ...
    def scheduler_stopped(self, scheduler_id: str, at: datetime) -> None: ...
    def list_schedulers(self, *, running_only: bool = False, stale_after: float = 60.0) -> list[SchedulerRecord]: ...
