"""Executing a graph: schedule ready steps, reuse cached ones, retry failures, record everything.

The orchestrator is one thread that owns all metadata writes for the run; steps run on an
executor and hand back artifact references. Every state change is one transaction, so a crash
leaves the run in a state `recover_interrupted` and `resume` understand.
"""

from __future__ import annotations

import contextlib
import heapq
import os
import sys
import threading
import time
from concurrent.futures import FIRST_COMPLETED, Future, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mloop.core.clock import utcnow
from mloop.core.errors import ConflictError, MloopError
from mloop.core.hashing import hash_json
from mloop.core.ids import new_id
from mloop.pipeline.caching.datainputs import resolve_data
from mloop.pipeline.caching.decision import decide, resolve_inputs
from mloop.pipeline.definition.graph import Graph, Node
from mloop.pipeline.execution import environment, logs
from mloop.pipeline.execution.attempts import Attempts
from mloop.pipeline.execution.executors import Executor, open_executor
from mloop.pipeline.execution.inputs import consumer_counts, digests, flatten, unflatten
from mloop.pipeline.execution.interrupts import SIGINT_NAME, Interrupts, RunInterrupted
from mloop.pipeline.execution.recording import Recorder
from mloop.pipeline.execution.recovery import HOST, recover_interrupted
from mloop.pipeline.execution.slots import Slots, machine_memory
from mloop.pipeline.execution.task import StepTask, TaskResult, execute_task
from mloop.stores.metadata import ArtifactRecord, RunRecord, StepRunRecord
from mloop.stores.workspace import Workspace

HEARTBEAT_SECONDS = 30.0


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
    recover_interrupted(workspace)
    now = utcnow()
    graph_json = graph.to_json()
    run = RunRecord(
        id=new_id(), pipeline=graph.name, status="running", params=params, graph=graph_json,
        graph_hash=hash_json(graph_json), created_at=now, started_at=now, host=HOST, pid=os.getpid(), heartbeat_at=now,
        reproduces=options.reproduces,
        options={"cache": options.cache, "executor": options.executor, "description": graph.description},
    )
    steps = [
        StepRunRecord(id=new_id(), run_id=run.id, node=n["name"], step=n["spec"]["name"], status="pending",
                      spec=n["spec"], source_hash=n["source_hash"])
        for n in graph_json["nodes"]
    ]
    workspace.metadata.create_run(run, steps)
    _Execution(workspace, run.id, graph, options, {s.node: s for s in steps}, {}, functions or {}).execute()
    return run.id


def resume_run(workspace: Workspace, run_id: str, options: RunOptions) -> str:
    """Execute again only the steps of `run_id` that failed or never ran, in the same run."""
    recover_interrupted(workspace)
    metadata = workspace.metadata
    run = metadata.get_run(run_id)
    if run.status == "running":
        raise ConflictError(f"run {run.id} is still running (pid {run.pid} on {run.host}); wait for it to end")
    if run.status == "succeeded":
        raise ConflictError(f"run {run.id} succeeded; nothing to resume (start a new one with mloop run)")
    graph = Graph.from_json(run.graph)
    records = {s.node: s for s in metadata.step_runs(run.id)}
    done: dict[str, dict[str, ArtifactRecord]] = {}
    finished = [s for s in records.values() if s.status in ("succeeded", "cached")]
    outputs = Recorder.outputs_of(metadata, [s.id for s in finished])
    for record in finished:
        done[record.node] = outputs.get(record.id, {})
    metadata.update_run(run.id, status="running", ended_at=None, error=None, host=HOST, pid=os.getpid(),
                        heartbeat_at=utcnow())
    _Execution(workspace, run.id, graph, options, records, done, {}).execute()
    return run.id


