"""The profile page: what the data looks like, column by column. A compact sortable table with a
distribution sparkline per column (fast at thousands of columns), then one collapsed detail
section per column with its statistics and a histogram or top-values chart."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from mloop.quality.html.charts import Series, category_bars, histogram, sparkline
from mloop.quality.html.fields import records, require
from mloop.quality.html.markup import Html, escape
from mloop.quality.html.numbers import counted, moment_text, number, percent
from mloop.quality.html.page import Card, Section, Verdict, page
from mloop.quality.html.tables import Cell, Column, facts, table

_MOSTLY_NULL = 0.5
_NAMES_SHOWN = 8
# Per-bin hover tooltips cost ~1 KB a chart: the first charts get them, so a profile of
# thousands of columns stays a few MB.
HOVER_CHARTS = 100


def render_profile(report: Mapping[str, Any], *, generated_at: datetime | None = None) -> str:
    """The HTML page of a profile given as a dict:

    {"title", "data_name", "rows", "created_at",
     "columns": [{"name", "kind": "numeric" | "categorical" | "datetime" | "other", "type", "count",
                  "nulls", "distinct", "mean", "std", "min", "max",
                  "quantiles": {"p05", "p25", "p50", "p75", "p95"},
                  "histogram": {"edges": [...], "counts": [...]}, "top": [[value, count], ...]}]}

    Only "columns" (each with "name") is required; a missing statistic shows as a dash."""
    data = require(report, ("columns",), "profile")
    columns = records(data, "columns", "profile", ("name",))
    rows = data.get("rows")
    kinds = [str(column.get("kind") or "other") for column in columns]
    with_nulls = [column for column in columns if (column.get("nulls") or 0) > 0]
    null_cells = sum(column.get("nulls") or 0 for column in columns)
    cells = rows * len(columns) if isinstance(rows, int) else 0
    cards = [
        Card("Rows", rows),
        Card("Columns", len(columns)),
        Card("Numeric", kinds.count("numeric")),
        Card("Categorical", kinds.count("categorical")),
        Card("Datetime", kinds.count("datetime"), note=f"{kinds.count('other'):,} other" if "other" in kinds else ""),
        Card("Columns with nulls", len(with_nulls), "warn" if with_nulls else ""),
        Card("Null cells", percent(null_cells / cells) if cells else "—", note=f"{number(null_cells)} cells"),
    ]
    name = str(data.get("data_name") or "")
    verdict = Verdict("info", f"Profile of {name}" if name else "Data profile",
                      f"{number(rows)} rows × {counted(len(columns), 'column')}.")
    sections = []
    notes = _highlights(columns, rows)
    if notes:
        sections.append(Section("Worth a look", notes, "highlights"))
    sections.append(Section("Columns", _overview(columns, rows), "columns", len(columns)))
    details = "".join(_detail(index, column, rows) for index, column in enumerate(columns))
    sections.append(Section("Column details", Html(details), "details"))
    title = data.get("title") or "Data profile"
    return page(str(title), name, cards, sections, verdict=verdict, kicker="mloop · data profile",
                created_at=data.get("created_at"), generated_at=generated_at)


def _null_share(column: Mapping[str, Any], rows: Any) -> float | None:
    nulls = column.get("nulls")
    if not isinstance(nulls, (int, float)) or not isinstance(rows, int) or rows <= 0:
        return None
    return float(nulls) / rows


def _names(columns: list[Mapping[str, Any]]) -> str:
    names = ", ".join(str(column["name"]) for column in columns[:_NAMES_SHOWN])
    return names + (f", … +{len(columns) - _NAMES_SHOWN:,} more" if len(columns) > _NAMES_SHOWN else "")


def _highlights(columns: list[Mapping[str, Any]], rows: Any) -> Html:
    mostly_null = [column for column in columns if (_null_share(column, rows) or 0) > _MOSTLY_NULL]
    constant = [column for column in columns if column.get("distinct") in (0, 1)]
    lines = []
    if mostly_null:
        lines.append(f"{counted(len(mostly_null), 'column is', 'columns are')} more than half empty: "
                     f"{_names(mostly_null)}")
    if constant:
        lines.append(f"{counted(len(constant), 'column holds', 'columns hold')} a single value: {_names(constant)}")
    if not lines:
        return Html("")
    items = "".join(f"<li>{escape(line)}</li>" for line in lines)
    return Html(f'<div class="callout warn"><ul>{items}</ul></div>')


def _distribution(column: Mapping[str, Any]) -> list[float]:
    counts = (column.get("histogram") or {}).get("counts")
    if counts:
        return [float(count or 0) for count in counts]
    return [float(count or 0) for _, count in (column.get("top") or [])[:12]]


def _overview(columns: list[Mapping[str, Any]], rows: Any) -> Html:
    body, classes = [], []
    for index, column in enumerate(columns):
        quantiles = column.get("quantiles") or {}
        share = _null_share(column, rows)
        body.append([
            Cell(Html(f'<a href="#col-{index}">{escape(column["name"])}</a>'), sort=str(column["name"]).lower()),
            column.get("kind"), Cell(Html(f'<span class="mono">{escape(column.get("type") or "")}</span>')),
            Cell(percent(share) if share is not None else "—", sort=share, numeric=True),
            column.get("distinct"), column.get("mean"), column.get("std"), moment_text(column.get("min")),
            quantiles.get("p50"), moment_text(column.get("max")),
            Html(sparkline([_distribution(column)], label="distribution")),
        ])
        classes.append("warned" if (share or 0) > _MOSTLY_NULL else "")
    headers = [Column("Column"), Column("Kind"), Column("Type"), Column("Nulls", numeric=True),
               Column("Distinct", numeric=True), Column("Mean", numeric=True), Column("Std", numeric=True),
               Column("Min", numeric=True), Column("Median", numeric=True), Column("Max", numeric=True),
               Column("Distribution", sortable=False)]
    return table(headers, body, table_id="columns-table", row_classes=classes,
                 filter_label="Filter columns" if len(columns) > 12 else "")


def _detail(index: int, column: Mapping[str, Any], rows: Any) -> str:
    name = str(column["name"])
    quantiles = column.get("quantiles") or {}
    share = _null_share(column, rows)
    nulls = column.get("nulls")
    stats: list[tuple[str, Any]] = [
        ("Values", column.get("count")),
        ("Nulls", f"{number(nulls)} ({percent(share)})" if share is not None else nulls),
        ("Distinct", column.get("distinct")),
    ]
    for label, key in (("Mean", "mean"), ("Std", "std"), ("Min", "min")):
        if column.get(key) is not None:
            stats.append((label, moment_text(column.get(key))))
    for label, key in (("5%", "p05"), ("25%", "p25"), ("Median", "p50"), ("75%", "p75"), ("95%", "p95")):
        if quantiles.get(key) is not None:
            stats.append((label, quantiles[key]))
    if column.get("max") is not None:
        stats.append(("Max", moment_text(column.get("max"))))
    histogram_data = column.get("histogram") or {}
    top = column.get("top") or []
    if histogram_data.get("counts"):
        chart = histogram([Series("rows", "one", histogram_data.get("edges") or (), histogram_data["counts"])],
                          title=f"Histogram of {name}", value_name=name, hover=index < HOVER_CHARTS)
    elif top:
        total = column.get("count") or sum(count or 0 for _, count in top) or 1
        shares = {str(value): (count or 0) / total for value, count in top}
        chart = category_bars([Series("share of values", "one", shares=shares)], title=f"Most common values of {name}")
    else:
        chart = Html('<p class="muted">No distribution recorded.</p>')
    summary = (f'<summary><span class="name">{escape(name)}</span><span class="chip">{escape(column.get("kind") or "")}'
               f'</span><span class="chip mono">{escape(column.get("type") or "")}</span>'
               f'<span class="muted">{escape(percent(share) if share is not None else "—")} null · '
               f"{escape(number(column.get('distinct')))} distinct</span></summary>")
    return (f'<details class="item" id="col-{index}">{summary}<div class="detail">{facts(stats)}'
            f"<div>{chart}</div></div></details>")
