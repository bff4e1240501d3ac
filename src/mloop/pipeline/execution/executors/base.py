"""The executor seam: where step tasks run. Tasks and results are plain picklable records
(artifacts travel by reference), so the same run works in-process, in processes or on a cluster."""

from __future__ import annotations

import importlib
from concurrent.futures import Future
from typing import Protocol

from mloop.core.errors import ConfigError
from mloop.pipeline.definition.graph import Node
from mloop.pipeline.execution.task import StepTask, TaskResult
from mloop.stores.workspace import Workspace


class Executor(Protocol):
    """Where a run's step tasks execute. Built as `cls(max_workers, address)`: every executor takes
    both (a local one ignores `address`, which names a Dask scheduler), and the constructor only
    starts or connects to workers. The run asks the capabilities below, never the executor's kind.

    The contract: `preflight` raises an MloopError before any step runs when something cannot
    run here; `submit` never raises for a step's own failure (the result carries it); a future
    raises only when the task could not run at all (a lost worker, a lost scheduler), and the
    run then counts that attempt as failed; `shutdown` is called once, even after an error."""

    name: str
    #: tasks run in this process: they may carry the step function itself, and objects a step
    #: just produced may be handed to its sole consumer without loading them back
    shares_memory: bool
    #: tasks may run on other machines and a worker may die mid-step: each worker records its
    #: own executions, so an execution lost with its worker shows (and uses a retry)
    workers_record_executions: bool
    #: the executor places steps by their declared resources itself; otherwise the run counts
    #: this machine's memory before starting a step
    places_by_resources: bool

    def preflight(self, nodes: list[Node], workspace: Workspace) -> None:
        """Refuse, before any step runs, what cannot run here: unmet requirements, a step bigger
        than every worker, stores a worker cannot reach (as the stores declare, and as the tasks
        will open them). Raises an MloopError."""

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
