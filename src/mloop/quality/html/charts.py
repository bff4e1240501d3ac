"""Inline SVG charts, readable without JavaScript and styled by the page's CSS (so they follow the
light or dark scheme): an overlaid histogram of one or two series, horizontal category-share bars
of one or two series, and a tiny sparkline for table rows. Every chart names itself in `<title>`."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from mloop.quality.html.axes import edge_values, number_label, number_ticks, time_label, time_ticks
from mloop.quality.html.markup import Html, escape
from mloop.quality.html.numbers import number, percent

WIDTH = 560
OTHER = "(other)"


@dataclass(frozen=True)
class Series:
    """One series of a chart: its legend label, its CSS class (`ref`, `cur` or `one`) and its data:
    `edges` and `counts` for a histogram, `shares` ({category: share}) for category bars."""

    label: str
    css: str = "one"
    edges: Sequence[Any] = ()
    counts: Sequence[float] = ()
    shares: Mapping[Any, float] | None = None


def _f(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def _legend(series: Sequence[Series], y: float) -> Html:
    """Swatch and label per series, right-aligned at the top (in series order for screen readers)."""
    if len(series) < 2:
        return Html("")
    entries, x = [], float(WIDTH - 14)
    for item in reversed(series):
        x -= 6.4 * len(item.label)
        entry = (f'<rect class="swatch {item.css}" x="{_f(x - 16)}" y="{_f(y)}" width="11" height="11" rx="2"/>'
                 f'<text x="{_f(x)}" y="{_f(y + 9)}">{escape(item.label)}</text>')
        entries.append(entry)
        x -= 30
    return Html(f'<g class="legend">{"".join(reversed(entries))}</g>')


def histogram(series: Sequence[Series], *, title: str, value_name: str = "", hover: bool = True) -> Html:
    """Bars of each series over its bin edges on one shared x axis. With two series the bars are
    shares of each series' total (overlaid, so the shapes compare); with one they are counts.
    Each series is one `<path class="bars">` with one subpath per non-empty bin (a fraction of
    the bytes of one element per bar, which matters at thousands of charts); `hover` adds a band
    per bin whose tooltip gives the bin's values."""
    prepared = []
    for item in series:
        parsed = edge_values(item.edges)
        counts = [float(count or 0) for count in item.counts]
        if parsed is None or len(parsed[0]) != len(counts) + 1:
            continue
        prepared.append((item, parsed[0], parsed[1], counts))
    if not prepared:
        return Html(f'<p class="muted">No histogram recorded for {escape(title)}.</p>')
    shares = len(prepared) > 1
    is_time = any(parsed_time for _, _, parsed_time, _ in prepared)
    heights = []
    for _, _, _, counts in prepared:
        total = sum(counts) or 1.0
        heights.append([count / total * 100 for count in counts] if shares else counts)
    low = min(edges[0] for _, edges, _, _ in prepared)
    high = max(edges[-1] for _, edges, _, _ in prepared)
    if not high > low:
        low, high = low - 0.5, high + 0.5
    top = max((max(values) for values in heights if values), default=0.0) or 1.0
    left, right, upper, lower = 50.0, WIDTH - 14.0, 30.0, 182.0
    y_ticks = number_ticks(0.0, top, 5)
    if len(y_ticks) > 1 and y_ticks[-1] < top * 0.999:
        y_ticks.append(y_ticks[-1] + y_ticks[1] - y_ticks[0])  # the top gridline is above the tallest bar
    top = max(top, y_ticks[-1])

    def x_of(value: float) -> float:
        return left + (value - low) / (high - low) * (right - left)

    def y_of(value: float) -> float:
        return lower - value / top * (lower - upper)

    out = [f'<svg class="chart" viewBox="0 0 {WIDTH} 212" role="img">', f"<title>{escape(title)}</title>"]
    grid = "".join(f"M{_f(left)} {_f(y_of(tick))}H{_f(right)}" for tick in y_ticks)
    labels = "".join(f'<text x="{_f(left - 6)}" y="{_f(y_of(tick))}" >'
                     f'{number_label(tick, y_ticks)}{"%" if shares else ""}</text>' for tick in y_ticks)
    out.append(f'<path class="grid" d="{grid}"/><g class="axis y">{labels}</g>')
    for (item, edges, _, _), values in zip(prepared, heights, strict=True):
        bars = []
        for index, value in enumerate(values):
            if value <= 0:
                continue
            x0, x1 = x_of(edges[index]), x_of(edges[index + 1])
            bars.append(f"M{_f(x0)} {lower:.0f}V{y_of(value):.0f}h{_f(max(x1 - x0 - 0.6, 0.4))}V{lower:.0f}")
        out.append(f'<path class="bars {item.css}" d="{"".join(bars)}"/>')
    out.append(_x_axis(low, high, is_time, x_of, lower, left, right, value_name))
    out.append(_legend([item for item, _, _, _ in prepared], 6))
    if hover:
        out.append(_hover(prepared, heights, shares, is_time, x_of, upper, lower))
    out.append("</svg>")
    return Html("".join(out))


