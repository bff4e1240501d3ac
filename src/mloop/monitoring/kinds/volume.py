"""volume: how many predictions of `model` were logged in the window.

Judged against fixed bounds, `options.min` (or `threshold`) and `options.max`, or against the
trailing mean of the `options.baseline` (default 7) windows before it: with `options.tolerance`
a ratio such as 0.5, the count fails when it is off that mean by more than half of it. Counted
by DuckDB over the prediction log (database rows and Parquet segments together)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from mloop.core.errors import ValidationError
from mloop.monitoring.model import Measurement, Monitor

if TYPE_CHECKING:
    from mloop.stores.workspace import Workspace


def evaluate(monitor: Monitor, workspace: Workspace, start: datetime, end: datetime) -> Measurement:
    options = monitor.options
    low = _number(monitor, "min", options.get("min", monitor.threshold))
    high = _number(monitor, "max", options.get("max"))
    tolerance = _number(monitor, "tolerance", options.get("tolerance"))
    if low is None and high is None and tolerance is None:
        raise ValidationError(f"monitor {monitor.name!r}: volume needs options.min and/or options.max, or "
                              "options.tolerance (a ratio to the trailing mean), e.g. options: {min: 100}")
    baseline = int(_number(monitor, "baseline", options.get("baseline", 7)) or 7) if tolerance is not None else 0
    counts = window_counts(monitor, workspace, start, end, baseline)
    count = counts[0]
    values: dict[str, Any] = {"count": count}
    problems = []
    if low is not None and count < low:
        problems.append(f"below min {low:g}")
    if high is not None and count > high:
        problems.append(f"above max {high:g}")
    if tolerance is not None:
        previous = counts[1:]
        mean = sum(previous) / len(previous) if previous else 0.0
        values.update(trailing_mean=mean, previous_counts=previous)
        if mean == 0 and low is None and high is None:
            return Measurement("no_data", float(count), tolerance, f"{count} predictions; no earlier predictions "
                               "to compare with", values=values, rows=count)
        if mean > 0:
            ratio = count / mean
            values["ratio"] = ratio
            if abs(ratio - 1) > tolerance:
                problems.append(f"{ratio:.0%} of the trailing mean {mean:.1f} (tolerance ±{tolerance:.0%})")
    span = f"{count} predictions of {monitor.model} in the last {monitor.window}"
    if problems:
        return Measurement("failed", float(count), low if low is not None else high,
                           f"{span}: {'; '.join(problems)}", values=values, rows=count)
    return Measurement("passed", float(count), low if low is not None else high, span, values=values, rows=count)


def window_counts(monitor: Monitor, workspace: Workspace, start: datetime, end: datetime, previous: int) -> list[int]:
    """Predictions in [start, end) and in each of the `previous` windows before it (newest first)."""
    from mloop.serving.prediction_query import Window, open_log

    length = end - start
    first = start - length * previous
    connection = open_log(workspace, Window(model=monitor.model, version=monitor.version,
                                            deployment=monitor.deployment, since=first, until=end))
    try:
        rows = connection.execute(
            "SELECT (ceil(epoch(? - time) / ?) - 1)::BIGINT AS back, count(*) FROM picked WHERE time < ? "
            "GROUP BY back", [end, length.total_seconds(), end]).fetchall()
    finally:
        connection.close()
    found = {int(back): int(n) for back, n in rows}
    return [found.get(i, 0) for i in range(previous + 1)]


def _number(monitor: Monitor, name: str, value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise ValidationError(f"monitor {monitor.name!r}: options.{name} must be a number >= 0, not {value!r}")
    return float(value)
