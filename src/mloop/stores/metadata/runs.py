"""RunStore: runs, their step runs, the executions of those steps on workers, environments, and
the cache lookup over finished step runs.

Contract:
- each method is one transaction: it happens whole or not at all;
- `get_*` raise NotFoundError on a miss; `find_*` and `last_*` return None (or leave the key out);
- `get_run` takes a unique id prefix (at least 4 characters), as users type it;
- `put_environment` and the artifacts and edges given to `apply_step_updates` are idempotent;
- `create_run` twice with one id is a ConflictError.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from mloop.stores.metadata.records import (
    ArtifactRecord,
    LineageEdge,
    RunRecord,
    StepExecutionRecord,
    StepRunRecord,
)


@dataclass(frozen=True)
class PipelineSummary:
    """A pipeline (or a notebook experiment) as its runs show it: how many by status, and the newest."""

    name: str
    runs: int
    by_status: dict[str, int] = field(default_factory=dict)
    last_run_id: str = ""
    last_status: str = ""
    last_created_at: datetime | None = None
    last_ended_at: datetime | None = None
    kind: str = "pipeline"


#: a cache hit: the step run that produced the outputs, and its outputs by name
CachedStep = tuple[StepRunRecord, dict[str, ArtifactRecord]]


class RunStore(Protocol):
    # runs
    def create_run(self, run: RunRecord, step_runs: Sequence[StepRunRecord]) -> None: ...
    def update_run(self, run_id: str, **fields: Any) -> None: ...
    def get_run(self, run_id: str) -> RunRecord: ...
    def list_runs(self, pipeline: str | None = None, status: str | None = None, limit: int = 50) -> list[RunRecord]: ...
    def running_runs(self) -> list[RunRecord]: ...
    def pipeline_summaries(self) -> list[PipelineSummary]: ...
    def mark_run_interrupted(self, run_id: str, reason: str) -> bool: ...
    def put_environment(self, env_id: str, data: dict[str, Any]) -> None: ...
    def get_environment(self, env_id: str) -> dict[str, Any]: ...

    # step runs
    def step_runs(self, run_id: str) -> list[StepRunRecord]: ...
    def get_step_runs_by_id(self, ids: Sequence[str]) -> list[StepRunRecord]: ...
    def apply_step_updates(self, updates: Sequence[tuple[str, dict[str, Any]]], artifacts: Iterable[ArtifactRecord],
                           edges: Iterable[LineageEdge]) -> None: ...
    def find_cached(self, cache_key: str) -> CachedStep | None: ...
    def find_cached_many(self, cache_keys: Sequence[str]) -> dict[str, CachedStep]: ...
    def last_step_run(self, pipeline: str, node: str) -> StepRunRecord | None: ...

    # executions on workers (remote executors write these themselves)
    def start_execution(self, execution: StepExecutionRecord, lost_reason: str) -> list[StepExecutionRecord]: ...
    def end_execution(self, execution_id: str, status: str, error: str | None = None) -> None: ...
    def mark_lost_executions(self, step_run_id: str, reason: str) -> int: ...
    def step_executions(self, step_run_ids: Sequence[str]) -> list[StepExecutionRecord]: ...
