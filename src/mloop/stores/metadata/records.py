"""Plain records the metadata store hands out: no database types leak past the seam."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

RUN_STATES = ("pending", "running", "succeeded", "failed", "interrupted")
STEP_STATES = ("pending", "running", "succeeded", "failed", "cached", "skipped")
FINISHED_STEP_STATES = ("succeeded", "cached")


@dataclass
class RunRecord:
    id: str
    pipeline: str
    status: str
    params: dict[str, Any]
    graph: dict[str, Any]
    graph_hash: str
    created_at: datetime
    started_at: datetime | None = None
    ended_at: datetime | None = None
    error: str | None = None
    code_version: dict[str, Any] | None = None
    environment_id: str | None = None
    host: str = ""
    pid: int = 0
    heartbeat_at: datetime | None = None
    reproduces: str | None = None
    options: dict[str, Any] = field(default_factory=dict)
    kind: str = "pipeline"  # | "experiment" (a notebook run from mloop.start_run)


@dataclass
class StepRunRecord:
    id: str
    run_id: str
    node: str
    step: str
    status: str
    spec: dict[str, Any]
    attempts: list[dict[str, Any]] = field(default_factory=list)
    cache_key: str | None = None
    cache_parts: dict[str, Any] | None = None
    cached_from: str | None = None
    source_hash: str | None = None
    started_at: datetime | None = None
    ended_at: datetime | None = None
    error: str | None = None
    log_uri: str | None = None


@dataclass
class ArtifactRecord:
    id: str
    uri: str
    kind: str
    materializer: str
    materializer_version: str
    type_name: str
    size: int
    summary: dict[str, Any]
    created_at: datetime


@dataclass(frozen=True)
class LineageEdge:
    step_run_id: str
    direction: str  # "in" | "out"
    name: str
    artifact_id: str
    run_id: str


@dataclass
class StepExecutionRecord:
    """One execution of a step attempt on a worker (a rerun after a worker died is another)."""

    id: str
    step_run_id: str
    attempt: int
    worker: str
    status: str
    started_at: datetime
    ended_at: datetime | None = None
    error: str | None = None

    def as_attempt(self) -> dict[str, Any]:
        """The fields a step run's attempt record takes from this execution."""
        return {"worker": self.worker, "started_at": self.started_at.isoformat(),
                "ended_at": self.ended_at.isoformat() if self.ended_at else None, "error": self.error}
