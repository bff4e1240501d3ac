"""The run loop: start ready steps (cache hits finish at once) as their resources fit, collect
what finishes, schedule retries, keep the run's heartbeat. One thread owns it and every
metadata write of the run, batched into one transaction per turn."""

from __future__ import annotations

import heapq
import time
from concurrent.futures import FIRST_COMPLETED, Future, wait
from pathlib import Path
from typing import Any

from mloop.core.clock import utcnow
from mloop.core.errors import MloopError
from mloop.pipeline.caching.datainputs import resolve_data
from mloop.pipeline.caching.decision import decide, resolve_inputs
from mloop.pipeline.definition.graph import Graph, Node
from mloop.pipeline.execution.attempts import Attempts
from mloop.pipeline.execution.executors import Executor
from mloop.pipeline.execution.inputs import consumer_counts, digests, flatten, unflatten
from mloop.pipeline.execution.interrupts import Interrupts
from mloop.pipeline.execution.recording import Recorder
from mloop.pipeline.execution.slots import Slots
from mloop.pipeline.execution.task import StepTask, TaskResult
from mloop.stores.metadata import ArtifactRecord, StepRunRecord
from mloop.stores.workspace import Workspace

HEARTBEAT_SECONDS = 30.0


class Scheduler:
    def __init__(self, workspace: Workspace, run_id: str, graph: Graph, records: dict[str, StepRunRecord],
                 recorder: Recorder, interrupts: Interrupts, options: Any) -> None:
        self.workspace = workspace
        self.run_id = run_id
        self.graph = graph
        self.records = records
        self.recorder = recorder
        self.interrupts = interrupts
        self.cache: bool = options.cache
        self.data_overrides: dict[str, dict[str, str]] = options.data_overrides
        self.on_event = options.on_event
        #: node -> output -> artifact, of steps that succeeded or were cached (before or in this run)
        self.done: dict[str, dict[str, ArtifactRecord]] = {}
        #: node -> its error ("skipped" for steps downstream of a failure)
        self.failed: dict[str, str] = {}
        self.running: dict[Future[TaskResult], str] = {}
        self.inputs: dict[str, dict[str, ArtifactRecord]] = {}
        #: objects just produced in this process whose output has exactly one consumer: handed
        #: straight to it instead of being loaded back (the stored artifact stays the record)
        self.handover: dict[tuple[str, str], Any] = {}
        self.consumers = consumer_counts(graph)

    @property
    def stopped_early(self) -> bool:
        """Interrupted with steps that neither finished nor failed."""
        return self.interrupts.requested and any(n not in self.done and n not in self.failed for n in self.graph.nodes)

    def run(self, executor: Executor, attempts: Attempts, pending: list[str], slots: Slots) -> None:
        """Until every pending step succeeded, failed, was skipped or (after Ctrl-C) will not start."""
        waiting = set(pending)
        for name in pending:  # so a progress display knows how many steps this execution has
            self._event(name, "pending")
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
                self.workspace.runs.update_run(self.run_id, heartbeat_at=utcnow())
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
            self.recorder.failed(record, str(exc), list(record.attempts or []))
            self._event(node.name, "failed")
            return False
        decision = decide(node, {k: digests(v) for k, v in inputs.items()}, self.workspace, cache=self.cache)
        self.inputs[node.name] = flatten(inputs)
        record.cache_key, record.cache_parts = decision.key, decision.parts
        if decision.hit is not None:
            self.recorder.cached(record, decision.hit[0], self.inputs[node.name], decision.hit[1])
            self.done[node.name] = decision.hit[1]
            self._event(node.name, "cached")
            return False
        return True

    def _data_input(self, node: Node) -> Any:
        overrides = self.data_overrides.get(node.name, {})

        def data(name: str, path: str) -> ArtifactRecord:
            if name in overrides:
                return self.workspace.lineage.get_artifact(overrides[name])
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
        if self.on_event is not None:
            self.on_event(node, status)
