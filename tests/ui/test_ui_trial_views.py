"""What trying the UI on the demo's workspace found in charts and numbers: a metric logged once drew an
axis from step -1 to 1 in halves, the last time label ran off the right edge, and the last axis
name of parallel coordinates was cut off, and a metric of 99,999 read 1e+05."""

from __future__ import annotations

import re

from mloop.ui.charts import Axis, Line, line_chart, parallel_coordinates


def _x_labels(svg: str, height: int = 260) -> list[tuple[str, str]]:
    """(anchor, text) of the tick labels under the x axis (their y is the axis' y + 15)."""
    y = height - 40 + 15
    return re.findall(rf'<text x="[\d.]+" y="{y}" text-anchor="(\w+)">([^<]+)</text>', svg)


def test_a_metric_logged_once_has_one_tick_at_its_step() -> None:
    svg = str(line_chart([Line("a", [0], [0.83])], title="val_auc"))
    assert [text for _, text in _x_labels(svg)] == ["0"]


def test_steps_get_whole_ticks_only() -> None:
    texts = [text for _, text in _x_labels(str(line_chart([Line("a", [0, 1, 2, 3], [1, 2, 3, 4])], title="loss")))]
    assert texts and all(re.fullmatch(r"\d+", t) for t in texts), texts
    fractional = [t for _, t in _x_labels(str(line_chart([Line("a", [0.0, 0.5, 1.5], [1, 2, 3])], title="x")))]
    assert any("." in t for t in fractional)  # x values that are not steps keep their fractional ticks


def test_a_label_at_the_right_edge_ends_at_its_tick() -> None:
    start = 1_764_867_600.0  # a whole hour: the last tick falls on the right edge
    svg = str(line_chart([Line("drift", [start, start + 60], [0.1, 0.6])], title="drift", x_label="time",
                         time_axis=True))
    labels = _x_labels(svg)
    assert labels[0][0] == "middle" and labels[-1][0] == "end", labels


def test_parallel_coordinates_keep_the_end_axis_names_inside() -> None:
    svg = str(parallel_coordinates([Axis("data", ["a", "b"]), Axis("val_accuracy", [0.8, 0.9])], ["r1", "r2"],
                                   title="params → val_accuracy"))
    anchors = dict((name, anchor) for anchor, name in
                   re.findall(r'text-anchor="(\w+)" class="axis-label">([^<]+)<title>', svg))
    assert anchors == {"data": "start", "val_accuracy": "end"}


def test_large_numbers_keep_their_digits_and_small_ones_four() -> None:
    from mloop.ui.filters import num

    assert num(99999.0) == "99,999" and num(12345.67) == "12,346"  # not 1e+05 and 1.235e+04
    assert num(0.87654875) == "0.8765" and num(1234.5) == "1234" and num(3e20) == "3e+20"


def test_a_pass_through_cycle_does_not_pile_the_lineage_into_one_column() -> None:
    from mloop.ui.graph import GraphNode, layers

    # data_validation reads and writes the same artifact (its output is its input): a cycle in the lineage
    nodes = [GraphNode(n, n) for n in ("raw", "ingest", "data", "validate", "train", "model")]
    edges = [("raw", "ingest"), ("ingest", "data"), ("data", "validate"), ("validate", "data"), ("data", "train"),
             ("train", "model")]
    depth = {node: level for level, members in enumerate(layers(nodes, edges)) for node in members}
    assert depth["raw"] < depth["ingest"] < depth["data"] < depth["train"] < depth["model"]
    assert depth["validate"] > depth["data"]


def test_legend_keys_stay_right_of_the_title() -> None:
    names = ["estimated auc", "estimated accuracy", "realized accuracy", "realized auc"]
    svg = str(line_chart([Line(n, [0, 1], [0.8, 0.9]) for n in names], title="estimated vs realized", width=440))
    keys = [float(x) for x in re.findall(r'<g class="legend-item"><rect x="(-?[\d.]+)"', svg)]
    assert len(keys) == 4 and min(keys) > 56 + 7.2 * len("estimated vs realized")
    assert all(f"<title>{n}</title>" in svg for n in names)  # whole names under the pointer


def test_a_performance_monitor_draws_the_lowest_accepted_value_not_its_drop_tolerance() -> None:
    from types import SimpleNamespace

    from mloop.ui.monitor_charts import main_thresholds

    def result(value: float, drop: float | None, values: bool = True) -> SimpleNamespace:
        return SimpleNamespace(value=value, threshold=0.05, values={"baseline": 0.88, "drop": drop} if values else {})

    assert main_thresholds([result(0.89, -0.01)]) == [("lowest accepted", 0.88 - 0.05)]  # auc: higher is better
    assert main_thresholds([result(0.90, 0.02)]) == [("highest accepted", 0.88 + 0.05)]  # rmse: lower is better
    assert main_thresholds([result(0.6, None, values=False)]) == [("threshold", 0.05)]  # drift: the level itself


def test_drift_columns_keyed_by_name_are_drawn_per_column() -> None:
    from mloop.ui.monitor_charts import value_groups

    # what the data_drift kind records (the demo's fraud-input-drift): columns keyed by name
    groups, thresholds = value_groups({"drifted": ["amount"], "columns": {
        "amount": {"name": "amount", "statistic": 0.57, "threshold": 0.1, "drifted": True},
        "hour": {"name": "hour", "statistic": 0.02, "threshold": 0.1, "drifted": False}}})
    assert groups["columns"] == {"amount": 0.57, "hour": 0.02} and thresholds["columns"] == {0.1}
