"""The drift page: whether the current data moved away from the reference, the drifted columns
first (statistic against threshold), each column's reference and current distributions overlaid,
missing and new columns called out."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from mloop.quality.html.charts import Series, category_bars, histogram, sparkline
from mloop.quality.html.fields import records, require
from mloop.quality.html.markup import Html, escape
from mloop.quality.html.numbers import counted, number, percent, value_text
from mloop.quality.html.page import Card, Section, Verdict, page
from mloop.quality.html.tables import Cell, Column, badge, facts, table

# Open the first few drifted columns' details: the page shows at once what moved, and stays
# fast when hundreds of columns drift.
_OPEN_DETAILS = 4
# Per-bin hover tooltips cost ~2 KB a chart: the first charts (drifted first) get them, so a
# report of thousands of columns stays a few MB.
HOVER_CHARTS = 100


def render_drift(report: Mapping[str, Any], *, generated_at: datetime | None = None) -> str:
    """The HTML page of a drift report given as a dict:

    {"title", "reference_name", "current_name", "reference_rows", "current_rows", "created_at",
     "drifted": bool, "drifted_columns": int, "share": float, "thresholds": {...}, "exact": bool,
     "note": str, "missing_columns": [...], "new_columns": [...],
     "columns": [{"name", "kind", "method", "statistic", "threshold", "p_value", "drifted": bool,
                  "stats": {name: value}, "note": str,
                  "reference_histogram": {"edges", "counts"} | None, "current_histogram": ... | None,
                  "reference_shares": {value: share} | None, "current_shares": ... | None}]}

    Only "columns" (each with "name" and "drifted") is required."""
    data = require(report, ("columns",), "drift report")
    columns = records(data, "columns", "drift report", ("name", "drifted"))
    drifted = [column for column in columns if column["drifted"]]
    is_drifted = bool(data.get("drifted", bool(drifted)))
    count = int(data.get("drifted_columns", len(drifted)))
    share = data.get("share", count / len(columns) if columns else 0.0)
    missing = list(data.get("missing_columns") or [])
    new = list(data.get("new_columns") or [])
    compared = [column for column in columns if column.get("method") or column.get("statistic") is not None]
    detail = f"{count:,} of {counted(len(compared), 'compared column')} drifted ({percent(share)})."
    if is_drifted:
        verdict = Verdict("drifted", "Drift detected", detail)
    elif count:
        verdict = Verdict("warning", "Some columns drifted", detail + " The table as a whole is below the drift share.")
    else:
        verdict = Verdict("passed", "No drift detected", detail)
    cards = [
        Card("Reference rows", data.get("reference_rows")),
        Card("Current rows", data.get("current_rows")),
        Card("Columns compared", len(compared), note=f"{len(columns) - len(compared):,} not compared"
             if len(compared) < len(columns) else ""),
        Card("Columns drifted", count, "drift" if count else "pass", percent(share)),
    ]
    if missing or new:
        cards.append(Card("Missing · new", f"{len(missing):,} · {len(new):,}", "warn", "columns in current"))
    sections = [Section("Columns", _overview(columns), "columns", len(columns))]
    ordered = _ordered(columns)
    details = "".join(_detail(index, column, position < _OPEN_DETAILS and bool(column["drifted"]),
                              position < HOVER_CHARTS) for position, (index, column) in enumerate(ordered))
    sections.append(Section("Column details", Html(details), "details"))
    changes = _schema_changes(missing, new)
    if changes:
        sections.insert(0, Section("Schema changes", changes, "schema", len(missing) + len(new)))
    about = _about(data)
    if about:
        sections.append(Section("About this comparison", about, "about"))
    reference, current = data.get("reference_name") or "reference", data.get("current_name") or "current"
    return page(str(data.get("title") or "Drift report"), f"{current} compared with {reference}", cards, sections,
                verdict=verdict, kicker="mloop · data drift", created_at=data.get("created_at"),
                generated_at=generated_at)


def _ratio(column: Mapping[str, Any]) -> float:
    statistic, threshold = column.get("statistic"), column.get("threshold")
    if isinstance(statistic, (int, float)) and isinstance(threshold, (int, float)) and threshold:
        return float(statistic) / float(threshold)
    return 0.0


def _ordered(columns: list[Mapping[str, Any]]) -> list[tuple[int, Mapping[str, Any]]]:
    """Drifted columns first, the furthest past their threshold first."""
    return sorted(enumerate(columns), key=lambda pair: (not pair[1]["drifted"], -_ratio(pair[1]), pair[0]))


def _schema_changes(missing: list[Any], new: list[Any]) -> Html:
    parts = []
    if missing:
        parts.append(f'<div class="callout warn"><b>Missing in current:</b> {escape(", ".join(map(str, missing)))}</div>')
    if new:
        parts.append(f'<div class="callout warn"><b>New in current:</b> {escape(", ".join(map(str, new)))}</div>')
    return Html("".join(parts))


def _about(data: Mapping[str, Any]) -> Html:
    parts = []
    if data.get("note"):
        parts.append(f"<p>{escape(data['note'])}</p>")
    settings: list[tuple[str, Any]] = [(f"Threshold: {key}", value) for key, value in (data.get("thresholds") or {}).items()]
    if "exact" in data:
        settings.append(("Statistics", "exact, on all rows" if data["exact"] else "approximate (sketches or a sample)"))
    if settings:
        parts.append(str(facts(settings)))
    return Html("".join(parts))


def _spark_values(column: Mapping[str, Any]) -> list[list[float]]:
    histograms = [column.get("reference_histogram"), column.get("current_histogram")]
    if all(histograms):
        return [list((item or {}).get("counts") or []) for item in histograms]
    reference, current = column.get("reference_shares") or {}, column.get("current_shares") or {}
    if reference or current:
        keys = sorted(set(reference) | set(current), key=lambda key: -(reference.get(key) or 0))[:12]
        return [[reference.get(key) or 0.0 for key in keys], [current.get(key) or 0.0 for key in keys]]
    return []


def _status(column: Mapping[str, Any]) -> Html:
    if column["drifted"]:
        return badge("drifted", "drift")
    if "method" in column and not column.get("method") and column.get("statistic") is None:
        return badge("not compared", "info")
    return badge("stable", "pass")


def _overview(columns: list[Mapping[str, Any]]) -> Html:
    body, classes = [], []
    for index, column in _ordered(columns):
        name = str(column["name"])
        body.append([
            Cell(_status(column), sort=0 if column["drifted"] else 1),
            Cell(Html(f'<a href="#col-{index}">{escape(name)}</a>'), sort=name.lower()),
            column.get("kind"), column.get("method"), column.get("statistic"), column.get("threshold"),
            column.get("p_value"),
            Html(sparkline(_spark_values(column), label="reference and current distribution")),
        ])
        classes.append("drifted" if column["drifted"] else "")
    headers = [Column("Status"), Column("Column"), Column("Kind"), Column("Method"), Column("Statistic", numeric=True),
               Column("Threshold", numeric=True), Column("p-value", numeric=True),
               Column("Reference vs current", sortable=False)]
    return table(headers, body, table_id="columns-table", row_classes=classes,
                 filter_label="Filter columns" if len(columns) > 12 else "")


def _chart(column: Mapping[str, Any], hover: bool) -> Html:
    name = str(column["name"])
    reference, current = column.get("reference_histogram"), column.get("current_histogram")
    if reference or current:
        series = [Series(label, css, (item or {}).get("edges") or (), (item or {}).get("counts") or ())
                  for label, css, item in (("reference", "ref", reference), ("current", "cur", current)) if item]
        return histogram(series, title=f"Distribution of {name}: reference and current, share of rows",
                         value_name=name, hover=hover)
    if column.get("reference_shares") is not None or column.get("current_shares") is not None:
        return category_bars([Series("reference", "ref", shares=column.get("reference_shares") or {}),
                              Series("current", "cur", shares=column.get("current_shares") or {})],
                             title=f"Category shares of {name}: reference and current")
    return Html('<p class="muted">No distribution recorded for this column.</p>')


def _detail(index: int, column: Mapping[str, Any], open_: bool, hover: bool) -> str:
    name = str(column["name"])
    statistic, threshold = column.get("statistic"), column.get("threshold")
    headline = f"{column.get('method') or 'statistic'} {number(statistic)}"
    if column.get("p_value") is not None:
        headline += f" · p-value {number(column['p_value'])}"
    elif threshold is not None:
        headline += f" {'>' if column['drifted'] else '≤'} {number(threshold)}"
    items: list[tuple[str, Any]] = [("Method", column.get("method")), ("Statistic", statistic),
                                    ("Threshold", threshold)]
    if column.get("p_value") is not None:
        items.append(("p-value", column.get("p_value")))
    items.extend((str(key), value) for key, value in (column.get("stats") or {}).items())
    note = f'<p class="muted">{escape(column["note"])}</p>' if column.get("note") else ""
    summary = (f"<summary>{_status(column)}<span class=\"name\">{escape(name)}</span>"
               f'<span class="chip">{escape(column.get("kind") or "")}</span>'
               f'<span class="muted">{escape(value_text(headline))}</span></summary>')
    return (f'<details class="item" id="col-{index}"{" open" if open_ else ""}>{summary}<div class="detail">'
            f"<div>{facts(items)}{note}</div><div>{_chart(column, hover)}</div></div></details>")
