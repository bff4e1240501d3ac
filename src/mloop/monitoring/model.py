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
from mloop.monitoring.kind_table import KINDS, SOURCE_KINDS
from mloop.monitoring.schedules import check_schedule

SEVERITIES = ("info", "warning", "critical")
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
        check_monitor(self)  # a mistake shows where the monitor is declared, not when it first runs

    @property
    def window_length(self) -> timedelta:
        try:
            return parse_duration(self.window)
        except ValueError as exc:
            raise ValidationError(f"monitor {self.name!r}: window {exc}") from None


def check_monitor(monitor: Monitor) -> Monitor:
    """The monitor if it can run: a known kind, a window and a schedule that parse, a model or a
    source as its kind needs; ValidationError naming the monitor and the fix otherwise."""
    where = f"monitor {monitor.name!r}"
    if not isinstance(monitor.name, str) or not monitor.name.strip() or len(monitor.name) > 200:
        raise ValidationError(f"a monitor needs a name (text, 1-200 characters), not {monitor.name!r}")
    if monitor.kind not in KINDS:
        import difflib

        close = difflib.get_close_matches(str(monitor.kind), KINDS, n=1)
        hint = f"did you mean {close[0]!r}? " if close else ""
        raise ValidationError(f"{where}: unknown kind {monitor.kind!r}; {hint}use one of: {', '.join(sorted(KINDS))}")
    monitor.window_length  # noqa: B018 - raises ValidationError naming the monitor
    if monitor.schedule is not None:
        check_schedule(monitor.schedule, where)
    needs = "source" if monitor.kind in SOURCE_KINDS else "model"
    if needs == "model" and not monitor.model:
        raise ValidationError(f"{where}: kind {monitor.kind!r} watches a model's predictions; set model='NAME'")
    if needs == "source" and not monitor.source:
        raise ValidationError(f"{where}: kind {monitor.kind!r} watches a data source; set source= a Parquet path "
                              "or a feature view name")
    if monitor.model and monitor.source:
        raise ValidationError(f"{where}: set either model or source, not both")
    if monitor.threshold is not None and (isinstance(monitor.threshold, bool)
                                          or not isinstance(monitor.threshold, int | float)):
        raise ValidationError(f"{where}: threshold must be a number, not {monitor.threshold!r}")
    if not isinstance(monitor.options, dict):
        raise ValidationError(f"{where}: options must be a mapping, not {type(monitor.options).__name__}")
    if monitor.options.get("severity", "warning") not in SEVERITIES:
        raise ValidationError(f"{where}: options.severity {monitor.options['severity']!r} is not one of: "
                              f"{', '.join(SEVERITIES)}")
    if "cooldown" in monitor.options:
        try:
            parse_duration(monitor.options["cooldown"])
        except ValueError as exc:
            raise ValidationError(f"{where}: options.cooldown {exc}") from None
    return monitor


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
