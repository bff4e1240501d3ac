"""Scheduling: cron and @every schedules and event triggers (new data, alerts) that start jobs
(pipeline runs, Python functions, monitors), and the `mloop scheduler` process that fires them.

Several schedulers may run against one database: a due time is claimed by inserting its fire,
which only one of them can do, so no job starts twice.
"""

from __future__ import annotations

from mloop.scheduling.loop import run_scheduler
from mloop.scheduling.schedules import (
    Schedule,
    add_schedule,
    apply_schedules,
    get_schedule,
    list_schedulers,
    list_schedules,
    pause_schedule,
    remove_schedule,
    resume_schedule,
    schedule_fires,
)
from mloop.scheduling.triggers.declare import add_trigger, list_triggers, remove_trigger, trigger_fires

__all__ = ["Schedule", "add_schedule", "add_trigger", "apply_schedules", "get_schedule", "list_schedulers",
           "list_schedules", "list_triggers", "pause_schedule", "remove_schedule", "remove_trigger", "resume_schedule",
           "run_scheduler", "schedule_fires", "trigger_fires"]
