"""The `python` job kind: `package.module:function(**arguments)` in a worker thread."""

from __future__ import annotations

from mloop.core.imports import resolve
from mloop.scheduling.jobs import FutureHandle, Handle, Job, JobContext


def start(job: Job, context: JobContext) -> Handle:
    function = resolve(job.target)
    return FutureHandle(context.pool.submit(function, **job.arguments))
