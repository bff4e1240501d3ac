"""HTML reports: validation, profile and drift reports as one self-contained HTML file each (inline
CSS and SVG, no network, readable without JavaScript, light and dark, printable).

    from mloop.quality.html import render_drift, write_html
    write_html("drift.html", render_drift(report.to_dict()))

The builders take plain dicts (the shapes are in their docstrings); `page`, the charts and the
table helper are the primitives they are made of.
"""

from __future__ import annotations

from mloop.quality.html.charts import Series, category_bars, histogram, sparkline
from mloop.quality.html.drift import render_drift
from mloop.quality.html.markup import Html, escape
from mloop.quality.html.page import Card, Section, Verdict, page, write_html
from mloop.quality.html.profile import render_profile
from mloop.quality.html.tables import Cell, Column, badge, table
from mloop.quality.html.validation import render_validation

__all__ = [
    "Card",
    "Cell",
    "Column",
    "Html",
    "Section",
    "Series",
    "Verdict",
    "badge",
    "category_bars",
    "escape",
    "histogram",
    "page",
    "render_drift",
    "render_profile",
    "render_validation",
    "sparkline",
    "table",
    "write_html",
]
