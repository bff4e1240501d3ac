"""Runs side by side (mloop.compare_runs): which fields differ across them, a param against a
metric as a scatter and as parallel coordinates, and the histories of a metric overlaid."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from markupsafe import Markup

import mloop
from mloop.ui.charts import Axis, Line, Point, line_chart, parallel_coordinates, scatter
from mloop.ui.run_views import metric_lines

#: params drawn as axes of the parallel-coordinates view at most
MAX_AXES = 8
#: metrics whose histories are read to pick the one drawn by default, at most
MAX_PROBED = 10


@dataclass(frozen=True)
class CompareRow:
    field: str
    values: list[Any]
    differs: bool


@dataclass
class CompareView:
    run_ids: list[str]
    rows: list[CompareRow]
    metrics: list[str]
    params: list[str]
    metric: str = ""
    param: str = ""
    charts: dict[str, Markup] = field(default_factory=dict)

    @property
    def differing(self) -> int:
        return sum(row.differs for row in self.rows)


def _same(values: list[Any]) -> bool:
    kept = ["" if v is None or (isinstance(v, float) and math.isnan(v)) else v for v in values]
    return all(v == kept[0] for v in kept)


def _number(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _default_param(rows: list[CompareRow]) -> str:
    """The param the scatter draws unless chosen: the first numeric one that differs, else the first numeric one."""
    numeric = [row for row in rows if row.field.startswith("params.")
               and all(_number(v) is not None for v in row.values if v is not None)]
    chosen = next((row for row in numeric if row.differs), numeric[0] if numeric else None)
    return chosen.field.removeprefix("params.") if chosen else ""


def compare(run_ids: list[str], metric: str = "", param: str = "") -> CompareView:
    """The compare page of these runs (ids or unique prefixes); `metric` and `param` choose what the
    charts draw (default: the first metric and the first param the runs have)."""
    frame = mloop.compare_runs(run_ids)
    ids = [str(c) for c in frame.columns]
    rows = [CompareRow(str(name), list(values), len(ids) > 1 and not _same(list(values)))
            for name, values in zip(frame.index, frame.to_numpy().tolist(), strict=True)]
    metrics = [r.field.removeprefix("metrics.") for r in rows if r.field.startswith("metrics.")]
    params = [r.field.removeprefix("params.") for r in rows if r.field.startswith("params.")]
    if metric and metric not in metrics:
        raise mloop.NotFoundError(f"none of these runs logged metric {metric!r}; they have: {', '.join(metrics) or 'none'}")
    if param and param not in params:
        raise mloop.NotFoundError(f"none of these runs has param {param!r}; they have: {', '.join(params) or 'none'}")
    view = CompareView(ids, rows, metrics, params, metric, param or _default_param(rows))
    histories: dict[str, list[Line]] = {}
    for key in [metric] if metric else metrics[:MAX_PROBED]:  # the first metric with a history to overlay
        histories[key] = metric_lines(ids, key)
        if any(len(line.xs) > 1 for line in histories[key]):
            break
    if not view.metric and metrics:
        view.metric = next((key for key, lines in histories.items() if any(len(line.xs) > 1 for line in lines)),
                           metrics[0])
    if view.metric:
        by_field = {row.field: row.values for row in rows}
        metric_values = by_field[f"metrics.{view.metric}"]
        lines = histories.get(view.metric) or metric_lines(ids, view.metric)
        view.charts["history"] = line_chart(lines, title=view.metric, x_label="step", y_label=view.metric, width=900)
        if view.param:
            points = [Point(x, y, run_id) for run_id, x, y in
                      zip(ids, map(_number, by_field[f"params.{view.param}"]), map(_number, metric_values), strict=True)
                      if x is not None and y is not None]
            view.charts["scatter"] = scatter(points, title=f"{view.metric} vs {view.param}", x_label=view.param,
                                             y_label=view.metric)
        varying = [name for name in params if any(r.differs for r in rows if r.field == f"params.{name}")]
        axes = [Axis(name, by_field[f"params.{name}"]) for name in (varying or params)[:MAX_AXES]]
        axes.append(Axis(view.metric, [_number(v) for v in metric_values]))
        view.charts["parallel"] = parallel_coordinates(axes, [i[:12] for i in ids], title=f"params → {view.metric}", width=900)
    return view
