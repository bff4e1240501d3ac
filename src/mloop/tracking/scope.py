"""Where a logging call goes: the step run executing in this context (in any thread or worker
process), else the innermost run opened with `mloop.start_run`."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from mloop.core.errors import ValidationError
from mloop.pipeline.execution.task import TASK_END_HOOKS, StepTask, TaskResult, current_task
from mloop.tracking.buffer import Sink, sink_for


@dataclass
class Scope:
    run_id: str
    step_run_id: str | None
    sink: Sink
    artifacts_url: str
    #: key -> last step index logged here, for metrics logged without an explicit step
    steps: dict[str, int] = field(default_factory=dict)


#: runs opened with start_run, innermost last (shared by the threads of the process)
ACTIVE: list[Scope] = []
_TASK_SCOPES: dict[str, Scope] = {}


def open_run_id() -> str | None:
    """The innermost run opened with start_run, with what it logged so far written; None if none is open."""
    if not ACTIVE:
        return None
    ACTIVE[-1].sink.flush()
    return ACTIVE[-1].run_id


def current_scope() -> Scope:
    task = current_task()
    if task is not None:
        scope = _TASK_SCOPES.get(task.step_run_id)
        if scope is None:
            scope = _TASK_SCOPES[task.step_run_id] = _task_scope(task)
        return scope
    if ACTIVE:
        return ACTIVE[-1]
    raise ValidationError("no run to log to; log inside a pipeline step, or open a run with: "
                          "with mloop.start_run(experiment='name') as run: ...")


def _task_scope(task: StepTask) -> Scope:
    url = task.metadata_url
    if not url:
        from mloop.core.config import load_settings

        url = load_settings().db_url
    return Scope(task.run_id, task.step_run_id, sink_for(url), task.artifacts_url)


def _flush_at_task_end(task: StepTask, result: TaskResult) -> None:
    scope = _TASK_SCOPES.pop(task.step_run_id, None)
    if scope is not None:
        try:
            scope.sink.flush()
        except Exception:  # one more try before the step's values are reported lost
            time.sleep(0.2)
            scope.sink.flush()


TASK_END_HOOKS.append(_flush_at_task_end)
