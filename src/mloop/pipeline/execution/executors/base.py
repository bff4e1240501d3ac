"""The executor seam: where step tasks run. Tasks and results are plain picklable records
(artifacts travel by reference), so the same run works in-process, in processes or on a cluster."""

from __future__ import annotations

import importlib
from concurrent.futures import Future
from typing import Protocol

from mloop.core.errors import ConfigError
from mloop.pipeline.definition.graph import Node
from mloop.pipeline.execution.task import StepTask, TaskResult


class Executor(Protocol):
    name: str
    #: True when tasks run in this process and may carry the step function object itself
    in_process: bool
    #: True when tasks may run on other machines: workers then record their own executions
    remote: bool

    def preflight(self, nodes: list[Node], metadata_url: str, artifacts_url: str,
                  artifacts_options: dict[str, str] | None = None) -> None:
        """Refuse, before any step runs, what cannot run here: unmet requirements, a step bigger
        than every worker, stores a worker cannot reach (opened with `artifacts_options`, as the
        tasks will open them). Raises an MloopError."""

    def submit(self, task: StepTask, resources: dict[str, float] | None = None) -> Future[TaskResult]:
        """Start `task`; the future resolves to its TaskResult (a step's own exception is a
        result with `error` set); it raises only when the task could not run at all."""

    def shutdown(self, wait: bool = True) -> None:
        """Release workers. With `wait`, running tasks end first; without, tasks not started are
        cancelled and running ones abandoned (stopped where the executor can stop them)."""


_EXECUTORS = {
    "thread": "mloop.pipeline.execution.executors.local:ThreadExecutor",
    "process": "mloop.pipeline.execution.executors.local:ProcessExecutor",
    "dask": "mloop.pipeline.execution.executors.dask:DaskExecutor",
}


def register_executor(name: str, target: str) -> None:
    _EXECUTORS[name] = target


def open_executor(name: str, max_workers: int, address: str = "") -> Executor:
    if name not in _EXECUTORS:
        raise ConfigError(f"unknown executor {name!r}; use one of: {', '.join(_EXECUTORS)}")
    module_name, class_name = _EXECUTORS[name].split(":")
    cls = getattr(importlib.import_module(module_name), class_name)
    executor: Executor = cls(max_workers, address)
    return executor
