"""Executing a graph: schedule ready steps, reuse cached ones, retry failures, record everything.

The orchestrator is one thread that owns all metadata writes for the run; steps run on an
executor and hand back artifact references. Every state change is one transaction, so a crash
leaves the run in a state `recover_interrupted` and `resume` understand.
"""

from __future__ import annotations

import contextlib
import heapq
import os
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
from mloop.core.imports import resolve
from mloop.pipeline.caching.datainputs import resolve_data
from mloop.pipeline.caching.key import cache_key, cache_parts
from mloop.pipeline.definition.graph import Graph, Node
from mloop.pipeline.execution import environment, logs
from mloop.pipeline.execution.executors import Executor, open_executor
from mloop.pipeline.execution.inputs import consumer_counts, digests, flatten, task_ref
from mloop.pipeline.execution.recording import Recorder
from mloop.pipeline.execution.recovery import HOST, recover_interrupted
from mloop.pipeline.execution.slots import Slots, machine_memory
from mloop.pipeline.execution.task import LOST_REASON, StepTask, TaskResult, execute_task
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


def start_run(workspace: Workspace, graph: Graph, params: dict[str, Any], options: RunOptions,
              functions: dict[str, Any] | None = None) -> str:
    """Record a new run of `graph` and execute it to the end; returns the run id."""
    workspace.check_writable()
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
    workspace.check_writable()
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
        self.attempts: dict[str, list[dict[str, Any]]] = {n: list(r.attempts or []) for n, r in records.items()}
        #: attempts made before this execution (a resumed run): the retry budget starts afresh after them
        self.earlier: dict[str, int] = {n: len(a) for n, a in self.attempts.items()}
        self.inputs: dict[str, dict[str, ArtifactRecord]] = {}
        self.parts: dict[str, dict[str, Any]] = {}
        self.logs_dir = workspace.logs_dir / run_id
        #: objects just produced in this process whose output has exactly one consumer: handed
        #: straight to it instead of being loaded back (the stored artifact stays the record)
        self.handover: dict[tuple[str, str], Any] = {}
        self.consumers = consumer_counts(graph)
        self.finished = False
        self.remote = False

    def execute(self) -> None:
        info: dict[str, Any] = {}
        probe = threading.Thread(target=self._probe_environment, args=(info,), daemon=True)
        probe.start()
        executor: Executor | None = None
        try:
            pending = [n for n in self.graph.nodes if n not in self.done]
            if pending:
                capacity = self.options.max_workers or self.settings.max_workers
                executor = open_executor(self.options.executor or self.settings.executor, capacity,
                                         self.options.address or self.settings.address)
                self.remote = executor.remote
                try:
                    executor.preflight([self.graph.nodes[n] for n in pending], self.settings.db_url,
                                       self.workspace.artifacts.url, self.settings.artifacts_options)
                except MloopError as exc:
                    self._fail_before_start(str(exc), info, probe)
                    raise
                # Routing stays installed for the whole run, not re-installed per step: changing
                # the root logger's level clears every logger's cache.
                logs.install()
                try:
                    # Dask places steps by its workers' resources; locally, this machine's memory counts
                    self._loop(executor, pending, Slots(capacity, 0 if executor.remote else machine_memory()))
                finally:
                    logs.uninstall()
        except BaseException as exc:
            if self.finished:
                raise  # already recorded as a failed run (preflight)
            probe.join()
            with contextlib.suppress(Exception):
                self.recorder.flush()  # keep what finished before the interruption
            self._finish_interrupted(exc, info)
            raise
        finally:
            if executor is not None:
                executor.shutdown()
        probe.join()
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

    def _loop(self, executor: Executor, pending: list[str], slots: Slots) -> None:
        """Start ready steps (cache hits finish at once) while their resources fit in `slots`."""
        waiting = set(pending)
        ready: list[str] = []
        running: dict[Future[TaskResult], str] = {}
        retry_at: list[tuple[float, str]] = []
        last_beat = time.monotonic()
        while waiting or ready or running or retry_at:
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
                    starting.append((name, self._prepare(executor, self.graph.nodes[name])))
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
                delay = self._collect(name, future)
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
        """Resolve inputs and the cache key; record a cache hit or an input failure at once."""
        try:
            inputs = self._resolve_inputs(node)
        except MloopError as exc:
            self.failed[node.name] = str(exc)
            self.recorder.failed(self.records[node.name], str(exc), self.attempts[node.name])
            self._event(node.name, "failed")
            return False
        parts = cache_parts(node, {k: digests(v) for k, v in inputs.items()})
        key = cache_key(parts)
        self.inputs[node.name], self.parts[node.name] = flatten(inputs), parts
        record = self.records[node.name]
        record.cache_key, record.cache_parts = key, parts
        if self.options.cache and node.spec.cache:
            hit = self.workspace.metadata.find_cached(key)
            if hit is not None and all(self.workspace.artifacts.exists(a.id) for a in hit[1].values()) \
                    and set(hit[1]) == set(node.spec.outputs):
                self.recorder.cached(record, hit[0], self.inputs[node.name], hit[1])
                self.done[node.name] = hit[1]
                self._event(node.name, "cached")
                return False
        return True

    def _resolve_inputs(self, node: Node) -> dict[str, Any]:
        resolved: dict[str, Any] = {}
        overrides = self.options.data_overrides.get(node.name, {})
        for name, ref in node.inputs.items():
            if "data" in ref:
                if name in overrides:
                    resolved[name] = self.workspace.metadata.get_artifact(overrides[name])
                else:
                    resolved[name] = resolve_data(self.workspace, Path(ref["data"]))
            elif "list" in ref:
                resolved[name] = [self.done[i["node"]][i["output"]] for i in ref["list"]]
            else:
                resolved[name] = self.done[ref["node"]][ref["output"]]
        return resolved

    def _prepare(self, executor: Executor, node: Node) -> StepTask:
        """The task for the node's next attempt; its "running" state is queued for the next flush."""
        record = self.records[node.name]
        attempt = len(self.attempts[node.name]) + 1
        self.attempts[node.name].append({"attempt": attempt, "started_at": utcnow().isoformat(), "status": "running"})
        self.recorder.running(record, self.attempts[node.name])
        self._event(node.name, "running")
        function = None
        preloaded: dict[str, Any] = {}
        if executor.in_process:
            function = self.functions.get(node.name) or resolve(node.uses, node.source_file)
            for name, ref in node.inputs.items():
                if "node" in ref and (ref["node"], ref["output"]) in self.handover and attempt == 1:
                    preloaded[name] = self.handover.pop((ref["node"], ref["output"]))
        task = StepTask(
            run_id=self.run_id, step_run_id=record.id, node=node.name, uses=node.uses,
            source_file=node.source_file, artifacts_url=self.workspace.artifacts.url,
            metadata_url=self.settings.db_url, artifacts_options=self.settings.artifacts_options, isolation=node.spec.isolation, requirements=node.spec.requirements,
            inputs={k: task_ref(v) for k, v in self._current_inputs(node).items()},
            params=node.params, outputs=node.spec.outputs, materializers=node.spec.materializers,
            timeout=node.spec.timeout, log_path=str(self.logs_dir / f"{node.name}.{attempt}.log"),
            attempt=attempt, function=function, preloaded=preloaded, record_execution=executor.remote,
            max_executions=node.spec.retries + 1, first_attempt=self.earlier.get(node.name, 0) + 1,
        )
        return task

    def _current_inputs(self, node: Node) -> dict[str, Any]:
        grouped: dict[str, Any] = {}
        for key, artifact in self.inputs[node.name].items():
            name, _, index = key.partition("[")
            if index:
                grouped.setdefault(name, []).append(artifact)
            else:
                grouped[name] = artifact
        return grouped

    def _collect(self, name: str, future: Future[TaskResult]) -> float | None:
        """Record a finished task; returns a retry delay when the step should run again."""
        node, record = self.graph.nodes[name], self.records[name]
        attempts = self.attempts[name]
        try:
            result = future.result()
        except BaseException as exc:
            result = TaskResult(outputs={}, started=0, ended=time.time(),
                                error=f"step {name!r} could not run: {type(exc).__name__}: {exc}")
        if self.remote:
            self._record_lost(record.id, attempts, result)
        current = attempts[-1]
        current.update(ended_at=utcnow().isoformat(), status="failed" if result.error else "succeeded",
                       log=result.log_digest, error=result.error)
        if result.refused and len(attempts) > 1 and attempts[-2]["status"] == "lost":
            attempts.pop()  # its worker died and no retry was left: the lost execution was the last attempt
            attempts[-1]["error"] = result.error
        if result.worker and not result.refused:
            current["worker"] = result.worker
        if result.environment:
            current["environment"] = result.environment
        if result.error is None:
            self.done[name] = self.recorder.succeeded(record, result, self.inputs[name], attempts)
            for output, obj in result.objects.items():
                if self.consumers.get((name, output)) == 1:
                    self.handover[(name, output)] = obj
            self._event(name, "succeeded")
            return None
        used = len(attempts) - self.earlier.get(name, 0)
        if used <= node.spec.retries:
            self._event(name, "retrying")
            return node.spec.retry_delay * node.spec.retry_backoff ** (used - 1)
        self.failed[name] = result.error
        self.recorder.failed(record, result.error, attempts, result.log_digest)
        self._event(name, "failed")
        return None

    def _record_lost(self, step_run_id: str, attempts: list[dict[str, Any]], result: TaskResult) -> None:
        """Each execution whose worker died used an attempt: it goes in the record before the one
        that finished. The worker that ran the task again reported those it found (`result.lost`);
        one still 'running' now (no worker finished the task) is marked lost here."""
        lost = list(result.lost)
        if self.workspace.metadata.mark_lost_executions(step_run_id, LOST_REASON):
            attempt = attempts[-1]["attempt"]
            known = {x["worker"] for x in lost}
            lost += [e.as_attempt() for e in self.workspace.metadata.step_executions([step_run_id])
                     if e.attempt == attempt and e.status == "lost" and e.worker not in known]
        if not result.worker and lost:  # no worker answered (every one died, the scheduler went):
            attempts[-1]["worker"] = lost.pop()["worker"]  # the last lost execution is this attempt
        if not lost:
            return
        current = attempts.pop()
        for entry in lost:
            attempts.append({"attempt": len(attempts) + 1, "status": "lost", **entry})
        current["attempt"] = len(attempts) + 1
        attempts.append(current)

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

    def _finish_interrupted(self, exc: BaseException, info: dict[str, Any]) -> None:
        reason = f"interrupted by {type(exc).__name__}: {exc}; resume with: mloop runs resume {self.run_id}"
        try:
            self.workspace.metadata.update_run(self.run_id, **info)
            self.workspace.metadata.mark_run_interrupted(self.run_id, reason)
        except Exception:  # the original exception matters more
            pass


__all__ = ["RunOptions", "execute_task", "recover_interrupted", "resume_run", "start_run"]
