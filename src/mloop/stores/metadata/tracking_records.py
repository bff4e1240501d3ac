"""Records of tracked values (metrics, params, tags) as the metadata store takes and hands them out."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np

#: longest param or tag value: they are indexed for search, and an index entry has a size limit
MAX_VALUE_CHARS = 2000
MAX_KEY_CHARS = 250

#: (run_id, step_run_id or None, key, value, step, timestamp in epoch seconds)
MetricRow = tuple[str, "str | None", str, float, int, float]
#: (run_id, step_run_id or None, key, value)
ParamRow = tuple[str, "str | None", str, str]
#: (run_id, key, value)
TagRow = tuple[str, str, str]


@dataclass
class SearchTable:
    """What a run search returns, as rows for a vectorised frame: `runs` are (id, pipeline, kind,
    status, started_at, ended_at) in the search's order; `values` are (run_id, kind, key, number,
    text) with kind "m" (latest metric: number), "p" (param: text) or "t" (tag: text)."""

    runs: list[tuple[Any, ...]]
    values: list[tuple[Any, ...]]


@dataclass
class TrackingBatch:
    """What a logger collected since its last flush; written in one transaction."""

    metrics: list[MetricRow] = field(default_factory=list)
    params: list[ParamRow] = field(default_factory=list)
    tags: list[TagRow] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.metrics) + len(self.params) + len(self.tags)


@dataclass
class RunValues:
    """The tracked values of one run: params and tags, and the latest value of each metric."""

    params: dict[str, str] = field(default_factory=dict)
    metrics: dict[str, float] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)


@dataclass
class MetricHistory:
    """Every point of one metric of a run, as arrays ordered by step then time."""

    steps: np.ndarray  # int64
    values: np.ndarray  # float64 (NaN where NaN was logged)
    timestamps: np.ndarray  # float64, epoch seconds
    step_run_ids: list[str | None]  # the step run that logged each point

    def __len__(self) -> int:
        return len(self.steps)


def as_text(value: Any) -> str:
    """How a param or tag value is stored and compared: strings as they are, anything else as JSON
    (so `n_estimators=200` is "200" and `flag=True` is "true", whether logged or a pipeline param)."""
    if isinstance(value, str):
        return value
    try:
        return json.dumps(value, sort_keys=True, default=str)
    except ValueError:  # a circular structure
        return repr(value)
