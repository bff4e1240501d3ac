"""TrackingStore: what runs log (metric points, params, tags, artifacts) and the search over runs.
A notebook run is a run of kind "experiment", made with RunStore.create_run.

Contract:
- each method is one transaction; a batch for an unknown run is refused whole (ConflictError);
- a param or tag logged again replaces the earlier value; the latest metric is the one with the
  highest step, then the newest time;
- reads of unknown runs or keys return empty results, never raise.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol

from mloop.stores.metadata.records import ArtifactRecord, RunRecord
from mloop.stores.metadata.tracking_records import MetricHistory, RunValues, SearchTable, TrackingBatch

if TYPE_CHECKING:
    from mloop.stores.metadata.run_query import RunQuery


class TrackingStore(Protocol):
    def log_batch(self, batch: TrackingBatch) -> None: ...
    def record_logged_artifact(self, run_id: str, step_run_id: str | None, name: str,
                               artifact: ArtifactRecord) -> None: ...
    def search_runs(self, query: RunQuery) -> list[RunRecord]: ...
    def search_table(self, query: RunQuery) -> SearchTable: ...
    def count_runs(self, query: RunQuery) -> int: ...
    def run_values(self, run_ids: Sequence[str]) -> dict[str, RunValues]: ...
    def metric_history(self, run_id: str, key: str) -> MetricHistory: ...
    def logged_artifacts(self, run_id: str) -> dict[str, tuple[ArtifactRecord, str | None]]: ...
