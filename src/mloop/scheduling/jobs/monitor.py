"""The `monitor` job kind: mloop.monitoring.run_monitor(name, at=due time, **arguments) in a worker
thread, on the scheduler's workspace (the window ends at the due time, whatever the delay)."""

from __future__ import annotations

import importlib

from mloop.core.errors import ConfigError
from mloop.scheduling.jobs import FutureHandle, Handle, Job, JobContext


def start(job: Job, context: JobContext) -> Handle:
    run_monitor = getattr(importlib.import_module("mloop.monitoring"), "run_monitor", None)
    if run_monitor is None:
        raise ConfigError("this mloop has no monitors yet (mloop.monitoring.run_monitor); upgrade mloop")
    arguments = {"at": job.due_at, **job.arguments}
    return FutureHandle(context.pool.submit(run_monitor, job.target, workspace=context.workspace, **arguments))
