"""The attempt policy of a run's steps: the task for each attempt, what a finished attempt
means (success, a retry after a backoff delay, or failure), executions lost with their worker,
and attempts abandoned at a second Ctrl-C. The run loop decides what to start; this decides
what an attempt is and what came of it, asking the executor what it can do, never its kind."""

from __future__ import annotations

import time
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mloop.core.clock import utcnow
from mloop.core.imports import resolve
from mloop.pipeline.definition.graph import Node
from mloop.pipeline.execution.executors import Executor
from mloop.pipeline.execution.inputs import task_ref
from mloop.pipeline.execution.interrupts import SIGINT_NAME
from mloop.pipeline.execution.recording import Recorder
from mloop.pipeline.execution.task import LOST_REASON, StepTask, TaskResult, store_partial_log
from mloop.stores.metadata import ArtifactRecord, StepRunRecord
from mloop.stores.workspace import Workspace


@dataclass(frozen=True)
class Outcome:
    """What came of an attempt: outputs (succeeded), a delay before the next attempt (retry),
    or the step's final error (failed)."""

    outputs: dict[str, ArtifactRecord] | None = None
    retry_in: float | None = None
    error: str | None = None
    #: in-process only: output objects a sole consumer may take instead of loading them back
    objects: dict[str, Any] | None = None


class Attempts:
    def __init__(self, workspace: Workspace, run_id: str, records: dict[str, StepRunRecord], recorder: Recorder,
                 executor: Executor, functions: dict[str, Any]) -> None:
        self.workspace = workspace
        self.run_id = run_id
        self.records = records
        self.recorder = recorder
        self.executor = executor
        self.functions = functions
        self.logs_dir = workspace.logs_dir / run_id
        self.attempts: dict[str, list[dict[str, Any]]] = {n: list(r.attempts or []) for n, r in records.items()}
        #: attempts made before this execution (a resumed run): the retry budget starts afresh after them
        self.earlier: dict[str, int] = {n: len(a) for n, a in self.attempts.items()}

    def of(self, name: str) -> list[dict[str, Any]]:
        return self.attempts[name]

    def start(self, node: Node, inputs: dict[str, Any], preloaded: dict[str, Any]) -> StepTask:
        """The task for the node's next attempt; its "running" state is queued for the next flush.
        `preloaded` (input objects handed over in this process) is used only by an executor that
        shares this process's memory, and only on a first attempt."""
        record, attempts = self.records[node.name], self.attempts[node.name]
        attempt = len(attempts) + 1
        attempts.append({"attempt": attempt, "started_at": utcnow().isoformat(), "status": "running"})
        self.recorder.running(record, attempts)
        function = None
        if self.executor.shares_memory:
            function = self.functions.get(node.name) or resolve(node.uses, node.source_file)
        settings = self.workspace.settings
        return StepTask(
            run_id=self.run_id, step_run_id=record.id, node=node.name, uses=node.uses,
            source_file=node.source_file, artifacts_url=self.workspace.artifacts.url,
            metadata_url=settings.db_url, artifacts_options=settings.artifacts_options,
            isolation=node.spec.isolation, requirements=node.spec.requirements,
            inputs={k: task_ref(v) for k, v in inputs.items()},
            params=node.params, outputs=node.spec.outputs, materializers=node.spec.materializers,
            timeout=node.spec.timeout, log_path=str(self.log_path(node.name, attempt)),
            attempt=attempt, function=function,
            preloaded=preloaded if self.executor.shares_memory and attempt == 1 else {},
            record_execution=self.executor.workers_record_executions,
            max_executions=node.spec.retries + 1, first_attempt=self.earlier.get(node.name, 0) + 1,
        )

    def log_path(self, name: str, attempt: int) -> Path:
        return self.logs_dir / f"{name}.{attempt}.log"

    def finish(self, node: Node, future: Future[TaskResult], inputs: dict[str, ArtifactRecord]) -> Outcome:
        """Record a finished attempt and say what comes next (retries back off exponentially)."""
        name, record, attempts = node.name, self.records[node.name], self.attempts[node.name]
        try:
            result = future.result()
        except BaseException as exc:
            result = TaskResult(outputs={}, started=0, ended=time.time(),
                                error=f"step {name!r} could not run: {type(exc).__name__}: {exc}")
        if self.executor.workers_record_executions:
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
            return Outcome(outputs=self.recorder.succeeded(record, result, inputs, attempts), objects=result.objects)
        used = len(attempts) - self.earlier.get(name, 0)
        if used <= node.spec.retries and not result.final:
            delay = node.spec.retry_delay * node.spec.retry_backoff ** (used - 1)
            current["retry_delay"] = delay
            return Outcome(retry_in=delay)
        self.recorder.failed(record, result.error, attempts, result.log_digest, left=result, inputs=inputs)
        return Outcome(error=result.error)

    def _record_lost(self, step_run_id: str, attempts: list[dict[str, Any]], result: TaskResult) -> None:
        """Each execution whose worker died used an attempt: it goes in the record before the one
        that finished. The worker that ran the task again reported those it found (`result.lost`);
        one still 'running' now (no worker finished the task) is marked lost here."""
        workspace = self.workspace
        lost = list(result.lost)
        if workspace.runs.mark_lost_executions(step_run_id, LOST_REASON):
            attempt = attempts[-1]["attempt"]
            known = {x["worker"] for x in lost}
            lost += [e.as_attempt() for e in workspace.runs.step_executions([step_run_id])
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

    def abandon(self, names: list[str]) -> None:
        """Attempts left running at the second Ctrl-C end as interrupted, with what they had
        written to their log so far."""
        for name in names:
            attempts = self.attempts[name]
            digest = store_partial_log(self.workspace.artifacts, self.log_path(name, attempts[-1]["attempt"]))
            attempts[-1].update(status="interrupted", ended_at=utcnow().isoformat(), log=digest,
                                error=f"abandoned at the second {SIGINT_NAME}")
            self.recorder.interrupted(self.records[name], attempts, digest)
