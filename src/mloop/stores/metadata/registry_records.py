"""Plain records of the model registry, as the metadata store hands them out."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

STAGES = ("staging", "production", "archived")


@dataclass(frozen=True)
class ModelRecord:
    name: str
    description: str
    latest_version: int
    created_at: datetime


@dataclass(frozen=True)
class ModelVersionRecord:
    """A registered version. Everything but `stage` and `card` is fixed when it is created."""

    model: str
    version: int
    artifact_id: str
    run_id: str | None
    step_run_id: str | None
    signature: dict[str, Any] | None
    metrics: dict[str, Any]
    lineage: dict[str, Any]
    description: str
    card: dict[str, Any] | None
    stage: str | None
    created_at: datetime
    created_by: str


@dataclass(frozen=True)
class AliasChange:
    """One move of an alias: `action` is "set", "rollback" or "delete"; versions are None when absent."""

    id: int
    model: str
    alias: str
    from_version: int | None
    to_version: int | None
    action: str
    forced: bool
    reason: str
    changed_by: str
    changed_at: datetime


@dataclass(frozen=True)
class StageChange:
    id: int
    model: str
    version: int
    from_stage: str | None
    to_stage: str | None
    forced: bool
    reason: str
    changed_by: str
    changed_at: datetime


@dataclass(frozen=True)
class BlessingRecord:
    """The outcome of a blessing policy on a version: every rule with its values and reason."""

    id: str
    model: str
    version: int
    policy: dict[str, Any]
    passed: bool
    forced: bool
    rules: list[dict[str, Any]]
    evaluation: dict[str, Any]
    created_at: datetime
    created_by: str
