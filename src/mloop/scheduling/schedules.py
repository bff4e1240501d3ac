"""Schedules: declaring, listing, pausing and removing the cron and @every schedules of jobs, and
registering the `@pipeline(schedule=...)` pipelines of a file."""

from __future__ import annotations

import os
import re
from dataclasses import asdict, dataclass, fields
from datetime import datetime
from pathlib import Path
from typing import Any

from mloop.core.cadence import parse_cadence
from mloop.core.clock import utcnow
from mloop.core.errors import NotFoundError, ValidationError
from mloop.stores.metadata.schedules import FireRecord, ScheduleRecord, SchedulerRecord
from mloop.stores.workspace import Workspace, get_workspace

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,199}$")
CATCHUP = ("skip", "once")


@dataclass(frozen=True)
class Schedule(ScheduleRecord):
    """A schedule and its newest fire."""

    last_fire: FireRecord | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def add_schedule(name: str, cron: str, *, pipeline: str | None = None, function: str | None = None,
                 monitor: str | None = None, arguments: dict[str, Any] | None = None, catchup: str = "skip",
                 timezone: str = "UTC", folder: str = "", paused: bool = False, replace: bool = False,
                 start: datetime | None = None, workspace: Workspace | None = None) -> Schedule:
    """Schedule a job on `cron` ("0 3 * * *", "@daily" or "@every 5m", in `timezone`): a pipeline
    run (`pipeline`: file.py[:name], pipeline.yaml or package.module:name, with `arguments` as its
    parameters), a Python `function` (package.module:function, called with `arguments`) or a
    `monitor` by name. Its first due time is the first after `start` (default now); due times
    missed while no scheduler ran are skipped, or run once with `catchup="once"`. A name in use is
    a ConflictError unless `replace` (which keeps the schedule's next due time if its cadence is
    the same)."""
    workspace = workspace or get_workspace()
    kind, target = job_of(pipeline=pipeline, function=function, monitor=monitor)
    check_name(name, "schedule")
    if catchup not in CATCHUP:
        raise ValidationError(f"catchup must be 'skip' or 'once', not {catchup!r}")
    cadence = parse_cadence(cron, timezone)
    check_job(kind, target, workspace, folder)
    now = utcnow()
    record = ScheduleRecord(name=name, job_kind=kind, target=target, arguments=dict(arguments or {}),
                            cron=cadence.expression, timezone=timezone, catchup=catchup, paused=paused, folder=folder,
                            created_at=now, updated_at=now, next_due_at=cadence.next_after(start or now),
                            last_due_at=None)
    workspace.check_writable()
    store = workspace.schedules
    if replace:
        old = store.get_schedule(name)
        if old is not None:
            same = (old.cron, old.timezone) == (record.cron, record.timezone)
            record = _replace(record, created_at=old.created_at, last_due_at=old.last_due_at,
                              next_due_at=old.next_due_at if same and start is None else record.next_due_at)
        store.replace_schedule(record)
    else:
        store.add_schedule(record)
    return get_schedule(name, workspace=workspace)


def get_schedule(name: str, *, workspace: Workspace | None = None) -> Schedule:
    workspace = workspace or get_workspace()
    record = workspace.schedules.get_schedule(name)
    if record is None:
        raise NotFoundError(f"no schedule {name!r}; list them with: mloop schedule list")
    last = workspace.schedules.fires(name, limit=1)
    return _schedule(record, last[0] if last else None)


def list_schedules(*, workspace: Workspace | None = None) -> list[Schedule]:
    """Every schedule by name, with its newest fire."""
    workspace = workspace or get_workspace()
    last = workspace.schedules.last_fires()
    return [_schedule(record, last.get(record.name)) for record in workspace.schedules.list_schedules()]


def pause_schedule(name: str, *, workspace: Workspace | None = None) -> Schedule:
    """Stop firing `name` until resumed (a run it started goes on)."""
    workspace = workspace or get_workspace()
    if not workspace.schedules.set_paused(name, True, None, utcnow()):
        raise NotFoundError(f"no schedule {name!r}; list them with: mloop schedule list")
    return get_schedule(name, workspace=workspace)