class _Execution:
    """The run loop: start ready steps (cache hits finish at once) as resources allow, collect
    what finishes, and record how the run ended. The attempt policy lives in `Attempts`."""

    def __init__(self, workspace: Workspace, run_id: str, graph: Graph, options: RunOptions,
                 records: dict[str, StepRunRecord], done: dict[str, dict[str, ArtifactRecord]],
                 functions: dict[str, Any]) -> None:
        self.workspace = workspace
        self.settings = workspace.settings
        self.run_id = run_id
        self.graph = graph
        self.options = options
        self.records = records
        self.done = done
        self.functions = functions
        self.recorder = Recorder(workspace.metadata, run_id)
        self.failed: dict[str, str] = {}
        self.inputs: dict[str, dict[str, ArtifactRecord]] = {}
        #: objects just produced in this process whose output has exactly one consumer: handed
        #: straight to it instead of being loaded back (the stored artifact stays the record)
        self.handover: dict[tuple[str, str], Any] = {}
        self.consumers = consumer_counts(graph)
        self.finished = False
        self.running: dict[Future[TaskResult], str] = {}
        self.interrupts = Interrupts(self._interrupting)
        self.attempts: Attempts | None = None

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
        executor: Executor | None = None
        abandoned = False
        try:
            pending = [n for n in self.graph.nodes if n not in self.done]
            if pending:
                capacity = self.options.max_workers or self.settings.max_workers
                executor = open_executor(self.options.executor or self.settings.executor, capacity,
                                         self.options.address or self.settings.address)
                try:
                    executor.preflight([self.graph.nodes[n] for n in pending], self.workspace)
                except MloopError as exc:
                    self._fail_before_start(str(exc), info, probe)
                    raise
                self.attempts = Attempts(self.workspace, self.run_id, self.records, self.recorder, executor,
                                         self.functions)
                # Routing stays installed for the whole run, not re-installed per step: changing
                # the root logger's level clears every logger's cache.
                logs.install()
                try:
                    memory = 0 if executor.places_by_resources else machine_memory()
                    self._loop(executor, self.attempts, pending, Slots(capacity, memory))
                finally:
                    logs.uninstall()
        except BaseException as exc:
            if self.finished:
                raise  # already recorded as a failed run (preflight)
            abandoned = isinstance(exc, KeyboardInterrupt)
            probe.join()
            with contextlib.suppress(Exception):
                if abandoned and self.attempts is not None:
                    self.attempts.abandon(list(self.running.values()))
                self.recorder.flush()  # keep what finished before the interruption
            reason = self._finish_interrupted(exc, info)
            if abandoned:
                raise RunInterrupted(self.run_id, f"run {self.run_id} {reason}", abandoned=True) from None
            raise
        finally:
            if executor is not None:
                executor.shutdown(wait=not abandoned)
        probe.join()
        if self.interrupts.requested and any(n not in self.done and n not in self.failed for n in self.graph.nodes):
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
            self.workspace.metadata.put_environment(env_id, snapshot)
            info["environment_id"] = env_id
        except Exception as exc:  # never fail a run for its bookkeeping
            info["code_version"] = {"error": str(exc)}

    def _loop(self, executor: Executor, attempts: Attempts, pending: list[str], slots: Slots) -> None:
        waiting = set(pending)
        ready: list[str] = []
        running = self.running
        retry_at: list[tuple[float, str]] = []
        last_beat = time.monotonic()
        while waiting or ready or running or retry_at:
            if self.interrupts.requested:  # start nothing more; what runs ends and is kept
                waiting.clear()
                ready.clear()
                retry_at.clear()
                if not running:
                    break
            for name in [n for n in self.graph.nodes if n in waiting]:
                upstream = self.graph.nodes[name].upstream()
                if any(u in self.failed for u in upstream):
                    waiting.discard(name)
                    self.failed[name] = "skipped"
                elif all(u in self.done for u in upstream):
                    waiting.discard(name)
                    if self._needs_execution(self.graph.nodes[name]):
                        ready.append(name)
            while retry_at and retry_at[0][0] <= time.monotonic():
                ready.append(heapq.heappop(retry_at)[1])
            deferred, starting = [], []
            for name in ready:
                if slots.take(slots.need(self.graph.nodes[name].spec)):
                    starting.append((name, self._start(attempts, self.graph.nodes[name])))
                else:
                    deferred.append(name)
            ready = deferred
            # What finished is on record before anything new starts: a crash from here on
            # never makes resume re-execute a step that succeeded.
            self.recorder.flush()
            for name, task in starting:
                running[executor.submit(task, self.graph.nodes[name].spec.resources)] = name
            if not running and not retry_at:
                if waiting or ready:  # cannot happen: one pass in topological order starts every ready node
                    raise RuntimeError(f"scheduler stalled with steps {sorted(waiting | set(ready))} waiting")
                break
            self.recorder.flush()
            timeout = max(0.0, retry_at[0][0] - time.monotonic()) if retry_at else HEARTBEAT_SECONDS
            finished, _ = wait(list(running), timeout=min(timeout, HEARTBEAT_SECONDS), return_when=FIRST_COMPLETED)
            for future in finished:
                name = running.pop(future)
                slots.release(slots.need(self.graph.nodes[name].spec))
                delay = self._collect(attempts, name, future)
                if delay is not None:
                    heapq.heappush(retry_at, (time.monotonic() + delay, name))
            if time.monotonic() - last_beat > HEARTBEAT_SECONDS:
                self.workspace.metadata.update_run(self.run_id, heartbeat_at=utcnow())
                last_beat = time.monotonic()
        for name in self.graph.nodes:
            if self.failed.get(name) == "skipped":
                failed_up = [u for u in self.graph.nodes[name].upstream() if u in self.failed]
                self.recorder.skipped(self.records[name], f"upstream step {failed_up[0]!r} failed")
                self._event(name, "skipped")
        self.recorder.flush()

    def _needs_execution(self, node: Node) -> bool:
        """Resolve inputs and decide on the cache; record a cache hit or an input failure at once."""
        record = self.records[node.name]
        try:
            inputs = resolve_inputs(node, self.done, self._data_input(node))
        except MloopError as exc:
            self.failed[node.name] = str(exc)
            assert self.attempts is not None
            self.recorder.failed(record, str(exc), self.attempts.of(node.name))
            self._event(node.name, "failed")
            return False
        decision = decide(node, {k: digests(v) for k, v in inputs.items()}, self.workspace, cache=self.options.cache)
        self.inputs[node.name] = flatten(inputs)
        record.cache_key, record.cache_parts = decision.key, decision.parts
        if decision.hit is not None:
            self.recorder.cached(record, decision.hit[0], self.inputs[node.name], decision.hit[1])
            self.done[node.name] = decision.hit[1]
            self._event(node.name, "cached")
            return False
        return True

    def _data_input(self, node: Node) -> Any:
        overrides = self.options.data_overrides.get(node.name, {})

        def data(name: str, path: str) -> ArtifactRecord:
            if name in overrides:
                return self.workspace.metadata.get_artifact(overrides[name])
            return resolve_data(self.workspace, Path(path))

        return data

    def _start(self, attempts: Attempts, node: Node) -> StepTask:
        preloaded = {name: self.handover.pop((ref["node"], ref["output"])) for name, ref in node.inputs.items()
                     if "node" in ref and (ref["node"], ref["output"]) in self.handover}
        task = attempts.start(node, unflatten(self.inputs[node.name]), preloaded)
        self._event(node.name, "running")
        return task

    def _collect(self, attempts: Attempts, name: str, future: Future[TaskResult]) -> float | None:
        """Record a finished task; returns a retry delay when the step should run again."""
        outcome = attempts.finish(self.graph.nodes[name], future, self.inputs[name])
        if outcome.outputs is not None:
            self.done[name] = outcome.outputs
            for output, obj in (outcome.objects or {}).items():
                if self.consumers.get((name, output)) == 1:
                    self.handover[(name, output)] = obj
            self._event(name, "succeeded")
            return None
        if outcome.retry_in is not None:
            self._event(name, "retrying")
            return outcome.retry_in
        self.failed[name] = outcome.error or "failed"
        self._event(name, "failed")
        return None

    def _event(self, node: str, status: str) -> None:
        if self.options.on_event is not None:
            self.options.on_event(node, status)

    def _finish(self, info: dict[str, Any]) -> None:
        failures = [(n, e) for n, e in self.failed.items() if e != "skipped"]
        error = None
        if failures:
            name, message = failures[0]
            more = f" (and {len(failures) - 1} more)" if len(failures) > 1 else ""
            error = f"{message}{more}"
        self.workspace.metadata.update_run(
            self.run_id, status="failed" if failures else "succeeded", ended_at=utcnow(), error=error,
            heartbeat_at=utcnow(), **info,
        )

    def _finish_interrupted(self, exc: BaseException | None, info: dict[str, Any]) -> str:
        """Record the run as interrupted; returns the reason recorded."""
        if exc is None:
            why = f"interrupted by {SIGINT_NAME}"
        elif isinstance(exc, KeyboardInterrupt):
            why = f"interrupted by {SIGINT_NAME} twice, abandoning its running steps"
        else:
            why = f"interrupted by {type(exc).__name__}" + (f": {exc}" if str(exc) else "")
        reason = f"{why}; resume with: mloop runs resume {self.run_id}"
        try:
            self.workspace.metadata.update_run(self.run_id, **info)
            self.workspace.metadata.mark_run_interrupted(self.run_id, reason)
        except Exception:  # the original exception matters more
            pass
        return reason


__all__ = ["RunInterrupted", "RunOptions", "execute_task", "recover_interrupted", "resume_run", "start_run"]
