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
            x_ticks = number_ticks(self.x_low, self.x_high, 6)
            labels = [number_label(tick, x_ticks) for tick in x_ticks]
        bottom = self.height - _BOTTOM
        for tick, label in zip(x_ticks, labels, strict=True):
            x = self.x(tick)
            parts.append(f'<line class="grid" x1="{x:.1f}" x2="{x:.1f}" y1="{_TOP}" y2="{bottom}"/>'
                         f'<text x="{x:.1f}" y="{bottom + 15}" text-anchor="middle">{escape(label)}</text>')
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


def _legend(names: Sequence[str], width: int) -> list[str]:
    parts, x = [], float(width - _RIGHT)
    for index, name in reversed(list(enumerate(names))):
        label = name if len(name) <= 28 else name[:27] + "…"
        x -= 18 + 6.5 * len(label)
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
        body += _legend([name for name, _ in prepared], width)
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
