"""The SVG drawings of the runs pages, as functions: parallel coordinates (numeric and category
axes, missing values, colour by the metric), overlaid lines, and a run's DAG layout."""

from __future__ import annotations

import re

import pytest
from ui_html import tags

from mloop.core.errors import ValidationError
from mloop.ui.charts import PALETTE, Axis, Line, line_chart, parallel_coordinates
from mloop.ui.graph import GraphNode, dag_svg, layers
from mloop.ui.run_views import graph_edges, log_tail, runs_filter


def _points(path_d: str) -> list[tuple[str, float, float]]:
    return [(pen, float(x), float(y)) for pen, x, y in re.findall(r"([ML])(-?[\d.]+),(-?[\d.]+)", path_d)]


def test_parallel_coordinates_one_line_per_run_across_the_axes() -> None:
    svg = str(parallel_coordinates([Axis("lr", ["0.1", "0.3", "0.2"]), Axis("model", ["xgb", "rf", None]),
                                    Axis("auc", [0.8, 0.9, 0.85])], ["a", "b", "c"], title="params → auc"))
    lines = {line["data-run"]: line for line in tags(svg, "path", cls="pc-line")}
    assert set(lines) == {"a", "b", "c"}
    a, b, c = (_points(lines[run]["d"]) for run in "abc")
    assert [pen for pen, _, _ in a] == ["M", "L", "L"]
    assert a[0][2] > b[0][2]  # lr 0.1 sits below lr 0.3 (SVG y grows downwards)
    assert [pen for pen, _, _ in c] == ["M", "M"]  # no model: the line breaks at that axis
    assert lines["a"]["stroke"] == PALETTE[0] and lines["b"]["stroke"] == PALETTE[1]  # lowest and highest auc
    assert "rf" in svg and "xgb" in svg  # the category axis names its values


def test_line_chart_overlays_one_path_per_run_with_thresholds() -> None:
    svg = str(line_chart([Line("a", [0, 1, 2], [1.0, 0.5, 0.2]), Line("b", [0, 1], [0.9, float("nan")])],
                         title="loss", thresholds=[("limit", 0.3)]))
    assert [p["data-series"] for p in tags(svg, "path", cls="series")] == ["a"]  # b has one finite point: a dot
    assert len(tags(svg, "circle")) == 4 and len(tags(svg, "line", cls="threshold")) == 1


def test_run_graph_edges_and_layers() -> None:
    graph = {"nodes": [
        {"name": "load", "inputs": {"path": {"data": "/x"}}},
        {"name": "split", "inputs": {"df": {"node": "load", "output": "output"}}},
        {"name": "train", "inputs": {"parts": {"list": [{"node": "split", "output": "train"},
                                                         {"node": "split", "output": "test"}]}}},
        {"name": "report", "inputs": {}, "after": ["train", "load"]},
    ]}
    edges = graph_edges(graph)
    assert edges == [("load", "split"), ("split", "train"), ("train", "report"), ("load", "report")]
    nodes = [GraphNode(n["name"], n["name"], status="succeeded") for n in graph["nodes"]]
    assert layers(nodes, edges) == [["load"], ["split"], ["train"], ["report"]]
    svg = str(dag_svg(nodes, edges))
    assert len(tags(svg, "g", cls="node")) == 4 and len(tags(svg, "path", cls="edge")) == 4


def test_runs_filter_and_log_tail() -> None:
    assert runs_filter("metrics.auc > 0.9 or params.x = 'a'", "it's", "failed") == (
        "pipeline = 'it''s' and status = 'failed' and (metrics.auc > 0.9 or params.x = 'a')")
    assert runs_filter() == ""
    with pytest.raises(ValidationError, match="NUL character"):
        runs_filter("params.model = 'a\x00b'")
    assert log_tail("\n".join(str(i) for i in range(100)), 3) == ("97\n98\n99", 97)


def test_monitor_charts_draw_drift_per_column_and_estimated_against_realized() -> None:
    from datetime import datetime, timedelta, timezone

    from mloop.monitoring import Monitor, MonitorResult
    from mloop.ui.monitor_charts import monitor_charts

    start = datetime(2031, 1, 1, tzinfo=timezone.utc)

    def result(hour: int, value: float, values: dict) -> MonitorResult:
        at = start + timedelta(hours=hour)
        return MonitorResult(f"r{hour}", "m", "data_drift", at, at - timedelta(hours=1), at, "passed", value, 0.5,
                             "", values, 10, 1.0)

    results = [result(h, 0.1 * h, {
        "columns": [{"name": "amount", "statistic": 0.1 * h, "threshold": 0.2},
                    {"name": "country", "statistic": 0.05, "threshold": 0.1}],
        "estimates": {"auc": 0.8 - 0.01 * h}, "realized": {"auc": 0.79} if h > 1 else {},
        "labelled": h * 3, "drifted": ["amount"] if h > 2 else [], "note": "text"}) for h in range(4)]
    main, *rest = [str(chart) for chart in monitor_charts(Monitor("m", "data_drift", model="fraud"), results)]
    assert len(tags(main, "line", cls="threshold")) == 1 and len(tags(main, "circle")) == 4
    titles = [tags(chart, "svg")[0]["aria-label"] for chart in rest]
    assert titles == ["columns", "estimated vs realized", "labelled"]
    columns, performance, _ = rest
    assert sorted(p["data-series"] for p in tags(columns, "path", cls="series")) == ["amount", "country"]
    assert len(tags(columns, "line", cls="threshold")) == 2  # each column's threshold
    assert sorted(p["data-series"] for p in tags(performance, "path", cls="series")) == ["estimated auc", "realized auc"]
