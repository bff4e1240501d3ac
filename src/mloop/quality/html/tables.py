"""Tables and badges: escaped cells, numbers right-aligned with a numeric sort key, a header that
sorts when clicked (the page's small script) and an optional filter box for long tables."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from mloop.quality.html.markup import Html, attributes, escape
from mloop.quality.html.numbers import MISSING, number, sort_key, value_text

Tone = Literal["pass", "fail", "warn", "drift", "info", "muted"]
_ICONS = {"pass": "✓", "fail": "✗", "warn": "!", "drift": "≠", "info": "i", "muted": "·"}


def badge(text: str, tone: Tone) -> Html:
    """A status label that carries its meaning in an icon and a word, not in colour alone."""
    return Html(f'<span class="badge {tone}"><span aria-hidden="true">{_ICONS[tone]}</span> {escape(text)}</span>')


@dataclass(frozen=True)
class Cell:
    """A cell shown as `content` (text, or `Html`) and sorted by `sort` (a number or text)."""

    content: Any
    sort: Any = None
    numeric: bool = False
    title: str | None = None


@dataclass(frozen=True)
class Column:
    label: str
    numeric: bool = False
    sortable: bool = True


def table(columns: Sequence[Column], rows: Sequence[Sequence[Any]], *, table_id: str, caption: str = "",
          filter_label: str = "", row_classes: Sequence[str] | None = None) -> Html:
    """An HTML table. A cell is a `Cell`, `Html` (inserted as is), a number (formatted, right-aligned,
    sorted numerically) or anything else (escaped text). `filter_label` adds a search box that
    hides the rows whose first cell does not contain the typed text."""
    head = []
    for column in columns:
        css = ' class="n"' if column.numeric else ""
        label = escape(column.label)
        if column.sortable:
            label = Html(f'<button type="button" data-sort>{label}</button>')
        head.append(f'<th scope="col"{css}>{label}</th>')
    body = []
    for index, row in enumerate(rows):
        css = f' class="{escape(row_classes[index])}"' if row_classes and row_classes[index] else ""
        body.append(f"<tr{css}>{''.join(_cell(value) for value in row)}</tr>")
    search = ""
    if filter_label:
        search = (f'<label class="filter">{escape(filter_label)} <input type="search" data-filter="{escape(table_id)}" '
                  f'placeholder="name contains…" autocomplete="off"></label>')
    caption_html = f"<caption>{escape(caption)}</caption>" if caption else ""
    return Html(f'{search}<div class="table-wrap"><table id="{escape(table_id)}">{caption_html}'
                f"<thead><tr>{''.join(head)}</tr></thead><tbody>{''.join(body)}</tbody></table></div>")


def _cell(value: Any) -> str:
    if isinstance(value, Cell):
        content = value.content
        numeric = value.numeric or (not isinstance(content, (Html, str)) and sort_key(content) is not None)
        if isinstance(content, (Html, str)):
            shown = content
        else:
            shown = number(content) if numeric else value_text(content)
        sort = value.sort if value.sort is not None else (sort_key(content) if numeric else None)
        return (f"<td{attributes(class_='n' if numeric else None, data_sort=sort, title=value.title)}>"
                f"{escape(shown)}</td>")
    if isinstance(value, Html):
        return f"<td>{value}</td>"
    key = sort_key(value)
    if key is not None:
        return f'<td class="n" data-sort="{key}">{escape(number(value))}</td>'
    if value is None:
        return f'<td class="muted">{MISSING}</td>'
    return f"<td>{escape(value_text(value))}</td>"


def facts(items: Sequence[tuple[str, Any]]) -> Html:
    """A compact label/value list (`<dl>`), numbers formatted."""
    parts = []
    for label, value in items:
        shown = value if isinstance(value, Html) else escape(value_text(value))
        parts.append(f"<div><dt>{escape(label)}</dt><dd>{shown}</dd></div>")
    return Html(f'<dl class="facts">{"".join(parts)}</dl>')
