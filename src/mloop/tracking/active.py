"""Runs outside pipelines (a notebook, a script): `with mloop.start_run(experiment="churn") as run:`.

Such a run is a `runs` row of kind "experiment" whose pipeline column is the experiment name; it
has no steps, and the same logging calls attach to it while it is open.
"""

from __future__ import annotations

import atexit
import os
import socket
import sys
from collections.abc import Mapping
from datetime import datetime
from types import TracebackType
from typing import Any

from mloop.core.clock import utcnow
from mloop.core.errors import ConflictError, ValidationError
from mloop.core.ids import new_id
from mloop.pipeline.execution.task import current_task
from mloop.stores.metadata import RunRecord
from mloop.stores.workspace import Workspace, get_workspace
from mloop.tracking import log
from mloop.tracking.buffer import sink_for
from mloop.tracking.scope import ACTIVE, Scope

_OPEN: list[ActiveRun] = []


class ActiveRun:
    """An open run: the logging calls as methods, `end()` (or leaving the `with` block) to close it."""

    def __init__(self, record: RunRecord, scope: Scope, workspace: Workspace) -> None:
        self.record = record
        self.scope = scope
        self._workspace = workspace

    id = property(lambda self: self.record.id)
    experiment = property(lambda self: self.record.pipeline)
    status = property(lambda self: self.record.status)

    def log_metric(self, key: str, value: float, step: int | None = None,
                   timestamp: float | datetime | None = None) -> None:
        log.add_metrics(self.scope, {key: value}, step, timestamp)

    def log_metrics(self, metrics: Mapping[str, float], step: int | None = None,
                    timestamp: float | datetime | None = None) -> None:
        log.add_metrics(self.scope, metrics, step, timestamp)

    def log_param(self, key: str, value: Any) -> None:
        log.add_params(self.scope, {key: value})

    def log_params(self, params: Mapping[str, Any]) -> None:
        log.add_params(self.scope, params)

    def set_tag(self, key: str, value: Any) -> None:
        log.add_tags(self.scope, {key: value})

    def set_tags(self, tags: Mapping[str, Any]) -> None:
        log.add_tags(self.scope, tags)

    def log_artifact(self, obj: Any, name: str | None = None) -> str:
        return log.add_artifact(self.scope, obj, name)

    def flush(self) -> None:
        """Write what was logged so far now (it is written in the background anyway)."""
        self.scope.sink.flush()

    def end(self, status: str = "succeeded", error: str | None = None) -> None:
        """Write what is pending and close the run with `status`; ending it again does nothing."""
        if self.record.status != "running":
            return
        self.flush()
        now = utcnow()
        self._workspace.runs.update_run(self.id, status=status, ended_at=now, error=error)
        self.record.status, self.record.ended_at, self.record.error = status, now, error
        if self.scope in ACTIVE:
            ACTIVE.remove(self.scope)
        if self in _OPEN:
            _OPEN.remove(self)

    def __enter__(self) -> ActiveRun:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        if exc is None:
            self.end()
        elif isinstance(exc, Exception):
            self.end("failed", f"{type(exc).__name__}: {exc}")
        else:
            self.end("interrupted", f"interrupted by {type(exc).__name__}")

    def __repr__(self) -> str:
        return f"<run {self.id} of experiment {self.experiment} {self.status}>"


def start_run(experiment: str = "default", *, params: Mapping[str, Any] | None = None,
              tags: Mapping[str, Any] | None = None, description: str = "",
              workspace: Workspace | None = None) -> ActiveRun:
    """Open a run of `experiment` (created on first use) that logging calls attach to until it
    ends. Use it as a context manager; a run still open at interpreter exit is ended then."""
    if current_task() is not None:
        raise ValidationError("start_run is for work outside pipelines; inside a step, mloop.log_* already "
                              "attach to the step's run")
    if not isinstance(experiment, str) or not 0 < len(experiment) <= 200:
        raise ValidationError(f"experiment name must be a string of 1 to 200 characters, not {experiment!r}")
    if ACTIVE:
        raise ConflictError(f"run {ACTIVE[-1].run_id} is still open; end it (run.end()) before starting another")
    workspace = workspace or get_workspace()
    now = utcnow()
    record = RunRecord(
        id=new_id(), pipeline=experiment, status="running", params=dict(params or {}),
        graph={"name": experiment, "nodes": []}, graph_hash="", created_at=now, started_at=now,
        host=socket.gethostname(), pid=os.getpid(), options={"description": description}, kind="experiment",
    )
    workspace.runs.create_run(record, [])
    scope = Scope(record.id, None, sink_for(workspace.settings.db_url), workspace.artifacts.url)
    run = ActiveRun(record, scope, workspace)
    if tags:
        run.set_tags(tags)
    ACTIVE.append(scope)
    _OPEN.append(run)
    return run


def _end_open_runs() -> None:
    # An uncaught exception was printed before atexit handlers run, and left in sys.last_value.
    failure = getattr(sys, "last_value", None)
    for run in reversed(list(_OPEN)):
        try:
            if failure is None:
                run.end()
            else:
                run.end("failed", f"{type(failure).__name__}: {failure}")
        except Exception as exc:  # at exit there is no caller left to tell but stderr
            print(f"mloop: could not end run {run.id}: {exc}", file=sys.stderr)


atexit.register(_end_open_runs)
