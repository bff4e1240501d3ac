"""Charts as inline SVG, drawn on the server: a page with charts needs no script and no data
request to show them (mloop.js only adds the value under the pointer, from `data-hover`).

    line_chart([Line("run a", steps, losses), Line("run b", steps, losses_b)], title="loss", x_label="step")
    line_chart([Line("psi", times, values)], title="drift", time_axis=True, thresholds=[("alert", 0.2)])
    scatter([Point(0.1, 0.93, "run a"), ...], title="auc vs learning_rate", x_label="learning_rate", y_label="auc")

Long series are thinned to at most `MAX_POINTS` per line (evenly, keeping first and last) so a
page stays small; non-finite values are left out."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

from mloop.quality.html.axes import number_label, number_ticks, time_label, time_ticks

PALETTE = ("#2f5bd3", "#d9582b", "#1c8a4a", "#9b4dca", "#c62f7d", "#0f8f9c", "#b7791f", "#5f6778")
MAX_POINTS = 600
_LEFT, _RIGHT, _TOP, _BOTTOM = 56, 16, 30, 40


@dataclass(frozen=True)
class Line:
    name: str
    xs: Sequence[float]
    ys: Sequence[float]


@dataclass(frozen=True)
class Point:
    x: float
    y: float
    label: str = ""


def _finite(xs: Sequence[float], ys: Sequence[float]) -> list[tuple[float, float]]:
    pairs = [(float(x), float(y)) for x, y in zip(xs, ys, strict=False)
             if x is not None and y is not None and math.isfinite(float(x)) and math.isfinite(float(y))]
    if len(pairs) > MAX_POINTS:
        stride = (len(pairs) - 1) / (MAX_POINTS - 1)
        pairs = [pairs[round(i * stride)] for i in range(MAX_POINTS)]
    return pairs


class _Frame:
    """The plot area and the mapping of data to pixels, with axes and grid."""

    def __init__(self, xs: list[float], ys: list[float], width: int, height: int, time_axis: bool) -> None:
        self.width, self.height, self.time_axis = width, height, time_axis
        x_low, x_high = (min(xs), max(xs)) if xs else (0.0, 1.0)
        y_low, y_high = (min(ys), max(ys)) if ys else (0.0, 1.0)
        # steps are whole numbers: their axis shows whole ticks only (a single step, just its own)
        self.whole_x = not time_axis and bool(xs) and all(float(x).is_integer() for x in xs)
        self.single_x = x_low if xs and x_high == x_low else None
        if x_high == x_low:
            x_low, x_high = x_low - 1, x_high + 1
        if y_high == y_low:
            pad = abs(y_low) * 0.1 or 1.0
            y_low, y_high = y_low - pad, y_high + pad
        pad = (y_high - y_low) * 0.05
        self.x_low, self.x_high, self.y_low, self.y_high = x_low, x_high, y_low - pad, y_high + pad

    def x(self, value: float) -> float:
        span = self.width - _LEFT - _RIGHT
        return _LEFT + (value - self.x_low) / (self.x_high - self.x_low) * span

    def y(self, value: float) -> float:
        span = self.height - _TOP - _BOTTOM
        return self.height - _BOTTOM - (value - self.y_low) / (self.y_high - self.y_low) * span

    def x_text(self, value: float) -> str:
        return time_label(value, "%Y-%m-%d %H:%M") if self.time_axis else f"{value:g}"

    def _number_x_ticks(self) -> list[float]:
        if self.single_x is not None:
            return [self.single_x]
        ticks = number_ticks(self.x_low, self.x_high, 6)
        whole = [tick for tick in ticks if float(tick).is_integer()]
        return whole if self.whole_x and len(whole) >= 2 else ticks

    def axes(self, x_label: str, y_label: str) -> list[str]:
        parts = []
        y_ticks = number_ticks(self.y_low, self.y_high, 5)
        for tick in y_ticks:
            y = self.y(tick)
            parts.append(f'<line class="grid" x1="{_LEFT}" x2="{self.width - _RIGHT}" y1="{y:.1f}" y2="{y:.1f}"/>'
                         f'<text x="{_LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">'
                         f'{escape(number_label(tick, y_ticks))}</text>')
        if self.time_axis:
            x_ticks, fmt = time_ticks(self.x_low, self.x_high, 5)
            labels = [time_label(tick, fmt) for tick in x_ticks]
        else:
            x_ticks = self._number_x_ticks()
            labels = [number_label(tick, x_ticks) for tick in x_ticks]
        bottom = self.height - _BOTTOM
        for tick, label in zip(x_ticks, labels, strict=True):
            x = self.x(tick)
            # a label that would run past the right edge ends at its tick instead of centring on it
            anchor = "end" if x + len(label) * 3.5 > self.width else "middle"
            parts.append(f'<line class="grid" x1="{x:.1f}" x2="{x:.1f}" y1="{_TOP}" y2="{bottom}"/>'
                         f'<text x="{x:.1f}" y="{bottom + 15}" text-anchor="{anchor}">{escape(label)}</text>')
        parts.append(f'<g class="axis"><line x1="{_LEFT}" x2="{self.width - _RIGHT}" y1="{bottom}" y2="{bottom}"/>'
                     f'<line x1="{_LEFT}" x2="{_LEFT}" y1="{_TOP}" y2="{bottom}"/></g>')
        if x_label:
            parts.append(f'<text x="{(self.width + _LEFT) / 2:.0f}" y="{self.height - 6}" text-anchor="middle" '
                         f'class="axis-label">{escape(x_label)}</text>')
        if y_label:
            parts.append(f'<text x="12" y="{(self.height + _TOP) / 2:.0f}" text-anchor="middle" class="axis-label" '
                         f'transform="rotate(-90 12 {(self.height + _TOP) / 2:.0f})">{escape(y_label)}</text>')
        return parts


def _svg(body: list[str], title: str, width: int, height: int, kind: str) -> Markup:
    head = (f'<svg class="chart" data-chart="{escape(kind)}" role="img" aria-label="{escape(title)}" '
            f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" xmlns="http://www.w3.org/2000/svg">'
            f'<text x="{_LEFT}" y="18" class="title" font-weight="600">{escape(title)}</text>')
    return Markup(f'<div class="chart-box">{head}{"".join(body)}</svg></div>')


def _legend(names: Sequence[str], width: int, title: str = "") -> list[str]:
    """Right-aligned keys after the title; labels are shortened (whole names under the pointer) so
    that the keys of a narrow chart neither cover the title nor run off its left edge."""
    room = width - _RIGHT - (_LEFT + 7.2 * len(title) + 16)
    longest = int((room / max(1, len(names)) - 20) / 7.2)
    limit = max(4, min(28, longest))
    parts, x = [], float(width - _RIGHT)
    for index, name in reversed(list(enumerate(names))):
        label = name if len(name) <= limit else name[:limit - 1] + "…"
        x -= 20 + 7.2 * len(label)
        colour = PALETTE[index % len(PALETTE)]
        parts.append(f'<g class="legend-item"><rect x="{x:.0f}" y="9" width="10" height="10" fill="{colour}"/>'
                     f'<text x="{x + 14:.0f}" y="18">{escape(label)}<title>{escape(name)}</title></text></g>')
    return parts


def line_chart(lines: Sequence[Line], *, title: str, x_label: str = "step", y_label: str = "",
               thresholds: Sequence[tuple[str, float]] = (), time_axis: bool = False,
               width: int = 640, height: int = 260) -> Markup:
    """One line per series (several runs overlaid), dashed horizontal lines at `thresholds`, a point
    per value carrying its hover text (single points are drawn as dots)."""
    prepared = [(line.name, _finite(line.xs, line.ys)) for line in lines]
    xs = [x for _, pairs in prepared for x, _ in pairs]
    ys = [y for _, pairs in prepared for _, y in pairs] + [value for _, value in thresholds if math.isfinite(value)]
    frame = _Frame(xs, ys, width, height, time_axis)
    body = frame.axes(x_label, y_label)
    for label, value in thresholds:
        if math.isfinite(value):
            y = frame.y(value)
            body.append(f'<line class="threshold" x1="{_LEFT}" x2="{width - _RIGHT}" y1="{y:.1f}" y2="{y:.1f}">'
                        f'<title>{escape(label)}: {value:g}</title></line>'
                        f'<text x="{width - _RIGHT - 4}" y="{y - 4:.1f}" text-anchor="end" class="threshold-label">'
                        f'{escape(label)} {value:g}</text>')
    for index, (name, pairs) in enumerate(prepared):
        colour = PALETTE[index % len(PALETTE)]
        if len(pairs) > 1:
            path = " ".join(f"{'M' if i == 0 else 'L'}{frame.x(x):.1f},{frame.y(y):.1f}" for i, (x, y) in enumerate(pairs))
            body.append(f'<path class="series" data-series="{escape(name)}" d="{path}" fill="none" '
                        f'stroke="{colour}" stroke-width="1.8"/>')
        radius = 3 if len(pairs) <= 60 else 1.6
        body.append(f'<g fill="{colour}">' + "".join(
            f'<circle cx="{frame.x(x):.1f}" cy="{frame.y(y):.1f}" r="{radius}" '
            f'data-hover="{escape(name)} · {escape(x_label)} {escape(frame.x_text(x))}: {y:.6g}"/>'
            for x, y in pairs) + "</g>")
    if len(prepared) > 1 or thresholds:
        body += _legend([name for name, _ in prepared], width, title)
    if not xs:
        body.append(f'<text x="{width / 2:.0f}" y="{height / 2:.0f}" text-anchor="middle" class="muted">no values</text>')
    return _svg(body, title, width, height, "line")


def scatter(points: Sequence[Point], *, title: str, x_label: str, y_label: str, width: int = 520,
            height: int = 320, log_x: bool = False) -> Markup:
    """One dot per point (e.g. a run: a parameter against a metric), its label on hover."""
    kept = [p for p in points if math.isfinite(p.x) and math.isfinite(p.y) and (p.x > 0 or not log_x)]
    xs = [math.log10(p.x) if log_x else p.x for p in kept]
    frame = _Frame(xs, [p.y for p in kept], width, height, False)
    body = frame.axes(("log10 " if log_x else "") + x_label, y_label)
    body.append(f'<g fill="{PALETTE[0]}" fill-opacity="0.8">' + "".join(
        f'<circle cx="{frame.x(x):.1f}" cy="{frame.y(p.y):.1f}" r="4.5" '
        f'data-hover="{escape(p.label)} · {escape(x_label)} {p.x:.6g}, {escape(y_label)} {p.y:.6g}"/>'
        for x, p in zip(xs, kept, strict=True)) + "</g>")
    return _svg(body, title, width, height, "scatter")


@dataclass(frozen=True)
class Axis:
    """One vertical axis of a parallel-coordinates view: a name and one value per run (a number,
    or a text placed as a category; None when the run lacks it)."""

    name: str
    values: Sequence[float | str | None]


def _axis_positions(values: Sequence[float | str | None]) -> tuple[list[float | None], list[tuple[float, str]]]:
    """Each value as a 0..1 height on its axis, and the axis' tick labels (height, text)."""
    numbers = [_number(v) for v in values]
    if all(n is not None or v is None for n, v in zip(numbers, values, strict=True)):
        present = [n for n in numbers if n is not None]
        if not present:
            return [None] * len(values), []
        low, high = min(present), max(present)
        span = (high - low) or 1.0
        ticks = [(0.0, f"{low:.4g}"), (1.0, f"{high:.4g}")] if high != low else [(0.5, f"{low:.4g}")]
        return [None if n is None else ((n - low) / span if high != low else 0.5) for n in numbers], ticks
    categories = sorted({str(v) for v in values if v is not None})
    step = 1 / max(1, len(categories) - 1)
    place = {c: (i * step if len(categories) > 1 else 0.5) for i, c in enumerate(categories)}
    return [None if v is None else place[str(v)] for v in values], [(place[c], c) for c in categories]