def resume_schedule(name: str, *, workspace: Workspace | None = None) -> Schedule:
    """Fire `name` again from its next due time after now (times passed while paused are not missed)."""
    workspace = workspace or get_workspace()
    record = get_schedule(name, workspace=workspace)
    now = utcnow()
    workspace.schedules.set_paused(name, False, parse_cadence(record.cron, record.timezone).next_after(now), now)
    return get_schedule(name, workspace=workspace)


def remove_schedule(name: str, *, workspace: Workspace | None = None) -> None:
    """Remove a schedule and its fires (runs it started stay)."""
    workspace = workspace or get_workspace()
    if not workspace.schedules.remove_schedule(name):
        raise NotFoundError(f"no schedule {name!r}; list them with: mloop schedule list")


def schedule_fires(name: str, *, limit: int = 50, workspace: Workspace | None = None) -> list[FireRecord]:
    """The due times of `name` a scheduler claimed, newest first: started (with the run id of a
    pipeline), skipped (missed) or failed (could not start), and how started jobs ended."""
    workspace = workspace or get_workspace()
    get_schedule(name, workspace=workspace)
    return workspace.schedules.fires(name, limit=limit)


def list_schedulers(*, running_only: bool = False, workspace: Workspace | None = None) -> list[SchedulerRecord]:
    """The scheduler processes that ran on this database, newest first; with `running_only`,
    those running now (stopped ones and ones silent for a minute are left out)."""
    workspace = workspace or get_workspace()
    return workspace.schedules.list_schedulers(running_only=running_only)


def apply_schedules(file: str | os.PathLike[str], *, workspace: Workspace | None = None) -> list[Schedule]:
    """Register (or update) a schedule for every `@pipeline(schedule=...)` in a Python file, named
    after the pipeline; returns them. A file without one is a ValidationError."""
    from mloop.core.imports import load_file
    from mloop.pipeline.definition.pipelines import LOADING_FILE, PipelineDefinition

    workspace = workspace or get_workspace()
    path = Path(file)
    if not path.is_file():
        raise NotFoundError(f"no such file: {file}")
    loading = LOADING_FILE.set(str(path.resolve()))
    try:
        module = load_file(path)
    finally:
        LOADING_FILE.reset(loading)
    root = workspace.settings.root.resolve()
    try:
        shown = path.resolve().relative_to(root).as_posix()
    except ValueError:
        shown = str(path.resolve())
    found = [(attribute, value) for attribute, value in vars(module).items()
             if isinstance(value, PipelineDefinition) and getattr(value, "schedule", None)]
    if not found:
        raise ValidationError(f"{file} has no scheduled pipeline; add one with @pipeline(schedule=\"0 3 * * *\")")
    return [add_schedule(value.name, value.schedule, pipeline=f"{shown}:{attribute}", replace=True,  # type: ignore[attr-defined]
                         catchup=getattr(value, "catchup", "skip"), workspace=workspace)
            for attribute, value in found]


def job_of(*, pipeline: str | None = None, function: str | None = None, monitor: str | None = None) -> tuple[str, str]:
    """(job kind, target) from the one of pipeline=, function=, monitor= given."""
    given = [(kind, target) for kind, target in (("pipeline", pipeline), ("python", function), ("monitor", monitor))
             if target]
    if len(given) != 1:
        raise ValidationError("give exactly one job: a pipeline (--pipeline), a function (--function) or a monitor "
                              "(--monitor)")
    return given[0]


def check_job(kind: str, target: str, workspace: Workspace, folder: str) -> None:
    if kind == "pipeline":
        from mloop.scheduling.jobs.pipeline import check_target
        from mloop.scheduling.scheduler import job_folder

        check_target(target, job_folder(workspace, folder))
    elif kind == "python" and not re.match(r"^[\w.]+:[\w.]+$", target):
        raise ValidationError(f"function {target!r} is not a reference; write it as 'package.module:function'")


def check_name(name: str, noun: str) -> None:
    if not _NAME.match(name or ""):
        raise ValidationError(f"{noun} name {name!r} is not valid; use letters, digits and . _ - : (at most 200)")


def _schedule(record: ScheduleRecord, last: FireRecord | None) -> Schedule:
    return Schedule(**{f.name: getattr(record, f.name) for f in fields(record)}, last_fire=last)


def _replace(record: ScheduleRecord, **changes: Any) -> ScheduleRecord:
    from dataclasses import replace

    return replace(record, **changes)
