"""What a monitor is and what one evaluation of it measures.

A Monitor is a named, scheduled check of one kind on a model's logged predictions or on a data
source. A kind is a function (mloop.monitoring.kinds) that measures one window:

    evaluate(monitor, workspace, start, end) -> Measurement

and the monitor's runner stores the Measurement as a MonitorResult (the time series), then
raises or resolves the monitor's alert.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal

from mloop.core.durations import parse_duration
from mloop.core.errors import ValidationError

#: passed: within the threshold; failed: outside it; no_data: nothing in the window to judge
Status = Literal["passed", "failed", "no_data"]
STATUSES = ("passed", "failed", "no_data")


@dataclass(frozen=True)
class Monitor:
    """A named check, run on `schedule` (cron `"*/5 * * * *"` or `"@every 5m"`) over the last
    `window` of data.

    `model` names a registered model whose logged predictions are watched (all versions, or
    `version`/`deployment` only); `source` names a data source (a Parquet path or folder, or a
    feature view) for kinds that watch data rather than predictions. `threshold` is the kind's
    limit (see mloop.monitoring.kinds for each kind's default and direction); `options` holds
    kind-specific settings. Creating one checks it (ValidationError naming the monitor and the
    fix): a known kind, a window and schedule that parse, a model or a source as the kind needs."""

    name: str
    kind: str
    model: str | None = None
    version: int | None = None
    deployment: str | None = None
    source: str | None = None
    window: str = "1h"
    schedule: str | None = None
    threshold: float | None = None
    columns: tuple[str, ...] | None = None
    options: dict[str, Any] = field(default_factory=dict)
    description: str = ""

    def __post_init__(self) -> None:
        if isinstance(self.columns, list | str):
            columns = (self.columns,) if isinstance(self.columns, str) else tuple(self.columns)
            object.__setattr__(self, "columns", columns)
        # a mistake shows where the monitor is declared, not when the scheduler first runs it
        from mloop.monitoring.definitions import check_monitor

        check_monitor(self)

    @property
    def window_length(self) -> timedelta:
        try:
            return parse_duration(self.window)
        except ValueError as exc:
            raise ValidationError(f"monitor {self.name!r}: window {exc}") from None


@dataclass(frozen=True)
class Measurement:
    """What a kind measured over one window: the headline `value` judged against `threshold`,
    per-column or per-part `values`, and a one-line `summary` a person can read."""

    status: Status
    value: float | None
    threshold: float | None
    summary: str
    values: dict[str, Any] = field(default_factory=dict)
    #: how many rows (predictions, data rows) the window held
    rows: int = 0


@dataclass(frozen=True)
class MonitorResult:
    """One stored evaluation of a monitor: the time series `mloop monitor results` shows."""

    id: str
    monitor: str
    kind: str
    time: datetime
    window_start: datetime
    window_end: datetime
    status: Status
    value: float | None
    threshold: float | None
    summary: str
    values: dict[str, Any]
    rows: int
    duration_ms: float
