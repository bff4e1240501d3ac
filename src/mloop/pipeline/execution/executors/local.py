from __future__ import annotations

import multiprocessing
import signal
import sys
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor

from mloop.pipeline.definition.graph import Node
from mloop.pipeline.execution.requirements import check_requirements
from mloop.pipeline.execution.task import StepTask, TaskResult, execute_task
from mloop.stores.workspace import Workspace


def _ignore_interrupts() -> None:
    # Ctrl-C in a terminal reaches the whole process group: the run, not each worker, decides
    # what it means (let running steps end, or abandon them)
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _preflight(nodes: list[Node]) -> None:
    check_requirements((n.name, n.spec.requirements) for n in nodes if n.spec.isolation == "none")


class ThreadExecutor:
    """Steps in a thread pool of this process: no start-up cost, steps share memory."""

    name = "thread"
    shares_memory = True
    workers_record_executions = False
    places_by_resources = False

    def __init__(self, max_workers: int, address: str = "") -> None:
        # `address` names a Dask scheduler: meaningless here, accepted so settings apply to any executor
        self._pool = ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="mloop-step")

    def preflight(self, nodes: list[Node], workspace: Workspace) -> None:
        _preflight(nodes)

    def submit(self, task: StepTask, resources: dict[str, float] | None = None) -> Future[TaskResult]:
        return self._pool.submit(execute_task, task)

    def shutdown(self, wait: bool = True) -> None:
        # a thread cannot be stopped: abandoned, it runs on until the process exits
        self._pool.shutdown(wait=wait, cancel_futures=not wait)


class ProcessExecutor:
    """Steps in worker processes: true CPU parallelism; steps must be importable module functions."""

    name = "process"
    shares_memory = False
    workers_record_executions = False
    places_by_resources = False

    def __init__(self, max_workers: int, address: str = "") -> None:
        # Not fork: a process forked while another thread holds a lock (a database driver's, the
        # logging module's, a tracking writer's) inherits that lock held forever. Workers start
        # from a clean server process instead, with mloop's engine imported once up front.
        if sys.platform == "linux":
            context = multiprocessing.get_context("forkserver")
            context.set_forkserver_preload(["mloop.pipeline.execution.task"])
        else:
            context = multiprocessing.get_context("spawn")
        self._pool = ProcessPoolExecutor(max_workers=max_workers, mp_context=context, initializer=_ignore_interrupts)

    def preflight(self, nodes: list[Node], workspace: Workspace) -> None:
        _preflight(nodes)

    def submit(self, task: StepTask, resources: dict[str, float] | None = None) -> Future[TaskResult]:
        return self._pool.submit(execute_task, task)

    def shutdown(self, wait: bool = True) -> None:
        if not wait:
            workers = list((getattr(self._pool, "_processes", None) or {}).values())
            self._pool.shutdown(wait=False, cancel_futures=True)
            for worker in workers:
                worker.terminate()
            return
        self._pool.shutdown(wait=True)
