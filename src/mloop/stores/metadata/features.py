"""FeatureDefinitionStore: every version of every feature-store definition, and what was
materialized into the online store.

Contract:
- each method is one transaction;
- `put_definition` is idempotent on content: when the latest version of (kind, name) has the same
  spec hash, no version is made and that version is returned with `created=False`; otherwise the
  next version number is taken atomically (two writers never get the same number);
- reads of unknown names return None or empty lists, never raise;
- versions and materializations are listed oldest first;
- `record_training_set` is idempotent (the same artifact is the same training set).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

#: the kinds of definition
KINDS = ("entity", "view", "on_demand", "service")


@dataclass(frozen=True)
class DefinitionRecord:
    kind: str
    name: str
    version: int
    spec: dict[str, Any]
    spec_hash: str
    created_at: datetime
    created_by: str


@dataclass(frozen=True)
class MaterializationRecord:
    id: str
    view: str
    version: int
    start_time: datetime | None
    end_time: datetime
    rows: int
    newest_event_time: datetime | None
    online_url: str
    finished_at: datetime


class FeatureDefinitionStore(Protocol):
    def put_definition(self, kind: str, name: str, spec: dict[str, Any], spec_hash: str,
                       created_by: str) -> tuple[DefinitionRecord, bool]: ...
    def latest_definitions(self, kind: str | None = None) -> list[DefinitionRecord]: ...
    def definition(self, kind: str, name: str, version: int | None = None) -> DefinitionRecord | None: ...
    def definition_history(self, kind: str, name: str) -> list[DefinitionRecord]: ...
    def record_materialization(self, record: MaterializationRecord) -> None: ...
    def materializations(self, views: Sequence[str] | None = None, online_url: str | None = None,
                         limit: int = 100) -> list[MaterializationRecord]: ...
    def record_training_set(self, artifact_id: str, manifest: dict[str, Any]) -> None: ...
    def training_sets(self, artifact_ids: Sequence[str]) -> dict[str, dict[str, Any]]: ...