def _x_axis(low: float, high: float, is_time: bool, x_of: Any, lower: float, left: float, right: float,
            value_name: str) -> str:
    if is_time:
        ticks, fmt = time_ticks(low, high)
        texts = [time_label(tick, fmt) for tick in ticks]
    else:
        ticks = number_ticks(low, high, 6)
        texts = [number_label(tick, ticks) for tick in ticks]
    line = f"M{_f(left)} {_f(lower)}H{_f(right)}" + "".join(f"M{_f(x_of(tick))} {_f(lower)}v4" for tick in ticks)
    parts = [f'<path d="{line}"/>']
    parts.extend(f'<text x="{_f(x_of(tick))}" y="{_f(lower + 16)}">{escape(text)}</text>'
                 for tick, text in zip(ticks, texts, strict=True))
    if value_name:
        parts.append(f'<text class="name" x="{_f(right)}" y="{_f(lower + 29)}">{escape(value_name)}</text>')
    return f'<g class="axis x">{"".join(parts)}</g>'


def _hover(prepared: list[Any], heights: list[list[float]], shares: bool, is_time: bool, x_of: Any,
           upper: float, lower: float) -> str:
    """Transparent full-height bands over the first series' bins: hovering one shows its values."""
    _, edges, _, _ = prepared[0]
    parts = []
    for index in range(len(edges) - 1):
        x0, x1 = x_of(edges[index]), x_of(edges[index + 1])
        if is_time:
            fmt = "%Y-%m-%d %H:%M"
            span = f"{time_label(edges[index], fmt)} – {time_label(edges[index + 1], fmt)}"
        else:
            span = f"{number(edges[index])} – {number(edges[index + 1])}"
        values = []
        for (item, item_edges, _, _), series_heights in zip(prepared, heights, strict=True):
            if len(item_edges) == len(edges) and index < len(series_heights):
                value = series_heights[index]
                values.append(f"{item.label} {percent(value / 100) if shares else number(value)}")
        parts.append(f'<rect x="{_f(x0)}" y="{_f(upper)}" width="{_f(max(x1 - x0, 0.4))}" '
                     f'height="{_f(lower - upper)}"><title>{escape(span + ": " + ", ".join(values))}</title></rect>')
    return f'<g class="hover">{"".join(parts)}</g>'


