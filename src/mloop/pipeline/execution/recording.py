"""Writing step-run state changes to the metadata store, one transaction each."""

from __future__ import annotations

from typing import Any

from mloop.core.clock import utcnow
from mloop.pipeline.execution.task import TaskResult
from mloop.stores.metadata import ArtifactRecord, LineageEdge, LineageStore, RunStore, StepRunRecord


class Recorder:
    """Collects step-run changes and writes them in one transaction per `flush`: the scheduler
    flushes once per turn, before it waits, so the store is current whenever steps are running."""

    def __init__(self, runs: RunStore, run_id: str) -> None:
        self.runs = runs
        self.run_id = run_id
        self._updates: list[tuple[str, dict[str, Any]]] = []
        self._artifacts: dict[str, ArtifactRecord] = {}
        self._edges: list[LineageEdge] = []

    def flush(self) -> None:
        if self._updates:
            self.runs.apply_step_updates(self._updates, list(self._artifacts.values()), self._edges)
            self._updates, self._artifacts, self._edges = [], {}, []

    def _queue(self, step_run_id: str, values: dict[str, Any], artifacts: Any = (),
               edges: list[LineageEdge] | None = None) -> None:
        self._updates.append((step_run_id, values))
        for artifact in artifacts:
            self._artifacts.setdefault(artifact.id, artifact)
        self._edges.extend(edges or [])

    def running(self, record: StepRunRecord, attempts: list[dict[str, Any]]) -> None:
        values: dict[str, Any] = {"status": "running", "attempts": attempts, "cache_key": record.cache_key,
                                  "cache_parts": record.cache_parts, "error": None}
        if len(attempts) == 1:
            values["started_at"] = utcnow()
        self._queue(record.id, values)

    def succeeded(self, record: StepRunRecord, result: TaskResult, inputs: dict[str, ArtifactRecord],
                  attempts: list[dict[str, Any]]) -> dict[str, ArtifactRecord]:
        now = utcnow()
        outputs = self._records_of(result)
        self._queue(
            record.id,
            {"status": "succeeded", "ended_at": now, "attempts": attempts, "log_uri": result.log_digest,
             "error": None, "cache_key": record.cache_key, "cache_parts": record.cache_parts},
            outputs.values(),
            self._lineage(record, inputs, outputs),
        )
        return outputs

    def cached(self, record: StepRunRecord, source: StepRunRecord, inputs: dict[str, ArtifactRecord],
               outputs: dict[str, ArtifactRecord]) -> None:
        now = utcnow()
        self._queue(
            record.id,
            {"status": "cached", "started_at": now, "ended_at": now, "cached_from": source.id,
             "cache_key": record.cache_key, "cache_parts": record.cache_parts, "log_uri": source.log_uri},
            (),
            self._lineage(record, inputs, outputs),
        )

    def failed(self, record: StepRunRecord, error: str, attempts: list[dict[str, Any]],
               log_digest: str | None = None, *, left: TaskResult | None = None,
               inputs: dict[str, ArtifactRecord] | None = None) -> None:
        """A failed step; the outputs a failed data check `left` (its report) are recorded with it."""
        values: dict[str, Any] = {"status": "failed", "ended_at": utcnow(), "attempts": attempts, "error": error,
                                  "cache_key": record.cache_key, "cache_parts": record.cache_parts}
        if log_digest:
            values["log_uri"] = log_digest
        outputs = self._records_of(left) if left is not None else {}
        lineage = self._lineage(record, inputs or {}, outputs) if outputs else None
        self._queue(record.id, values, outputs.values(), lineage)

    def interrupted(self, record: StepRunRecord, attempts: list[dict[str, Any]], log_digest: str | None) -> None:
        """An attempt abandoned while it ran; the step itself is marked with the run."""
        values: dict[str, Any] = {"attempts": attempts}
        if log_digest:
            values["log_uri"] = log_digest
        self._queue(record.id, values)

    def skipped(self, record: StepRunRecord, reason: str) -> None:
        self._queue(record.id, {"status": "skipped", "error": reason, "ended_at": utcnow()})

    @staticmethod
    def _records_of(result: TaskResult) -> dict[str, ArtifactRecord]:
        now = utcnow()
        return {
            name: ArtifactRecord(
                id=o.digest, uri=o.uri, kind="output", materializer=o.materializer,
                materializer_version=o.materializer_version, type_name=o.type_name, size=o.size,
                summary=o.summary, created_at=now,
            )
            for name, o in result.outputs.items()
        }

    def _lineage(self, record: StepRunRecord, inputs: dict[str, ArtifactRecord],
               outputs: dict[str, ArtifactRecord]) -> list[LineageEdge]:
        edges = [LineageEdge(record.id, "in", name, a.id, self.run_id) for name, a in inputs.items()]
        edges += [LineageEdge(record.id, "out", name, a.id, self.run_id) for name, a in outputs.items()]
        return edges

    @staticmethod
    def outputs_of(lineage: LineageStore, step_run_ids: list[str]) -> dict[str, dict[str, ArtifactRecord]]:
        edges = lineage.step_run_edges(step_run_ids)
        artifacts = lineage.get_artifacts(sorted({e.artifact_id for e in edges if e.direction == "out"}))
        result: dict[str, dict[str, ArtifactRecord]] = {}
        for edge in edges:
            if edge.direction == "out":
                result.setdefault(edge.step_run_id, {})[edge.name] = artifacts[edge.artifact_id]
        return result
