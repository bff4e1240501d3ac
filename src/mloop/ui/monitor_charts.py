"""A monitor's results as time-series charts: the measured value against its threshold, then the
series inside the results' `values` — drift statistics per column (with their thresholds),
estimated against realized performance, counts — one chart per group, one line per series.

What the kinds record (mloop.monitoring.kinds), and how it is drawn:
    {"count": 12}                                   -> a chart "count"
    {"columns": [{"name": "amount", "statistic": 0.31, "threshold": 0.2}, ...]}
    {"columns": {"amount": {"statistic": 0.31, "threshold": 0.2}, ...}}
                                                    -> "columns": a line per column, thresholds dashed
    {"estimates": {"auc": 0.81}, "realized": {"auc": 0.78}}
                                                    -> "estimated vs realized": a line of each
    {"metrics": {"auc": 0.9, "f1": 0.7}}            -> "metrics": a line per metric
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from markupsafe import Markup

from mloop.ui.charts import Line, line_chart

#: charts drawn from `values` at most, and lines per chart
MAX_GROUPS, MAX_LINES = 4, 8
_PERFORMANCE = ("estimates", "realized")


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def value_groups(values: dict[str, Any]) -> tuple[dict[str, dict[str, float]], dict[str, set[float]]]:
    """The numeric series of one result's values, by group then series name, and the thresholds
    recorded beside them (per group)."""
    groups: dict[str, dict[str, float]] = {}
    thresholds: dict[str, set[float]] = {}
    for key, value in values.items():
        if isinstance(value, dict) and value and all(isinstance(v, dict) and "statistic" in v for v in value.values()):
            value = [{"name": name, **column} for name, column in value.items()]  # columns keyed by name (data_drift)
        if _is_number(value):
            groups[key] = {key: float(value)}
        elif isinstance(value, dict):
            numbers = {str(k): float(v) for k, v in value.items() if _is_number(v)}
            if numbers:
                name = "estimated vs realized" if key in _PERFORMANCE else key
                prefix = {"estimates": "estimated ", "realized": "realized "}.get(key, "")
                groups.setdefault(name, {}).update({prefix + k: v for k, v in numbers.items()})
        elif isinstance(value, list) and value and all(isinstance(item, dict) and "name" in item for item in value):
            numbers = {str(item["name"]): float(item["statistic"]) for item in value if _is_number(item.get("statistic"))}
            if numbers:
                groups[key] = numbers
                thresholds[key] = {float(item["threshold"]) for item in value if _is_number(item.get("threshold"))}
    return groups, thresholds


def monitor_charts(monitor: Any, results: Sequence[Any]) -> list[Markup]:
    """Charts of `results` (oldest first): the main value with the threshold, then up to
    MAX_GROUPS groups of series from the values (a group repeating the main value is left out)."""
    times = [r.time.timestamp() for r in results]
    charts = [line_chart([Line(monitor.kind, times, [_float(r.value) for r in results])],
                         title=f"{monitor.name}: {monitor.kind}", x_label="time", time_axis=True, width=900,
                         thresholds=main_thresholds(results))]
    per_result = [value_groups(r.values) for r in results]
    names: dict[str, dict[str, None]] = {}
    limits: dict[str, set[float]] = {}
    for groups, thresholds in per_result:
        for group, found_series in groups.items():
            names.setdefault(group, {}).update(dict.fromkeys(found_series))
        for group, found in thresholds.items():
            limits.setdefault(group, set()).update(found)
    drawn = 0
    for group, series_names in names.items():
        if drawn == MAX_GROUPS:
            break
        lines = [Line(name, times, [groups.get(group, {}).get(name, math.nan) for groups, _ in per_result])
                 for name in list(series_names)[:MAX_LINES]]
        if len(lines) == 1 and all(a == b or (math.isnan(a) and math.isnan(b))
                                   for a, b in zip(lines[0].ys, [_float(r.value) for r in results], strict=True)):
            continue  # the main value again
        wide = len(lines) > 2  # room for the keys of several series
        charts.append(line_chart(lines, title=group, x_label="time", time_axis=True, width=900 if wide else 440, height=240,
                                 thresholds=[("threshold", t) for t in sorted(limits.get(group, ()))[-2:]]))
        drawn += 1
    return charts


def main_thresholds(results: Sequence[Any]) -> list[tuple[str, float]]:
    """The lines drawn on the main chart. A performance monitor's threshold is the largest drop from
    the baseline it accepts, not a level of the value: its line is the baseline minus that drop
    (plus, for a metric where lower is better), from the newest result. Otherwise the thresholds."""
    with_threshold = [r for r in results if r.threshold is not None]
    if with_threshold:
        last = with_threshold[-1]
        found = [(last.values or {}).get("baseline"), (last.values or {}).get("drop"), last.value]
        if all(_is_number(x) for x in found):
            baseline, drop, value = (float(x) for x in found)
            lower_is_better = drop != 0 and (baseline - value) * drop < 0
            limit = baseline + last.threshold if lower_is_better else baseline - last.threshold
            return [(f"{'highest' if lower_is_better else 'lowest'} accepted", limit)]
    return [("threshold", t) for t in sorted({r.threshold for r in with_threshold})[-2:]]


def _float(value: Any) -> float:
    return float(value) if _is_number(value) else math.nan
