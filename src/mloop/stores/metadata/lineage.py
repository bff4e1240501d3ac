"""LineageStore: artifact records, the lineage edges between artifacts and step runs, and the
fingerprints that let an unchanged raw file skip hashing.

Contract:
- each method is one transaction;
- `get_artifact` takes a unique id prefix (at least 4 characters) and raises NotFoundError on a
  miss; `get_artifacts` leaves unknown ids out; `find_fingerprint` returns None on a miss;
- `record_artifact` is idempotent (an artifact is immutable: the first record of an id stays);
- `put_fingerprint` replaces the fingerprint of that path.
Step runs write their outputs' records and edges through RunStore.apply_step_updates, in the same
transaction as their status.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from mloop.stores.metadata.records import ArtifactRecord, LineageEdge


class LineageStore(Protocol):
    def record_artifact(self, artifact: ArtifactRecord) -> None: ...
    def get_artifact(self, artifact_id: str) -> ArtifactRecord: ...
    def get_artifacts(self, artifact_ids: Sequence[str]) -> dict[str, ArtifactRecord]: ...
    def list_artifacts(self, limit: int = 50) -> list[ArtifactRecord]: ...
    def step_run_edges(self, step_run_ids: Sequence[str]) -> list[LineageEdge]: ...
    def artifact_edges(self, artifact_ids: Sequence[str]) -> list[LineageEdge]: ...
    def find_fingerprint(self, path: str, fingerprint: str) -> str | None: ...
    def put_fingerprint(self, path: str, fingerprint: str, artifact_id: str) -> None: ...
