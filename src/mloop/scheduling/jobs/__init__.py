"""Job kinds: what a schedule or trigger starts.

A kind is a function `start(job, context) -> Handle`, imported the first time a job of that kind
starts (JOB_KINDS maps its name to `module:function`). `start` must return quickly: a job runs in
a subprocess (pipeline) or a worker thread (python, monitor), never in the scheduler's loop, and
the scheduler polls its Handle each tick. Raising an MloopError from `start` records the fire as
`failed` with that message.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from mloop.core.errors import ValidationError

if TYPE_CHECKING:
    from mloop.stores.workspace import Workspace


@dataclass(frozen=True)
class JobKind:
    #: "module:function" of its start function
    start: str
    #: whether a job of this kind is a pipeline run whose id the scheduler assigns before it starts
    makes_run: bool = False
    #: what `target` is, for messages
    target: str = "target"


#: kind name -> its start function; the monitor kind needs mloop.monitoring.run_monitor
JOB_KINDS: dict[str, JobKind] = {
    "pipeline": JobKind("mloop.scheduling.jobs.pipeline:start", makes_run=True,
                        target="a pipeline (file.py[:name], pipeline.yaml or package.module:name)"),
    "python": JobKind("mloop.scheduling.jobs.python:start", target="a function (package.module:function)"),
    "monitor": JobKind("mloop.scheduling.jobs.monitor:start", target="a monitor name"),
}


@dataclass(frozen=True)
class Job:
    #: the schedule's or trigger's name
    name: str
    kind: str
    target: str
    arguments: dict[str, Any]
    #: the folder the job runs in
    folder: Path
    due_at: datetime
    #: the run id the job's pipeline run takes (kinds with makes_run)
    run_id: str | None = None


@dataclass
class JobContext:
    workspace: Workspace
    #: worker threads for in-process jobs
    pool: ThreadPoolExecutor
    #: where a subprocess job writes its output
    logs: Path


class Handle(Protocol):
    def poll(self) -> tuple[str, str | None] | None:
        """None while the job runs; then ("succeeded", None) or ("failed", one-line error)."""


class FutureHandle:
    """A job running in a worker thread."""

    def __init__(self, future: Future[Any]) -> None:
        self.future = future

    def poll(self) -> tuple[str, str | None] | None:
        if not self.future.done():
            return None
        if self.future.cancelled():
            return "failed", "cancelled before it started (the scheduler stopped)"
        error = self.future.exception()
        if error is None:
            return "succeeded", None
        return "failed", f"{type(error).__name__}: {error}".splitlines()[0]


def job_kind(name: str) -> JobKind:
    kind = JOB_KINDS.get(name)
    if kind is None:
        raise ValidationError(f"unknown job kind {name!r}; use one of: {', '.join(sorted(JOB_KINDS))}")
    return kind


def start_function(name: str) -> Callable[[Job, JobContext], Handle]:
    module, function = job_kind(name).start.split(":")
    start: Callable[[Job, JobContext], Handle] = getattr(importlib.import_module(module), function)
    return start
