"""Starting, resuming and ending runs: record the run, open the executor, refuse what cannot
run, hand the steps to the scheduler (scheduler.py; the attempt policy is attempts.py), and
record how the run ended.

The orchestrator is one thread that owns all metadata writes for the run; steps run on an
executor and hand back artifact references. Every state change is one transaction, so a crash
leaves the run in a state `recover_interrupted` and `resume` understand.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
from dataclasses import dataclass, field
from typing import Any

from mloop.core.clock import utcnow
from mloop.core.errors import ConflictError, MloopError
from mloop.core.hashing import hash_json
from mloop.core.ids import new_id
from mloop.pipeline.definition.graph import Graph
from mloop.pipeline.execution import environment, logs
from mloop.pipeline.execution.attempts import Attempts
from mloop.pipeline.execution.executors import Executor, open_executor
from mloop.pipeline.execution.interrupts import SIGINT_NAME, Interrupts, RunInterrupted
from mloop.pipeline.execution.recording import Recorder
from mloop.pipeline.execution.recovery import HOST, recover_interrupted
from mloop.pipeline.execution.scheduler import Scheduler
from mloop.pipeline.execution.slots import Slots, machine_memory
from mloop.pipeline.execution.task import execute_task
from mloop.stores.metadata import ArtifactRecord, RunRecord, StepRunRecord
from mloop.stores.workspace import Workspace


@dataclass
class RunOptions:
    cache: bool = True
    executor: str | None = None
    max_workers: int | None = None
    #: Dask scheduler address (tcp://host:8786); empty starts a LocalCluster
    address: str | None = None
    #: node -> input name -> data artifact digest to use instead of reading the path (reproduce)
    data_overrides: dict[str, dict[str, str]] = field(default_factory=dict)
    reproduces: str | None = None
    #: called as on_event(node, status) on every step state change (for progress displays)
    on_event: Any = None
    #: called as on_interrupt(run_id) at the first Ctrl-C, at once (the run then lets its running
    #: steps end, starts no more, and raises RunInterrupted); by default a line on stderr
    on_interrupt: Any = None


def start_run(workspace: Workspace, graph: Graph, params: dict[str, Any], options: RunOptions,
              functions: dict[str, Any] | None = None) -> str:
    """Record a new run of `graph` and execute it to the end; returns the run id."""
    # A launcher (mloop scheduler) may choose the id of this process's first run, to record it first.
    run_id = os.environ.pop("MLOOP_RUN_ID", "") or new_id()
    workspace.check_writable()
    recover_interrupted(workspace)
    executor = _open_executor(workspace, options) if graph.nodes else None
    now = utcnow()
    graph_json = graph.to_json()
    run = RunRecord(
        id=run_id, pipeline=graph.name, status="running", params=params, graph=graph_json,
        graph_hash=hash_json(graph_json), created_at=now, started_at=now, host=HOST, pid=os.getpid(), heartbeat_at=now,
        reproduces=options.reproduces,
        options={"cache": options.cache, "executor": options.executor, "description": graph.description},
    )
    steps = [
        StepRunRecord(id=new_id(), run_id=run.id, node=n["name"], step=n["spec"]["name"], status="pending",
                      spec=n["spec"], source_hash=n["source_hash"])
        for n in graph_json["nodes"]
    ]
    try:
        workspace.runs.create_run(run, steps)
    except BaseException:
        if executor is not None:
            executor.shutdown(wait=False)
        raise
    _Execution(workspace, run.id, graph, options, {s.node: s for s in steps}, {}, functions or {},
               executor).execute()
    return run.id


def _open_executor(workspace: Workspace, options: RunOptions) -> Executor:
    # Opened before the run is recorded or resumed, so an unknown executor, a missing extra or an
    # unreachable scheduler is refused without leaving a run behind.
    settings = workspace.settings
    return open_executor(options.executor or settings.executor, options.max_workers or settings.max_workers,
                         options.address or settings.address)


def resume_run(workspace: Workspace, run_id: str, options: RunOptions) -> str:
    """Execute again only the steps of `run_id` that failed or never ran, in the same run."""
    workspace.check_writable()
    recover_interrupted(workspace)
    run = workspace.runs.get_run(run_id)
    if run.status == "running":
        raise ConflictError(f"run {run.id} is still running (pid {run.pid} on {run.host}); wait for it to end")
    if run.status == "succeeded":
        raise ConflictError(f"run {run.id} succeeded; nothing to resume (start a new one with mloop run)")
    graph = Graph.from_json(run.graph)
    records = {s.node: s for s in workspace.runs.step_runs(run.id)}
    done: dict[str, dict[str, ArtifactRecord]] = {}
    finished = [s for s in records.values() if s.status in ("succeeded", "cached")]
    outputs = Recorder.outputs_of(workspace.lineage, [s.id for s in finished])
    for record in finished:
        done[record.node] = outputs.get(record.id, {})
    executor = _open_executor(workspace, options) if any(n not in done for n in graph.nodes) else None
    workspace.runs.update_run(run.id, status="running", ended_at=None, error=None, host=HOST, pid=os.getpid(),
                              heartbeat_at=utcnow())
    _Execution(workspace, run.id, graph, options, records, done, {}, executor).execute()
    return run.id


class _Execution:
    """One execution of a run, start to end: open the executor, refuse what cannot run, hand the
    steps to the scheduler, and record how the run ended (succeeded, failed or interrupted)."""

    def __init__(self, workspace: Workspace, run_id: str, graph: Graph, options: RunOptions,
                 records: dict[str, StepRunRecord], done: dict[str, dict[str, ArtifactRecord]],
                 functions: dict[str, Any], executor: Executor | None = None) -> None:
        self.workspace = workspace
        self.executor = executor
        self.settings = workspace.settings
        self.run_id = run_id
        self.graph = graph
        self.options = options
        self.records = records
        self.functions = functions
        self.recorder = Recorder(workspace.runs, run_id)
        self.interrupts = Interrupts(self._interrupting)
        self.scheduler = Scheduler(workspace, run_id, graph, records, self.recorder, self.interrupts, options)
        self.scheduler.done.update(done)
        self.failed = self.scheduler.failed
        self.finished = False

    def execute(self) -> None:
        with self.interrupts:
            self._execute()

    def _interrupting(self) -> None:
        if self.options.on_interrupt is not None:
            self.options.on_interrupt(self.run_id)
        else:
            print(f"interrupting run {self.run_id}… (Ctrl-C again to abandon)", file=sys.__stderr__, flush=True)

    def _execute(self) -> None:
        info: dict[str, Any] = {}
        probe = threading.Thread(target=self._probe_environment, args=(info,), daemon=True)
        probe.start()
        executor: Executor | None = self.executor
        attempts: Attempts | None = None
        abandoned = False
        try:
            pending = [n for n in self.graph.nodes if n not in self.scheduler.done]
            if pending:
                capacity = self.options.max_workers or self.settings.max_workers
                if executor is None:
                    executor = _open_executor(self.workspace, self.options)
                try:
                    executor.preflight([self.graph.nodes[n] for n in pending], self.workspace)
                except MloopError as exc:
                    self._fail_before_start(str(exc), info, probe)
                    raise
                attempts = Attempts(self.workspace, self.run_id, self.records, self.recorder, executor, self.functions)
                # Routing stays installed for the whole run, not re-installed per step: changing
                # the root logger's level clears every logger's cache.
                logs.install()
                try:
                    memory = 0 if executor.places_by_resources else machine_memory()
                    self.scheduler.run(executor, attempts, pending, Slots(capacity, memory))
                finally:
                    logs.uninstall()
        except BaseException as exc:
            if self.finished:
                raise  # already recorded as a failed run (preflight)
            abandoned = isinstance(exc, KeyboardInterrupt)
            probe.join()
            with contextlib.suppress(Exception):
                if abandoned and attempts is not None:
                    attempts.abandon(list(self.scheduler.running.values()))
                self.recorder.flush()  # keep what finished before the interruption
            reason = self._finish_interrupted(exc, info)
            if abandoned:
                raise RunInterrupted(self.run_id, f"run {self.run_id} {reason}", abandoned=True) from None
            raise
        finally:
            if executor is not None:
                executor.shutdown(wait=not abandoned)
        probe.join()
        if self.scheduler.stopped_early:
            reason = self._finish_interrupted(None, info)
            raise RunInterrupted(self.run_id, f"run {self.run_id} {reason}", abandoned=False)
        self._finish(info)

    def _fail_before_start(self, reason: str, info: dict[str, Any], probe: threading.Thread) -> None:
        probe.join()
        for record in self.records.values():
            if record.status == "pending":
                self.recorder.skipped(record, f"not started: {reason}")
        self.recorder.flush()
        self.failed["(preflight)"] = reason
        self._finish(info)
        self.finished = True

    def _probe_environment(self, info: dict[str, Any]) -> None:
        # Runs beside the steps: git and package scans cost milliseconds we need not wait for.
        try:
            info["code_version"] = environment.code_version(self.settings.root)
            env_id, snapshot = environment.environment()
            self.workspace.runs.put_environment(env_id, snapshot)
            info["environment_id"] = env_id
        except Exception as exc:  # never fail a run for its bookkeeping
            info["code_version"] = {"error": str(exc)}

    def _finish(self, info: dict[str, Any]) -> None:
        failures = [(n, e) for n, e in self.failed.items() if e != "skipped"]
        error = None
        if failures:
            name, message = failures[0]
            more = f" (and {len(failures) - 1} more)" if len(failures) > 1 else ""
            error = f"{message}{more}"
        self.workspace.runs.update_run(
            self.run_id, status="failed" if failures else "succeeded", ended_at=utcnow(), error=error,
            heartbeat_at=utcnow(), **info,
        )

    def _finish_interrupted(self, exc: BaseException | None, info: dict[str, Any]) -> str:
        """Record the run as interrupted; returns the reason recorded."""
        if exc is None:
            why = f"interrupted by {SIGINT_NAME}"
        elif isinstance(exc, KeyboardInterrupt):  # twice, or once where the run could not take over SIGINT
            twice = " twice" if self.interrupts.abandoning else ""
            why = f"interrupted by {SIGINT_NAME}{twice}, abandoning its running steps"
        else:
            why = f"interrupted by {type(exc).__name__}" + (f": {exc}" if str(exc) else "")
        reason = f"{why}; resume with: mloop runs resume {self.run_id}"
        try:
            self.workspace.runs.update_run(self.run_id, **info)
            self.workspace.runs.mark_run_interrupted(self.run_id, reason)
        except Exception:  # the original exception matters more
            pass
        return reason


__all__ = ["RunInterrupted", "RunOptions", "execute_task", "recover_interrupted", "resume_run", "start_run"]