def _number(value: float | str | None) -> float | None:
    if value is None:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def parallel_coordinates(axes: Sequence[Axis], labels: Sequence[str], *, title: str, width: int = 720,
                         height: int = 300) -> Markup:
    """One polyline per run across the axes (e.g. each param, then the metric last), coloured from
    blue (lowest) to orange (highest) by the last axis; a run missing a value breaks its line there."""
    count = len(labels)
    usable = [axis for axis in axes if len(axis.values) == count]
    top, bottom = _TOP + 12, height - _BOTTOM
    gap = (width - _LEFT - _RIGHT) / max(1, len(usable) - 1)
    xs = [_LEFT + i * gap if len(usable) > 1 else width / 2 for i in range(len(usable))]
    placed = [_axis_positions(axis.values) for axis in usable]
    body: list[str] = []
    for x, axis, (_, ticks) in zip(xs, usable, placed, strict=True):
        body.append(f'<g class="axis"><line x1="{x:.1f}" x2="{x:.1f}" y1="{top}" y2="{bottom}"/></g>'
                    f'<text x="{x:.1f}" y="{bottom + 16}" text-anchor="{_name_anchor(x, xs)}" class="axis-label">'
                    f'{escape(axis.name if len(axis.name) <= 22 else axis.name[:21] + "…")}<title>{escape(axis.name)}'
                    f'</title></text>')
        last = x == xs[-1] and len(xs) > 1  # the last axis labels its ticks on its left, inside the chart
        anchor = "end" if last else "start"
        body += [f'<text x="{x - 4 if last else x + 4:.1f}" y="{bottom - share * (bottom - top) + 4:.1f}" '
                 f'text-anchor="{anchor}">{escape(text if len(text) <= 16 else text[:15] + "…")}</text>'
                 for share, text in ticks]
    colour_by = placed[-1][0] if placed else []
    for run in range(count):
        segments: list[str] = []
        pen = "M"
        for x, (heights, _) in zip(xs, placed, strict=True):
            share = heights[run]
            if share is None:
                pen = "M"
                continue
            segments.append(f"{pen}{x:.1f},{bottom - share * (bottom - top):.1f}")
            pen = "L"
        shade = colour_by[run] if colour_by and colour_by[run] is not None else None
        colour = _blend(shade) if shade is not None else PALETTE[-1]
        hover = " · ".join([labels[run]] + [f"{axis.name} {axis.values[run]}" for axis in usable
                                            if axis.values[run] is not None])
        body.append(f'<path class="pc-line" data-run="{escape(labels[run])}" d="{" ".join(segments)}" fill="none" '
                    f'stroke="{colour}" stroke-width="2" stroke-opacity="0.85" data-hover="{escape(hover)}"/>')
    if not usable or not count:
        body.append(f'<text x="{width / 2:.0f}" y="{height / 2:.0f}" text-anchor="middle" class="muted">no values</text>')
    return _svg(body, title, width, height, "parallel")


def _name_anchor(x: float, xs: Sequence[float]) -> str:
    """The first axis's name starts at its line and the last one's ends there, so neither is cut off."""
    if len(xs) < 2:
        return "middle"
    return "start" if x == xs[0] else "end" if x == xs[-1] else "middle"


def _blend(share: float) -> str:
    """A colour from PALETTE[0] (share 0) to PALETTE[1] (share 1)."""
    low, high = PALETTE[0], PALETTE[1]
    channels = [round(int(low[i:i + 2], 16) + (int(high[i:i + 2], 16) - int(low[i:i + 2], 16)) * share)
                for i in (1, 3, 5)]
    return "#" + "".join(f"{c:02x}" for c in channels)
