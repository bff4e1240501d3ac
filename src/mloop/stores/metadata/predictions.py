"""PredictionStore: logged predictions, the Parquet segments that hold large flushes, and labels.

Predictions travel in columns (a mapping of column name -> equal-length sequence, the names of
PREDICTION_COLUMNS), as the logger builds them per flush; `inputs`, `outputs` and `entity_key`
are JSON text, stored as is. Times are timezone-aware UTC.

Contract:
- each method is one transaction, and a write of many rows is one statement (never a row per
  transaction);
- `add_predictions` is idempotent: a request id already logged is left as it was (a retried flush
  never duplicates a row); `add_segment` likewise by segment id;
- `get_prediction` returns None for an unknown request id (it may be in a segment: see `segments`);
  `logged_request_ids` returns the given ids that are in the database (segments not included);
- `prediction_rows` returns columns (empty lists on a miss), newest first;
- `segments` returns the segments whose time range overlaps [since, until], oldest first;
- `replace_segments` records a compacted segment and forgets the ones it holds, in one
  transaction (a reader sees either the small segments or the compacted one, never both);
- labels are appended, never replaced: `labels_of` gives the newest label per request id and
  leaves out ids without one.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

#: the columns of a logged prediction, in table order
PREDICTION_COLUMNS = ("request_id", "time", "model", "version", "deployment", "role", "training_fingerprint",
                      "inputs", "outputs", "latency_ms", "entity_key")
#: the columns of a label row
LABEL_COLUMNS = ("request_id", "entity_key", "event_time", "label")


@dataclass(frozen=True)
class PredictionRecord:
    request_id: str
    time: datetime
    model: str
    version: int
    deployment: str | None
    #: "primary", "canary" or "shadow"
    role: str
    training_fingerprint: str | None
    #: JSON text: the model's inputs after enrichment
    inputs: str
    #: JSON text: {"prediction": ..., "probabilities": [...] or "probability_<class>": ...}
    outputs: str
    latency_ms: float | None
    #: JSON text of the entity columns, when the request carried entity keys
    entity_key: str | None


@dataclass(frozen=True)
class PredictionSegment:
    """A Parquet file of logged predictions (a flush too large for the database)."""

    id: str
    path: str
    rows: int
    min_time: datetime
    max_time: datetime
    model: str
    created_at: datetime


class PredictionStore(Protocol):
    def add_predictions(self, columns: Mapping[str, Sequence[Any]]) -> None: ...
    def get_prediction(self, request_id: str) -> PredictionRecord | None: ...
    def logged_request_ids(self, request_ids: Sequence[str]) -> set[str]: ...
    def prediction_rows(self, *, model: str | None = None, version: int | None = None,
                        deployment: str | None = None, since: datetime | None = None,
                        until: datetime | None = None, limit: int | None = None) -> dict[str, list[Any]]: ...
    def add_segment(self, segment: PredictionSegment) -> None: ...
    def segments(self, *, model: str | None = None, since: datetime | None = None,
                 until: datetime | None = None) -> list[PredictionSegment]: ...
    def replace_segments(self, compacted: PredictionSegment, replaced: Sequence[str]) -> None: ...
    def add_labels(self, columns: Mapping[str, Sequence[Any]]) -> None: ...
    def labels_of(self, request_ids: Sequence[str]) -> dict[str, str]: ...