def category_bars(series: Sequence[Series], *, title: str, top: int = 10) -> Html:
    """Horizontal bars of category shares, one bar per series for each of the `top` categories (by
    their largest share), then `(other)` for the rest. A category only the second series has is
    marked `new`, one it lacks `gone`."""
    present = [item for item in series if item.shares is not None]
    if not present:
        return Html(f'<p class="muted">No category shares recorded for {escape(title)}.</p>')
    maps = [{str(key): float(value or 0) for key, value in (item.shares or {}).items()} for item in present]
    keys = sorted({key for shares in maps for key in shares}, key=lambda key: -max(s.get(key, 0.0) for s in maps))
    shown = [key for key in keys[:top] if key != OTHER]
    rest = [max(0.0, 1.0 - sum(s.get(key, 0.0) for key in shown)) for s in maps]
    rows: list[tuple[str, list[float], str]] = []
    for key in shown:
        marker = ""
        if len(maps) == 2 and key not in maps[0] and maps[1].get(key, 0) > 0:
            marker = "new"
        elif len(maps) == 2 and key in maps[0] and key not in maps[1]:
            marker = "gone"
        rows.append((key, [s.get(key, 0.0) for s in maps], marker))
    if any(share > 0.0005 for share in rest):
        rows.append((OTHER, rest, ""))
    label_width, value_width = 170.0, 52.0
    bar_height, gap = 10.0, 9.0
    row_height = bar_height * len(maps) + gap
    upper = 24.0 if len(maps) > 1 else 6.0
    height = math.ceil(upper + row_height * len(rows) + 4)
    largest = max((share for _, values, _ in rows for share in values), default=0.0) or 1.0
    span = WIDTH - label_width - value_width - 12

    out = [f'<svg class="chart bars" viewBox="0 0 {WIDTH} {height}" role="img">', f"<title>{escape(title)}</title>"]
    labels = []
    groups: list[list[str]] = [[] for _ in maps]
    for row, (key, values, marker) in enumerate(rows):
        y = upper + row * row_height
        short = key if len(key) <= 24 else key[:23] + "…"
        tag = f'<tspan class="tag {marker}"> {marker}</tspan>' if marker else ""
        labels.append(f'<text class="{"other" if key == OTHER else "cat"}" x="{_f(label_width - 8)}" '
                      f'y="{_f(y + bar_height * len(maps) / 2)}">{"<title>" + escape(key) + "</title>" if short != key else ""}'
                      f"{escape(short)}{tag}</text>")
        for index, share in enumerate(values):
            bar_y = y + index * bar_height
            width = share / largest * span
            groups[index].append(
                f'<rect x="{_f(label_width)}" y="{_f(bar_y)}" width="{_f(width)}" height="{_f(bar_height - 1)}"/>'
                f'<text x="{_f(label_width + width + 4)}" y="{_f(bar_y + bar_height / 2)}">{percent(share)}</text>')
    out.append(f'<g class="labels">{"".join(labels)}</g>')
    for item, parts in zip(present, groups, strict=True):
        out.append(f'<g class="series {item.css}">{"".join(parts)}</g>')
    out.append(_legend(present, 4))
    out.append("</svg>")
    return Html("".join(out))


def sparkline(series: Sequence[Sequence[float]], *, label: str) -> Html:
    """A 100×24 silhouette of one or two distributions (bin counts or category shares) for a table
    row: the first filled, the second drawn as a line over it; each scaled to its own total."""
    usable = [[float(value or 0) for value in values] for values in series if values]
    if not usable:
        return Html("")
    normalised = []
    for values in usable:
        total = sum(values) or 1.0
        normalised.append([value / total for value in values])
    peak = max(max(values) for values in normalised) or 1.0
    paths = []
    for index, values in enumerate(normalised):
        step = 100 / len(values)
        points = ["M0 24"]
        for position, value in enumerate(values):
            points.append(f"V{round(24 - value / peak * 22)}H{round((position + 1) * step)}")
        points.append("V24" + ("Z" if index == 0 else ""))
        css = ("ref" if len(normalised) > 1 else "one") if index == 0 else "cur"
        paths.append(f'<path class="{css}" d="{"".join(points)}"/>')
    return Html(f'<svg class="spark" viewBox="0 0 100 24" role="img" aria-label="{escape(label)}">'
                f'{"".join(paths)}</svg>')
