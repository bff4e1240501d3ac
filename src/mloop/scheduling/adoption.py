"""Runs that outlive their scheduler: a pipeline run started by a scheduler that stopped (or died)
before it ended is still recorded as running on its fire; any scheduler finishes the record."""

from __future__ import annotations

from collections.abc import Set
from datetime import datetime

from mloop.core.errors import MloopError
from mloop.stores.workspace import Workspace

_RUNNING = frozenset({"pending", "running"})


def ended_runs(workspace: Workspace, *, exclude: Set[tuple[str, str, datetime]],
               now: datetime) -> list[tuple[str, str, datetime, str, str | None, datetime]]:
    """(source, name, due_at, result, error, ended_at) of every started fire whose run has ended
    but whose result is not recorded, except the fires in `exclude` (tracked by this scheduler)."""
    ended = []
    for fire in workspace.schedules.unfinished_runs():
        if (fire.source, fire.schedule, fire.due_at) in exclude:
            continue
        try:
            run = workspace.runs.get_run(fire.run_id or "")
        except MloopError:
            continue  # not recorded yet (its process is starting), or never will be
        if run.status in _RUNNING:
            continue
        result = "succeeded" if run.status == "succeeded" else "failed"
        error = None if result == "succeeded" else f"run {run.status}: {run.error or ''}".splitlines()[0]
        ended.append((fire.source, fire.schedule, fire.due_at, result, error, run.ended_at or now))
    return ended
