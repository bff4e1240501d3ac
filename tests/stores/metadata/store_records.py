"""Records and helpers shared by the metadata contract suites."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta, timezone
from typing import Any

from mloop.core.ids import new_id
from mloop.stores.metadata import ArtifactRecord, LineageEdge, MetadataStores, RunRecord, StepRunRecord

T0 = datetime(2024, 5, 1, 12, 0, tzinfo=timezone.utc)


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def make_run(run_id: str | None = None, *, pipeline: str = "training", status: str = "running",
             created: float = 0, **fields: Any) -> RunRecord:
    return RunRecord(
        id=run_id or new_id("r"), pipeline=pipeline, status=status,
        params={"n_estimators": 100, "path": "data/tx.parquet"},
        graph={"nodes": ["ingest", "train"], "edges": [["ingest", "train"]]}, graph_hash="g" * 64,
        created_at=at(created), **fields,
    )


def make_step(run: RunRecord, node: str, *, status: str = "pending", cache_key: str | None = None,
              ended: float | None = None, **fields: Any) -> StepRunRecord:
    return StepRunRecord(
        id=new_id("s"), run_id=run.id, node=node, step=f"steps.{node}", status=status,
        spec={"retries": 0, "resources": {"cpu": 1}}, cache_key=cache_key,
        ended_at=None if ended is None else at(ended), **fields,
    )


def make_artifact(name: str, *, created: float = 0, summary: dict[str, Any] | None = None) -> ArtifactRecord:
    digest = hashlib.sha256(name.encode()).hexdigest()
    return ArtifactRecord(
        id=digest, uri=f"/store/objects/{digest[:2]}/{digest}", kind="output", materializer="json",
        materializer_version="1", type_name="builtins.dict", size=12,
        summary={"length": 2} if summary is None else summary, created_at=at(created),
    )


def finish_step_run(store: MetadataStores, step_run_id: str, values: dict[str, Any],
                    artifacts: list[ArtifactRecord], edges: list[LineageEdge]) -> None:
    store.runs.apply_step_updates([(step_run_id, values)], artifacts, edges)


def finish(store: MetadataStores, step: StepRunRecord, outputs: dict[str, ArtifactRecord],
           inputs: dict[str, ArtifactRecord] | None = None, status: str = "succeeded") -> None:
    edges = [LineageEdge(step.id, "out", name, a.id, step.run_id) for name, a in outputs.items()]
    edges += [LineageEdge(step.id, "in", name, a.id, step.run_id) for name, a in (inputs or {}).items()]
    artifacts = [*outputs.values(), *(inputs or {}).values()]
    finish_step_run(store, step.id, {"status": status, "ended_at": step.ended_at}, artifacts, edges)


def update_step_run(store: MetadataStores, step_run_id: str, **values: Any) -> None:
    store.runs.apply_step_updates([(step_run_id, values)], [], [])


def step_run(store: MetadataStores, run_id: str, node: str) -> StepRunRecord:
    """The step run of `node` in a run (the store has no lookup by node: callers list a run's steps)."""
    [found] = [s for s in store.runs.step_runs(run_id) if s.node == node]
    return found
